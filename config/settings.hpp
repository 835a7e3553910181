// Every CLOUD_SYNC_* setting, its default, its bounds and its source.
// Precedence: built-in default < awf_cloud_sync_config row < environment.
// A bad value stops start-up with a message naming the variable.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace awf::config {

struct settings {
  // The spec's variables.
  bool enabled = true;
  int snapshot_every = 25;
  int max_save_bytes_mb = 200;
  int max_diff_bytes_kb = 128;
  int zstd_level = 10;
  int verify_sample_pct = 1;
  int retention_days = 365;
  int user_quota_mb = 1024;
  bool client_sealed = false;
  std::string hmac_secret = "change-me";
  // Where and how the server runs.
  std::string db; ///< empty: <data_dir>/cloud-sync.db
  std::string data_dir = "./var";
  std::string listen = "127.0.0.1:8080";
  std::string enc_keys; ///< empty: a key generated in data_dir
  // Tuning of the save engine.
  int verify_interval_s = 300; ///< how often the verification sweep runs
  std::string sqlite_sync = "full";
  int max_resident_saves = 2000;
  int save_idle_s = 120; ///< an idle save actor is passivated
  int storage_readers = 2;
  int storage_writers = 2; ///< PostgreSQL only; SQLite has one writer
  // Limits of the network edge.
  int max_turns_per_sync = 1000;
  int max_header_kb = 16;
  int max_connections = 10000;
  int max_connections_per_ip = 64; ///< 0: no cap (behind a proxy)
  int header_timeout_s = 10;       ///< to receive a request head
  int ws_idle_s = 60;
  /// MiB of frames queued for all WebSocket readers together, at most.
  int ws_queued_mb = 256;
  int device_rate = 50; ///< sync requests/s per device (0: unlimited)
  int device_burst = 100;
  /// Expensive operations (full verify, materialize of a stored turn or an
  /// archive, restore) per user: at once, per minute, and as a burst.
  int user_expensive_concurrent = 2; ///< 0: unlimited
  int user_expensive_per_min = 120;  ///< 0: unlimited
  int user_expensive_burst = 60;
  int device_token_ttl_days = 90;
  int max_pending = 20000; ///< engine requests waiting at most

  /// The database URL with the default applied.
  std::string database_url() const;
  std::size_t max_state_bytes() const;
  std::size_t max_diff_bytes() const;
};

/// One settable variable, for --help and docs.
struct setting_info {
  std::string env_name; ///< e.g. CLOUD_SYNC_ZSTD_LEVEL
  std::string column;   ///< awf_cloud_sync_config column, or empty
  std::string description;
  std::string default_text;
  /// False for a setting that is documented but does nothing yet (its
  /// description then says so).
  bool enforced = true;
};

/// Every variable the server reads, in a stable order.
const std::vector<setting_info>& all_settings();

/// Looks up an environment variable; returns nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(const char*)>;

/// The process environment.
env_lookup process_environment();

/// An environment made of `vars` only (tests, in-process servers).
env_lookup environment_of(std::map<std::string, std::string> vars);

/// One warning for each setting that is set (in `env` or `table`) but not
/// enforced yet, naming where it was set and what happens instead.
std::vector<std::string>
unenforced_setting_warnings(const env_lookup& env,
                            const std::map<std::string, std::string>& table);

/// Builds settings from defaults, then `table` (column -> text, from the
/// config table), then `env`. Fails naming the first bad variable.
core::result<settings>
load_settings(const env_lookup& env,
              const std::map<std::string, std::string>& table = {});

} // namespace awf::config
