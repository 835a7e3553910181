#include "persistence/config_table.hpp"

#include <array>

#include "persistence/detail/session.hpp"

namespace awf::persistence {

stored<std::map<std::string, std::string>> read_config_overrides(database& db) {
  static constexpr std::array<const char*, 10> columns{
    "sync_enabled",      "snapshot_every", "max_save_bytes_mb",
    "max_diff_bytes_kb", "zstd_level",     "verify_sample_pct",
    "retention_days",    "user_quota_mb",  "client_sealed",
    "hmac_secret"};
  return detail::guarded(
    "read config table", [&]() -> stored<std::map<std::string, std::string>> {
      auto& s = detail::session_of(db);
      std::map<std::string, std::string> out;
      for (const char* column : columns) {
        std::string value;
        soci::indicator ind = soci::i_null;
        s << "SELECT CAST(" + std::string{column} +
               " AS TEXT) FROM awf_cloud_sync_config WHERE id = 'default'",
          soci::into(value, ind);
        if (s.got_data() && ind == soci::i_ok)
          out.emplace(column, value);
      }
      return out;
    });
}

} // namespace awf::persistence
