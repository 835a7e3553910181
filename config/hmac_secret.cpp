#include "config/hmac_secret.hpp"

#include <filesystem>

#include "config/secret_file.hpp"
#include "core/base64.hpp"
#include "core/key_ring.hpp"

namespace awf::config {

namespace {

bool configured(const std::string& secret) {
  return !secret.empty() && secret != placeholder_hmac_secret;
}

std::string random_secret() {
  // 32 random bytes give 256 bits; base64url keeps the file printable.
  return core::base64url_encode(core::key_ring::random_key());
}

} // namespace

core::result<std::string> resolve_hmac_secret(const settings& s,
                                              bool* generated) {
  if (generated)
    *generated = false;
  if (configured(s.hmac_secret)) {
    if (s.hmac_secret.size() < min_hmac_secret_bytes)
      return core::error{core::errc::invalid_setting,
                         "CLOUD_SYNC_HMAC_SECRET must be at least " +
                           std::to_string(min_hmac_secret_bytes) +
                           " bytes long"};
    return s.hmac_secret;
  }
  auto path = std::filesystem::path{s.data_dir} / "hmac_secret";
  auto secret = load_or_create_secret(path, random_secret);
  if (!secret)
    return secret;
  // A hand-edited file must not weaken the signing key.
  if (secret->size() < min_hmac_secret_bytes)
    return core::error{core::errc::invalid_setting,
                       path.string() + " must hold at least " +
                         std::to_string(min_hmac_secret_bytes) +
                         " bytes; delete it to generate a new secret"};
  if (generated)
    *generated = true;
  return secret;
}

} // namespace awf::config
