#include "actors/engine_bootstrap.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "config/secret_file.hpp"
#include "persistence/config_table.hpp"
#include "persistence/migrations.hpp"
#include "persistence/wal_checkpointer.hpp"

namespace awf::actors {

namespace {

core::error setting_error(std::string message) {
  return {core::errc::invalid_setting, std::move(message)};
}

// The table can only be read once the schema exists, and where the database
// lives is itself a setting: read the environment, migrate, then read all.
core::result<std::map<std::string, std::string>>
read_table(const config::settings& from_env) {
  persistence::database_options opts;
  opts.url = from_env.database_url();
  auto db = persistence::database::open(opts);
  if (!db)
    return setting_error("CLOUD_SYNC_DB: " + db.error().message);
  if (auto applied = persistence::migrate(**db); !applied)
    return setting_error(applied.error().message);
  auto table = persistence::read_config_overrides(**db);
  if (!table)
    return setting_error(table.error().message);
  return std::move(*table);
}

/// Creates the data directory owner-only: it holds the SQLite file and the
/// generated secrets. An existing one open to others is only warned about:
/// it may be shared (say /tmp), which is not ours to chmod.
core::result<std::optional<std::string>>
prepare_data_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  bool created = fs::create_directories(dir, ec);
  if (ec)
    return setting_error("CLOUD_SYNC_DATA_DIR: cannot create " + dir + ": " +
                         ec.message());
  if (created) {
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec)
      return setting_error("CLOUD_SYNC_DATA_DIR: cannot chmod 700 " + dir +
                           ": " + ec.message());
    return std::optional<std::string>{};
  }
  auto mode = fs::status(dir, ec).permissions();
  if (ec || (mode & (fs::perms::group_all | fs::perms::others_all)) ==
              fs::perms::none)
    return std::optional<std::string>{};
  return std::optional<std::string>{
    "CLOUD_SYNC_DATA_DIR " + dir +
    " is open to other users; it holds the database and secrets: chmod 700 "
    "it"};
}

} // namespace

engine_options engine_options_from(const config::settings& s) {
  engine_options opts;
  opts.encode.zstd_level = s.zstd_level;
  opts.encode.snapshot_every = s.snapshot_every;
  // A patch is never worth storing when it is larger than a state may be.
  opts.encode.max_diff_bytes =
    std::min(s.max_diff_bytes(), s.max_state_bytes());
  opts.max_state_bytes = s.max_state_bytes();
  opts.verify_sample_pct = s.verify_sample_pct;
  opts.verify_interval = std::chrono::seconds{s.verify_interval_s};
  opts.max_resident_saves = static_cast<std::size_t>(s.max_resident_saves);
  opts.save_idle = std::chrono::seconds{s.save_idle_s};
  opts.database.url = s.database_url();
  opts.database.sync = s.sqlite_sync == "normal"
                         ? persistence::sqlite_sync::normal
                         : persistence::sqlite_sync::full;
  return opts;
}

core::result<engine_setup> bootstrap_engine(const config::env_lookup& env) {
  auto from_env = config::load_settings(env);
  if (!from_env)
    return from_env.error();
  auto dir_warning = prepare_data_dir(from_env->data_dir);
  if (!dir_warning)
    return dir_warning.error();
  auto table = read_table(*from_env);
  if (!table)
    return table.error();
  auto settings = config::load_settings(env, *table);
  if (!settings)
    return settings.error();
  auto spec = config::blob_key_spec(settings->enc_keys, settings->data_dir);
  if (!spec)
    return spec.error();
  auto ring = core::key_ring::parse(*spec);
  if (!ring)
    return setting_error((settings->enc_keys.empty()
                            ? settings->data_dir + "/enc_keys: "
                            : std::string{"CLOUD_SYNC_ENC_KEYS: "}) +
                         ring.error().message);
  auto ctx = std::make_shared<engine_context>();
  ctx->keys = std::make_shared<core::key_ring>(std::move(*ring));
  ctx->options = engine_options_from(*settings);
  // SQLite: checkpoints on a thread of their own, not inside a commit.
  if (!persistence::database::is_postgresql_url(ctx->options.database.url))
    ctx->options.database.checkpointer =
      std::make_shared<persistence::wal_checkpointer>(
        ctx->options.database.url);
  engine_setup setup;
  if (*dir_warning)
    setup.warnings.push_back(std::move(**dir_warning));
  for (auto& warning : config::unenforced_setting_warnings(env, *table))
    setup.warnings.push_back(std::move(warning));
  setup.service.readers = static_cast<std::size_t>(settings->storage_readers);
  setup.service.writers = static_cast<std::size_t>(settings->storage_writers);
  setup.service.device_token_ttl =
    std::chrono::hours{24 * settings->device_token_ttl_days};
  setup.settings = std::move(*settings);
  setup.context = std::move(ctx);
  return setup;
}

} // namespace awf::actors
