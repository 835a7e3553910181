#include "config/settings.hpp"

#include <charconv>
#include <cstdlib>
#include <variant>

namespace awf::config {

namespace {

struct int_range {
  int min;
  int max;
};

struct choice {
  std::vector<std::string> values;
};

struct text {};
struct flag {};

using setting_kind = std::variant<int_range, flag, text, choice>;

struct descriptor {
  const char* env_name;
  const char* column; // nullptr: not in the config table
  const char* description;
  setting_kind kind;
  std::function<void(settings&, const std::string&)> assign;
  std::function<std::string(const settings&)> show;
  /// What happens instead, for a setting documented but not enforced yet
  /// (nullptr: it works).
  const char* not_enforced = nullptr;
};

template<class T>
auto member_setter(T settings::*member) {
  return [member](settings& s, const std::string& value) {
    if constexpr (std::is_same_v<T, int>)
      s.*member = std::stoi(value);
    else if constexpr (std::is_same_v<T, bool>)
      s.*member = value == "true" || value == "1";
    else
      s.*member = value;
  };
}

template<class T>
auto member_shower(T settings::*member) {
  return [member](const settings& s) -> std::string {
    if constexpr (std::is_same_v<T, int>)
      return std::to_string(s.*member);
    else if constexpr (std::is_same_v<T, bool>)
      return s.*member ? "true" : "false";
    else
      return s.*member;
  };
}

template<class T>
descriptor make(const char* env, const char* column, const char* description,
                setting_kind kind, T settings::*member,
                const char* not_enforced = nullptr) {
  return {env,
          column,
          description,
          std::move(kind),
          member_setter(member),
          member_shower(member),
          not_enforced};
}

const std::vector<descriptor>& descriptors() {
  static const std::vector<descriptor> list{
    make("CLOUD_SYNC_ENABLED", "sync_enabled",
         "accept sync traffic (false: read-only maintenance)", flag{},
         &settings::enabled),
    make("CLOUD_SYNC_SNAPSHOT_EVERY", "snapshot_every",
         "store a full snapshot every N turns", int_range{1, 10000},
         &settings::snapshot_every),
    make("CLOUD_SYNC_MAX_SAVE_BYTES_MB", "max_save_bytes_mb",
         "largest canonical state accepted, in MiB (at most 512: SQLite "
         "caps a value at 1e9 bytes and PostgreSQL parameters travel as hex)",
         int_range{1, 512}, &settings::max_save_bytes_mb),
    make("CLOUD_SYNC_MAX_DIFF_BYTES_KB", "max_diff_bytes_kb",
         "a diff larger than this (KiB) is stored as a snapshot",
         int_range{1, 1 << 20}, &settings::max_diff_bytes_kb),
    make("CLOUD_SYNC_ZSTD_LEVEL", "zstd_level",
         "zstd compression level of stored blobs", int_range{1, 22},
         &settings::zstd_level),
    make("CLOUD_SYNC_VERIFY_SAMPLE_PCT", "verify_sample_pct",
         "percent of saves rebuilt by each verification sweep",
         int_range{0, 100}, &settings::verify_sample_pct),
    make("CLOUD_SYNC_RETENTION_DAYS", "retention_days",
         "days an untouched save is kept (0: forever)", int_range{0, 36500},
         &settings::retention_days, "saves are kept forever"),
    make("CLOUD_SYNC_USER_QUOTA_MB", "user_quota_mb",
         "stored bytes allowed per user, in MiB (0: unlimited)",
         int_range{0, 1 << 30}, &settings::user_quota_mb,
         "a user may store any amount"),
    make("CLOUD_SYNC_CLIENT_SEALED", "client_sealed",
         "states arrive sealed by the client", flag{}, &settings::client_sealed,
         "plain states are accepted"),
    make("CLOUD_SYNC_HMAC_SECRET", "hmac_secret",
         "secret that signs user tokens (at least 32 bytes)", text{},
         &settings::hmac_secret),
    make("CLOUD_SYNC_DB", nullptr,
         "SQLite file path or postgresql:// URL (default: "
         "<data dir>/cloud-sync.db)",
         text{}, &settings::db),
    make("CLOUD_SYNC_DATA_DIR", nullptr,
         "directory for the SQLite file and generated secrets", text{},
         &settings::data_dir),
    make("CLOUD_SYNC_LISTEN", nullptr, "address:port the server listens on",
         text{}, &settings::listen),
    make("CLOUD_SYNC_ENC_KEYS", nullptr,
         "blob keys as kid:base64key,... (first encrypts; default: a key "
         "generated in the data dir)",
         text{}, &settings::enc_keys),
    make("CLOUD_SYNC_VERIFY_INTERVAL_S", nullptr,
         "seconds between verification sweeps", int_range{1, 86400 * 7},
         &settings::verify_interval_s),
    make("CLOUD_SYNC_SQLITE_SYNC", nullptr,
         "full: every acknowledged turn survives a power loss; normal: "
         "survives a process crash, faster",
         choice{{"full", "normal"}}, &settings::sqlite_sync),
    make("CLOUD_SYNC_MAX_RESIDENT_SAVES", nullptr,
         "save actors kept in memory at most (least recently used leave)",
         int_range{1, 10000000}, &settings::max_resident_saves),
    make("CLOUD_SYNC_SAVE_IDLE_S", nullptr,
         "seconds before an idle save actor leaves memory", int_range{1, 86400},
         &settings::save_idle_s),
    make("CLOUD_SYNC_STORAGE_READERS", nullptr,
         "database connections for reads", int_range{1, 64},
         &settings::storage_readers),
    make("CLOUD_SYNC_STORAGE_WRITERS", nullptr,
         "database connections for writes (PostgreSQL; SQLite uses one)",
         int_range{1, 64}, &settings::storage_writers),
    make("CLOUD_SYNC_MAX_TURNS_PER_SYNC", nullptr,
         "turns one sync up may carry", int_range{1, 100000},
         &settings::max_turns_per_sync),
    make("CLOUD_SYNC_MAX_HEADER_KB", nullptr,
         "largest HTTP request header block, in KiB (larger: 431)",
         int_range{1, 1024}, &settings::max_header_kb),
    make("CLOUD_SYNC_MAX_CONNECTIONS", nullptr,
         "open HTTP and WebSocket connections at most", int_range{1, 1000000},
         &settings::max_connections),
    make("CLOUD_SYNC_MAX_CONNECTIONS_PER_IP", nullptr,
         "open connections per client address at most; more are answered "
         "503 (0: no cap, e.g. behind a proxy that connects from one address)",
         int_range{0, 1000000}, &settings::max_connections_per_ip),
    make("CLOUD_SYNC_HEADER_TIMEOUT_S", nullptr,
         "seconds to receive a request head (the request line and headers, "
         "also the idle time of a kept-alive connection)",
         int_range{1, 300}, &settings::header_timeout_s),
    make("CLOUD_SYNC_WS_IDLE_S", nullptr,
         "seconds a WebSocket may stay silent (pings keep live ones open)",
         int_range{5, 86400}, &settings::ws_idle_s),
    make("CLOUD_SYNC_WS_QUEUED_MB", nullptr,
         "MiB of messages queued for all WebSocket readers together; past "
         "it the socket with the most queued is closed as too slow",
         int_range{1, 1048576}, &settings::ws_queued_mb),
    make("CLOUD_SYNC_DEVICE_RATE", nullptr,
         "sync requests per second per device, on average (0: unlimited)",
         int_range{0, 1000000}, &settings::device_rate),
    make("CLOUD_SYNC_DEVICE_BURST", nullptr,
         "sync requests a device may send at once above its rate",
         int_range{1, 1000000}, &settings::device_burst),
    make("CLOUD_SYNC_USER_EXPENSIVE_CONCURRENT", nullptr,
         "expensive operations (full verify, materialize of a stored turn "
         "or an archive, restore) one user may run at once; more answer 429 "
         "(0: unlimited)",
         int_range{0, 100000}, &settings::user_expensive_concurrent),
    make("CLOUD_SYNC_USER_EXPENSIVE_PER_MIN", nullptr,
         "expensive operations per minute per user, on average; more answer "
         "429 (0: unlimited)",
         int_range{0, 10000000}, &settings::user_expensive_per_min),
    make("CLOUD_SYNC_USER_EXPENSIVE_BURST", nullptr,
         "expensive operations a user may start at once above that rate",
         int_range{1, 10000000}, &settings::user_expensive_burst),
    make("CLOUD_SYNC_DEVICE_TOKEN_TTL_DAYS", nullptr,
         "days a device's sync token stays valid", int_range{1, 3650},
         &settings::device_token_ttl_days),
    make("CLOUD_SYNC_MAX_PENDING", nullptr,
         "requests waiting for the save engine at most; more answer 503",
         int_range{1, 10000000}, &settings::max_pending),
  };
  return list;
}

std::optional<std::string> check(const descriptor& d,
                                 const std::string& value) {
  return std::visit(
    [&](const auto& kind) -> std::optional<std::string> {
      using kind_type = std::decay_t<decltype(kind)>;
      if constexpr (std::is_same_v<kind_type, int_range>) {
        int parsed = 0;
        auto [end, ec] =
          std::from_chars(value.data(), value.data() + value.size(), parsed);
        if (ec != std::errc{} || end != value.data() + value.size() ||
            parsed < kind.min || parsed > kind.max)
          return "must be a whole number from " + std::to_string(kind.min) +
                 " to " + std::to_string(kind.max);
      } else if constexpr (std::is_same_v<kind_type, flag>) {
        if (value != "true" && value != "false" && value != "1" && value != "0")
          return std::string{"must be true or false"};
      } else if constexpr (std::is_same_v<kind_type, choice>) {
        for (const auto& allowed : kind.values)
          if (value == allowed)
            return std::nullopt;
        std::string list;
        for (const auto& allowed : kind.values)
          list += (list.empty() ? "" : " or ") + allowed;
        return "must be " + list;
      }
      return std::nullopt;
    },
    d.kind);
}

// Never echo a secret back in an error message.
std::string shown_value(const descriptor& d, const std::string& value) {
  std::string_view name = d.env_name;
  if (name.find("SECRET") != std::string_view::npos ||
      name.find("KEYS") != std::string_view::npos)
    return "(hidden)";
  return "'" + value + "'";
}

} // namespace

std::string settings::database_url() const {
  if (!db.empty())
    return db;
  return data_dir + "/cloud-sync.db";
}

std::size_t settings::max_state_bytes() const {
  return static_cast<std::size_t>(max_save_bytes_mb) << 20;
}

std::size_t settings::max_diff_bytes() const {
  return static_cast<std::size_t>(max_diff_bytes_kb) << 10;
}

const std::vector<setting_info>& all_settings() {
  static const std::vector<setting_info> infos = [] {
    std::vector<setting_info> out;
    settings defaults;
    for (const auto& d : descriptors()) {
      std::string description = d.description;
      if (d.not_enforced)
        description += ". NOT ENFORCED YET: " + std::string{d.not_enforced};
      out.push_back({d.env_name, d.column ? d.column : "",
                     std::move(description), d.show(defaults),
                     d.not_enforced == nullptr});
    }
    return out;
  }();
  return infos;
}

std::vector<std::string>
unenforced_setting_warnings(const env_lookup& env,
                            const std::map<std::string, std::string>& table) {
  std::vector<std::string> out;
  for (const auto& d : descriptors()) {
    if (!d.not_enforced)
      continue;
    std::string source;
    if (env(d.env_name))
      source = d.env_name;
    else if (d.column && table.count(d.column) != 0)
      source = "awf_cloud_sync_config." + std::string{d.column};
    if (!source.empty())
      out.push_back(source + " is set but not enforced yet: " + d.not_enforced);
  }
  return out;
}

env_lookup process_environment() {
  return [](const char* name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name))
      return std::string{value};
    return std::nullopt;
  };
}

env_lookup environment_of(std::map<std::string, std::string> vars) {
  return
    [vars = std::move(vars)](const char* name) -> std::optional<std::string> {
      if (auto it = vars.find(name); it != vars.end())
        return it->second;
      return std::nullopt;
    };
}

core::result<settings>
load_settings(const env_lookup& env,
              const std::map<std::string, std::string>& table) {
  settings result;
  auto apply = [&](const descriptor& d, const std::string& source,
                   const std::string& value) -> std::optional<core::error> {
    if (auto problem = check(d, value))
      return core::error{core::errc::invalid_setting, source + " " + *problem +
                                                        ", got " +
                                                        shown_value(d, value)};
    d.assign(result, value);
    return std::nullopt;
  };
  for (const auto& d : descriptors()) {
    if (d.column) {
      if (auto it = table.find(d.column); it != table.end())
        if (auto err =
              apply(d, "awf_cloud_sync_config." + it->first, it->second))
          return *err;
    }
    if (auto value = env(d.env_name))
      if (auto err = apply(d, d.env_name, *value))
        return *err;
  }
  return result;
}

} // namespace awf::config
