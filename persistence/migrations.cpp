#include "persistence/migrations.hpp"

#include "persistence/detail/session.hpp"

namespace awf::persistence {

namespace {

struct migration {
  int version;
  const char* name;
  std::vector<const char*> sqlite;
  std::vector<const char*> postgresql;
};

// Never edit a migration that has shipped: add a new one.
const std::vector<migration>& all_migrations() {
  static const std::vector<migration> list{
    {1,
     "save store",
     {
       R"sql(CREATE TABLE awf_saves (
            save_id TEXT PRIMARY KEY,
            session_id TEXT NOT NULL,
            user_id_hash TEXT NOT NULL,
            version TEXT NOT NULL DEFAULT '1.0.0',
            turn_id INTEGER NOT NULL DEFAULT 0,
            base_snapshot_hash TEXT,
            latest_chain_hash TEXT,
            integrity_ok BOOLEAN NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
            UNIQUE (session_id, user_id_hash)))sql",
       "CREATE INDEX awf_saves_user ON awf_saves (user_id_hash, updated_at)",
       R"sql(CREATE TABLE awf_save_blobs (
            blob_hash TEXT PRIMARY KEY,
            blob_type TEXT NOT NULL CHECK (blob_type IN ('snapshot', 'diff', 'meta')),
            bytes BLOB NOT NULL,
            size INTEGER NOT NULL,
            enc TEXT NOT NULL DEFAULT 'none' CHECK (enc IN ('none', 'aesgcm')),
            codec TEXT NOT NULL DEFAULT 'zstd' CHECK (codec IN ('zstd', 'raw')),
            key_id TEXT,
            stored_size INTEGER NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))))sql",
       R"sql(CREATE TABLE awf_save_diffs (
            save_id TEXT NOT NULL REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            from_turn INTEGER NOT NULL,
            to_turn INTEGER NOT NULL,
            diff_hash TEXT NOT NULL,
            chain_hash TEXT NOT NULL,
            state_hash TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'json_patch', 'zstd_delta')),
            base_turn INTEGER NOT NULL,
            state_bytes INTEGER NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
            PRIMARY KEY (save_id, to_turn)))sql",
       R"sql(CREATE TABLE awf_blob_refs (
            save_id TEXT NOT NULL REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            blob_hash TEXT NOT NULL,
            PRIMARY KEY (save_id, blob_hash)))sql",
       "CREATE INDEX awf_blob_refs_blob ON awf_blob_refs (blob_hash)",
       R"sql(CREATE TABLE awf_devices (
            device_id TEXT PRIMARY KEY,
            user_id_hash TEXT NOT NULL,
            session_id TEXT,
            last_turn_seen INTEGER DEFAULT 0,
            sync_token TEXT NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))))sql",
       R"sql(CREATE TABLE awf_save_archives (
            archive_id TEXT PRIMARY KEY,
            save_id TEXT NOT NULL REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            reason TEXT NOT NULL CHECK (reason IN ('conflict', 'manual_restore')),
            meta TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))))sql",
       R"sql(CREATE TABLE awf_sync_audit (
            audit_id TEXT PRIMARY KEY,
            save_id TEXT REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            device_id TEXT,
            operation TEXT NOT NULL,
            details TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))))sql",
       "CREATE INDEX awf_sync_audit_save ON awf_sync_audit (save_id, "
       "created_at)",
       R"sql(CREATE TABLE awf_cloud_sync_config (
            id TEXT PRIMARY KEY DEFAULT 'default',
            sync_enabled BOOLEAN,
            snapshot_every INTEGER,
            max_save_bytes_mb INTEGER,
            max_diff_bytes_kb INTEGER,
            zstd_level INTEGER,
            verify_sample_pct INTEGER,
            retention_days INTEGER,
            user_quota_mb INTEGER,
            client_sealed BOOLEAN,
            hmac_secret TEXT,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
            updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))))sql",
       R"sql(CREATE TABLE awf_key_usage (
            key_id TEXT PRIMARY KEY,
            encryptions INTEGER NOT NULL DEFAULT 0))sql",
     },
     {
       R"sql(CREATE TABLE awf_saves (
            save_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            session_id TEXT NOT NULL,
            user_id_hash TEXT NOT NULL,
            version TEXT NOT NULL DEFAULT '1.0.0',
            turn_id BIGINT NOT NULL DEFAULT 0,
            base_snapshot_hash TEXT,
            latest_chain_hash TEXT,
            integrity_ok BOOLEAN NOT NULL DEFAULT true,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
            UNIQUE (session_id, user_id_hash)))sql",
       "CREATE INDEX awf_saves_user ON awf_saves (user_id_hash, updated_at)",
       R"sql(CREATE TABLE awf_save_blobs (
            blob_hash TEXT PRIMARY KEY,
            blob_type TEXT NOT NULL CHECK (blob_type IN ('snapshot', 'diff', 'meta')),
            bytes BYTEA NOT NULL,
            size BIGINT NOT NULL,
            enc TEXT NOT NULL DEFAULT 'none' CHECK (enc IN ('none', 'aesgcm')),
            codec TEXT NOT NULL DEFAULT 'zstd' CHECK (codec IN ('zstd', 'raw')),
            key_id TEXT,
            stored_size BIGINT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()))sql",
       R"sql(CREATE TABLE awf_save_diffs (
            save_id UUID NOT NULL REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            from_turn BIGINT NOT NULL,
            to_turn BIGINT NOT NULL,
            diff_hash TEXT NOT NULL,
            chain_hash TEXT NOT NULL,
            state_hash TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'json_patch', 'zstd_delta')),
            base_turn BIGINT NOT NULL,
            state_bytes BIGINT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
            PRIMARY KEY (save_id, to_turn)))sql",
       R"sql(CREATE TABLE awf_blob_refs (
            save_id UUID NOT NULL REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            blob_hash TEXT NOT NULL,
            PRIMARY KEY (save_id, blob_hash)))sql",
       "CREATE INDEX awf_blob_refs_blob ON awf_blob_refs (blob_hash)",
       R"sql(CREATE TABLE awf_devices (
            device_id TEXT PRIMARY KEY,
            user_id_hash TEXT NOT NULL,
            session_id TEXT,
            last_turn_seen BIGINT DEFAULT 0,
            sync_token TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()))sql",
       R"sql(CREATE TABLE awf_save_archives (
            archive_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            save_id UUID NOT NULL REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            reason TEXT NOT NULL CHECK (reason IN ('conflict', 'manual_restore')),
            meta JSONB NOT NULL DEFAULT '{}'::jsonb,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()))sql",
       R"sql(CREATE TABLE awf_sync_audit (
            audit_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            seq BIGSERIAL NOT NULL,
            save_id UUID REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            device_id TEXT,
            operation TEXT NOT NULL,
            details JSONB NOT NULL DEFAULT '{}'::jsonb,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()))sql",
       "CREATE INDEX awf_sync_audit_save ON awf_sync_audit (save_id, "
       "created_at)",
       R"sql(CREATE TABLE awf_cloud_sync_config (
            id TEXT PRIMARY KEY DEFAULT 'default',
            sync_enabled BOOLEAN,
            snapshot_every INTEGER,
            max_save_bytes_mb INTEGER,
            max_diff_bytes_kb INTEGER,
            zstd_level INTEGER,
            verify_sample_pct INTEGER,
            retention_days INTEGER,
            user_quota_mb INTEGER,
            client_sealed BOOLEAN,
            hmac_secret TEXT,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
            updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()))sql",
       R"sql(CREATE TABLE awf_key_usage (
            key_id TEXT PRIMARY KEY,
            encryptions BIGINT NOT NULL DEFAULT 0))sql",
     }},
    {2,
     "devices and archives",
     {
       "ALTER TABLE awf_devices ADD COLUMN label TEXT NOT NULL DEFAULT ''",
       "ALTER TABLE awf_devices ADD COLUMN expires_at_ms INTEGER NOT NULL "
       "DEFAULT 0",
       "ALTER TABLE awf_devices ADD COLUMN revoked BOOLEAN NOT NULL DEFAULT 0",
       "CREATE UNIQUE INDEX awf_devices_token ON awf_devices (sync_token)",
       "CREATE INDEX awf_devices_user ON awf_devices (user_id_hash)",
       "CREATE INDEX awf_sync_audit_device ON awf_sync_audit (device_id, "
       "created_at)",
       "ALTER TABLE awf_save_archives ADD COLUMN fork_turn INTEGER NOT NULL "
       "DEFAULT 0",
       "ALTER TABLE awf_save_archives ADD COLUMN turn_count INTEGER NOT NULL "
       "DEFAULT 0",
       R"sql(CREATE TABLE awf_archive_turns (
            archive_id TEXT NOT NULL REFERENCES awf_save_archives (archive_id) ON DELETE CASCADE,
            turn_id INTEGER NOT NULL,
            diff_hash TEXT NOT NULL,
            chain_hash TEXT NOT NULL,
            state_hash TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'json_patch', 'zstd_delta')),
            base_turn INTEGER NOT NULL,
            state_bytes INTEGER NOT NULL,
            PRIMARY KEY (archive_id, turn_id)))sql",
     },
     {
       "ALTER TABLE awf_devices ADD COLUMN label TEXT NOT NULL DEFAULT ''",
       "ALTER TABLE awf_devices ADD COLUMN expires_at_ms BIGINT NOT NULL "
       "DEFAULT 0",
       "ALTER TABLE awf_devices ADD COLUMN revoked BOOLEAN NOT NULL DEFAULT "
       "false",
       "CREATE UNIQUE INDEX awf_devices_token ON awf_devices (sync_token)",
       "CREATE INDEX awf_devices_user ON awf_devices (user_id_hash)",
       "CREATE INDEX awf_sync_audit_device ON awf_sync_audit (device_id, "
       "created_at)",
       "ALTER TABLE awf_save_archives ADD COLUMN fork_turn BIGINT NOT NULL "
       "DEFAULT 0",
       "ALTER TABLE awf_save_archives ADD COLUMN turn_count BIGINT NOT NULL "
       "DEFAULT 0",
       R"sql(CREATE TABLE awf_archive_turns (
            archive_id UUID NOT NULL REFERENCES awf_save_archives (archive_id) ON DELETE CASCADE,
            turn_id BIGINT NOT NULL,
            diff_hash TEXT NOT NULL,
            chain_hash TEXT NOT NULL,
            state_hash TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'json_patch', 'zstd_delta')),
            base_turn BIGINT NOT NULL,
            state_bytes BIGINT NOT NULL,
            PRIMARY KEY (archive_id, turn_id)))sql",
     }},
    {3,
     "conflicts",
     {
       R"sql(CREATE TABLE awf_conflicts (
            conflict_id TEXT PRIMARY KEY,
            save_id TEXT NOT NULL REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            fork_turn INTEGER NOT NULL,
            strategy TEXT NOT NULL,
            reason TEXT NOT NULL,
            chosen_branch TEXT NOT NULL CHECK (chosen_branch IN ('server', 'client', 'merged')),
            archive_id TEXT REFERENCES awf_save_archives (archive_id) ON DELETE SET NULL,
            conflicting_paths INTEGER NOT NULL DEFAULT 0,
            device_id TEXT,
            report TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))))sql",
       "CREATE INDEX awf_conflicts_save ON awf_conflicts (save_id, created_at)",
     },
     {
       R"sql(CREATE TABLE awf_conflicts (
            conflict_id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
            save_id UUID NOT NULL REFERENCES awf_saves (save_id) ON DELETE CASCADE,
            fork_turn BIGINT NOT NULL,
            strategy TEXT NOT NULL,
            reason TEXT NOT NULL,
            chosen_branch TEXT NOT NULL CHECK (chosen_branch IN ('server', 'client', 'merged')),
            archive_id UUID REFERENCES awf_save_archives (archive_id) ON DELETE SET NULL,
            conflicting_paths BIGINT NOT NULL DEFAULT 0,
            device_id TEXT,
            report JSONB NOT NULL DEFAULT '{}'::jsonb,
            created_at TIMESTAMPTZ NOT NULL DEFAULT NOW()))sql",
       "CREATE INDEX awf_conflicts_save ON awf_conflicts (save_id, created_at)",
     }},
    // Every turn moves its save's updated_at: indexed, that cost a write to
    // a random index page per turn. A user's saves are few, so the list
    // sorts them instead.
    {4,
     "save list index by user only",
     {
       "DROP INDEX awf_saves_user",
       "CREATE INDEX awf_saves_user ON awf_saves (user_id_hash)",
     },
     {
       "DROP INDEX awf_saves_user",
       "CREATE INDEX awf_saves_user ON awf_saves (user_id_hash)",
     }},
    // Encryptions were counted only with the blobs a commit stored, so those
    // of a request that failed later were forgotten at a restart. Nonces
    // are now reserved durably in blocks before they are used.
    {5,
     "nonce reservations",
     {
       "ALTER TABLE awf_key_usage ADD COLUMN reserved INTEGER NOT NULL "
       "DEFAULT 0",
     },
     {
       "ALTER TABLE awf_key_usage ADD COLUMN reserved BIGINT NOT NULL "
       "DEFAULT 0",
     }},
    // A turn's diff is unique to it: stored in the turn's row instead of as
    // a content-addressed blob with a reference (three B-tree inserts per
    // turn fewer). Snapshots stay content-addressed and shared. Existing
    // diffs move into their rows, sealed bytes unchanged; blobs no row
    // uses any more go, with their references. Each turn also records the
    // device that made it.
    {6,
     "diffs in their turn rows",
     {
       "ALTER TABLE awf_save_diffs ADD COLUMN body BLOB",
       "ALTER TABLE awf_save_diffs ADD COLUMN device_id TEXT",
       "ALTER TABLE awf_archive_turns ADD COLUMN body BLOB",
       "ALTER TABLE awf_archive_turns ADD COLUMN device_id TEXT",
       "UPDATE awf_save_diffs SET body = (SELECT b.bytes FROM awf_save_blobs "
       "b WHERE b.blob_hash = awf_save_diffs.diff_hash) WHERE kind <> "
       "'snapshot'",
       "UPDATE awf_archive_turns SET body = (SELECT b.bytes FROM "
       "awf_save_blobs b WHERE b.blob_hash = awf_archive_turns.diff_hash) "
       "WHERE kind <> 'snapshot'",
       "DELETE FROM awf_save_blobs WHERE blob_type = 'diff' AND blob_hash "
       "NOT IN (SELECT diff_hash FROM awf_save_diffs WHERE body IS NULL) AND "
       "blob_hash NOT IN (SELECT diff_hash FROM awf_archive_turns WHERE body "
       "IS NULL)",
       "DELETE FROM awf_blob_refs WHERE blob_hash NOT IN (SELECT blob_hash "
       "FROM awf_save_blobs)",
     },
     {
       "ALTER TABLE awf_save_diffs ADD COLUMN body BYTEA",
       "ALTER TABLE awf_save_diffs ADD COLUMN device_id TEXT",
       "ALTER TABLE awf_archive_turns ADD COLUMN body BYTEA",
       "ALTER TABLE awf_archive_turns ADD COLUMN device_id TEXT",
       "UPDATE awf_save_diffs SET body = (SELECT b.bytes FROM awf_save_blobs "
       "b WHERE b.blob_hash = awf_save_diffs.diff_hash) WHERE kind <> "
       "'snapshot'",
       "UPDATE awf_archive_turns SET body = (SELECT b.bytes FROM "
       "awf_save_blobs b WHERE b.blob_hash = awf_archive_turns.diff_hash) "
       "WHERE kind <> 'snapshot'",
       "DELETE FROM awf_save_blobs WHERE blob_type = 'diff' AND blob_hash "
       "NOT IN (SELECT diff_hash FROM awf_save_diffs WHERE body IS NULL) AND "
       "blob_hash NOT IN (SELECT diff_hash FROM awf_archive_turns WHERE body "
       "IS NULL)",
       "DELETE FROM awf_blob_refs WHERE blob_hash NOT IN (SELECT blob_hash "
       "FROM awf_save_blobs)",
     }},
    // The audit record of a sync up that appends turns was a row of
    // awf_sync_audit with three indexes: 40 % of the database and three
    // random index pages per commit. It is now the last turn row of the
    // request: `sync_turns` (the turns the sync up accepted) marks it, and
    // a partial index lists such rows by time. Records already written stay
    // where they are; audit_log lists both kinds.
    {7,
     "sync up records in their turn rows",
     {
       "ALTER TABLE awf_save_diffs ADD COLUMN sync_turns INTEGER",
       "CREATE INDEX awf_save_diffs_synced ON awf_save_diffs (created_at) "
       "WHERE sync_turns IS NOT NULL",
     },
     {
       "ALTER TABLE awf_save_diffs ADD COLUMN sync_turns BIGINT",
       "CREATE INDEX awf_save_diffs_synced ON awf_save_diffs (created_at) "
       "WHERE sync_turns IS NOT NULL",
     }},
    // Compact turn rows. A save's turn rows name it by an integer key
    // instead of its 36-character id (the one random insert of a turn, into
    // the primary key's index, gets small), and the chain and state hashes
    // of turn rows are their 32 bytes instead of 64 hex characters: 130
    // bytes less per turn. SQLite cannot change a column's type, so its two
    // turn tables are rebuilt (rows in key order, so new turns append);
    // PostgreSQL converts in place. A hash that is not hex keeps its bytes,
    // so damage stays visible to verification.
    {8,
     "compact turn rows",
     {
       "ALTER TABLE awf_saves ADD COLUMN save_key INTEGER",
       "UPDATE awf_saves SET save_key = rowid",
       "CREATE UNIQUE INDEX awf_saves_key ON awf_saves (save_key)",
       // What PostgreSQL's identity column does: every new save gets the
       // next key (SQLite has one writer at a time).
       R"sql(CREATE TRIGGER awf_saves_key_next AFTER INSERT ON awf_saves
            WHEN NEW.save_key IS NULL BEGIN
              UPDATE awf_saves SET save_key =
                (SELECT COALESCE(MAX(save_key), 0) + 1 FROM awf_saves)
              WHERE rowid = NEW.rowid;
            END)sql",
       R"sql(CREATE TABLE awf_save_diffs_v8 (
            save_key INTEGER NOT NULL REFERENCES awf_saves (save_key) ON DELETE CASCADE,
            from_turn INTEGER NOT NULL,
            to_turn INTEGER NOT NULL,
            diff_hash TEXT NOT NULL,
            chain_hash BLOB NOT NULL,
            state_hash BLOB NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'json_patch', 'zstd_delta')),
            base_turn INTEGER NOT NULL,
            state_bytes INTEGER NOT NULL,
            created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
            body BLOB,
            device_id TEXT,
            sync_turns INTEGER,
            PRIMARY KEY (save_key, to_turn)))sql",
       "INSERT INTO awf_save_diffs_v8 (save_key, from_turn, to_turn, "
       "diff_hash, chain_hash, state_hash, kind, base_turn, state_bytes, "
       "created_at, body, device_id, sync_turns) SELECT s.save_key, "
       "d.from_turn, d.to_turn, d.diff_hash, awf_unhex(d.chain_hash), "
       "awf_unhex(d.state_hash), d.kind, d.base_turn, d.state_bytes, "
       "d.created_at, d.body, d.device_id, d.sync_turns FROM awf_save_diffs "
       "d JOIN awf_saves s ON s.save_id = d.save_id ORDER BY s.save_key, "
       "d.to_turn",
       "DROP TABLE awf_save_diffs",
       "ALTER TABLE awf_save_diffs_v8 RENAME TO awf_save_diffs",
       "CREATE INDEX awf_save_diffs_synced ON awf_save_diffs (created_at) "
       "WHERE sync_turns IS NOT NULL",
       R"sql(CREATE TABLE awf_archive_turns_v8 (
            archive_id TEXT NOT NULL REFERENCES awf_save_archives (archive_id) ON DELETE CASCADE,
            turn_id INTEGER NOT NULL,
            diff_hash TEXT NOT NULL,
            chain_hash BLOB NOT NULL,
            state_hash BLOB NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'json_patch', 'zstd_delta')),
            base_turn INTEGER NOT NULL,
            state_bytes INTEGER NOT NULL,
            body BLOB,
            device_id TEXT,
            PRIMARY KEY (archive_id, turn_id)))sql",
       "INSERT INTO awf_archive_turns_v8 (archive_id, turn_id, diff_hash, "
       "chain_hash, state_hash, kind, base_turn, state_bytes, body, "
       "device_id) SELECT archive_id, turn_id, diff_hash, "
       "awf_unhex(chain_hash), awf_unhex(state_hash), kind, base_turn, "
       "state_bytes, body, device_id FROM awf_archive_turns ORDER BY "
       "archive_id, turn_id",
       "DROP TABLE awf_archive_turns",
       "ALTER TABLE awf_archive_turns_v8 RENAME TO awf_archive_turns",
     },
     {
       "CREATE FUNCTION awf_unhex_v8(t TEXT) RETURNS BYTEA LANGUAGE SQL "
       "IMMUTABLE AS $$ SELECT CASE WHEN t ~ '^([0-9a-fA-F]{2})*$' THEN "
       "decode(t, 'hex') ELSE convert_to(t, 'UTF8') END $$",
       "ALTER TABLE awf_saves ADD COLUMN save_key BIGINT GENERATED BY "
       "DEFAULT AS IDENTITY",
       "ALTER TABLE awf_saves ADD CONSTRAINT awf_saves_key UNIQUE (save_key)",
       "ALTER TABLE awf_save_diffs ADD COLUMN save_key BIGINT",
       "UPDATE awf_save_diffs d SET save_key = s.save_key FROM awf_saves s "
       "WHERE s.save_id = d.save_id",
       // Takes the primary key and the foreign key on save_id with it.
       "ALTER TABLE awf_save_diffs DROP COLUMN save_id",
       "ALTER TABLE awf_save_diffs ALTER COLUMN save_key SET NOT NULL",
       "ALTER TABLE awf_save_diffs ADD PRIMARY KEY (save_key, to_turn)",
       "ALTER TABLE awf_save_diffs ADD FOREIGN KEY (save_key) REFERENCES "
       "awf_saves (save_key) ON DELETE CASCADE",
       "ALTER TABLE awf_save_diffs ALTER COLUMN chain_hash TYPE BYTEA USING "
       "awf_unhex_v8(chain_hash), ALTER COLUMN state_hash TYPE BYTEA USING "
       "awf_unhex_v8(state_hash)",
       "ALTER TABLE awf_archive_turns ALTER COLUMN chain_hash TYPE BYTEA "
       "USING awf_unhex_v8(chain_hash), ALTER COLUMN state_hash TYPE BYTEA "
       "USING awf_unhex_v8(state_hash)",
       "DROP FUNCTION awf_unhex_v8(TEXT)",
     }},
  };
  return list;
}

// Runs `fn` in a transaction that holds the migration lock, so processes
// starting together migrate one after another. SQLite: BEGIN IMMEDIATE takes
// the write lock before anything is read. PostgreSQL: an advisory lock taken
// before even the migrations table is created (concurrent CREATE TABLE IF NOT
// EXISTS statements collide on PostgreSQL's catalog).
template<class F>
void locked_transaction(database& db, F&& fn) {
  auto& s = detail::session_of(db);
  if (detail::is_postgresql(db)) {
    s << "BEGIN";
    s << "SELECT pg_advisory_xact_lock(8022023)";
  } else {
    s << "BEGIN IMMEDIATE";
  }
  try {
    fn(s);
    s << "COMMIT";
  } catch (...) {
    s << "ROLLBACK";
    throw;
  }
}

} // namespace

int latest_schema_version() noexcept {
  return all_migrations().back().version;
}

stored<std::vector<int>> migrate(database& db, int target_version) {
  return detail::guarded("migrate", [&]() -> stored<std::vector<int>> {
    locked_transaction(db, [](soci::session& s) {
      s << std::string{"CREATE TABLE IF NOT EXISTS awf_schema_migrations ("
                       "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                       "applied_at TEXT NOT NULL)"};
    });
    std::vector<int> applied;
    for (const auto& m : all_migrations()) {
      if (m.version > target_version)
        break;
      locked_transaction(db, [&](soci::session& s) {
        int present = 0;
        s << "SELECT COUNT(*) FROM awf_schema_migrations WHERE version = :v",
          soci::use(m.version), soci::into(present);
        if (present != 0)
          return;
        const auto& statements =
          detail::is_postgresql(db) ? m.postgresql : m.sqlite;
        for (const char* sql : statements)
          s << std::string{sql};
        std::string name = m.name;
        s << "INSERT INTO awf_schema_migrations (version, name, applied_at) "
             "VALUES (:v, :n, CAST(CURRENT_TIMESTAMP AS TEXT))",
          soci::use(m.version), soci::use(name);
        applied.push_back(m.version);
      });
    }
    return applied;
  });
}

} // namespace awf::persistence
