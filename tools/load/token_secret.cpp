#include "tools/load/token_secret.hpp"

#include <chrono>
#include <filesystem>

#include "config/hmac_secret.hpp"
#include "config/settings.hpp"
#include "core/user_token.hpp"

namespace awf::load {

core::result<std::string> resolve_token_secret(const load_options& options) {
  auto settings = config::load_settings(config::process_environment());
  if (!settings)
    return settings.error();
  if (!options.hmac_secret.empty()) {
    if (options.hmac_secret.size() < config::min_hmac_secret_bytes)
      return core::error{core::errc::invalid_setting,
                         "--hmac-secret must be at least " +
                           std::to_string(config::min_hmac_secret_bytes) +
                           " bytes long"};
    settings->hmac_secret = options.hmac_secret;
  } else if (!options.data_dir.empty()) {
    // An explicit data directory wins over a secret in the environment.
    settings->data_dir = options.data_dir;
    settings->hmac_secret.clear();
  }
  bool from_file = settings->hmac_secret.empty() ||
                   settings->hmac_secret == config::placeholder_hmac_secret;
  auto file = std::filesystem::path{settings->data_dir} / "hmac_secret";
  std::error_code ec;
  if (from_file && !std::filesystem::exists(file, ec))
    return core::error{core::errc::invalid_setting,
                       "no token secret: " + file.string() +
                         " does not exist; pass --hmac-secret, "
                         "--data-dir of the server, or set "
                         "CLOUD_SYNC_HMAC_SECRET"};
  return config::resolve_hmac_secret(*settings);
}

std::string mint_load_token(std::string_view secret,
                            std::string_view user_id_hash, std::int64_t ttl_s) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  return core::mint_user_token(
    secret, {std::string{user_id_hash}, "user", now + ttl_s});
}

} // namespace awf::load
