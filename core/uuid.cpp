#include "core/uuid.hpp"

#include <cstdlib>
#include <openssl/rand.h>

#include "core/sha256.hpp"

namespace awf::core {

std::string random_uuid() {
  unsigned char bytes[16];
  // Without random bytes no id (or nonce) is safe; stopping beats guessing.
  if (RAND_bytes(bytes, sizeof(bytes)) != 1)
    std::abort();
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  auto hex = to_hex(std::string_view{reinterpret_cast<char*>(bytes), 16});
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) +
         '-' + hex.substr(16, 4) + '-' + hex.substr(20);
}

} // namespace awf::core

namespace awf::core {

bool is_uuid(std::string_view text) noexcept {
  if (text.size() != 36)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (dash_position ? c != '-' : !hex)
      return false;
  }
  return true;
}

} // namespace awf::core
