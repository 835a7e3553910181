#include "core/sync_token.hpp"

#include <cstdlib>

#include <openssl/rand.h>

#include "core/base64.hpp"
#include "core/sha256.hpp"

namespace awf::core {

std::string mint_sync_token() {
  unsigned char bytes[32];
  // Without random bytes no token is safe; stopping beats guessing.
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    std::abort();
  return std::string{sync_token_prefix} +
         base64url_encode(
           std::string_view{reinterpret_cast<const char*>(bytes), 32});
}

std::string sync_token_hash(std::string_view token) {
  return sha256_hex(token);
}

} // namespace awf::core
