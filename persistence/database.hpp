// One connection to the save store: SQLite (embedded default) or PostgreSQL.
// Not thread-safe: each storage worker owns its own.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "persistence/storage_error.hpp"
#include "persistence/wall_clock.hpp"

namespace awf::persistence {

enum class dialect { sqlite, postgresql };

/// How SQLite makes a commit durable (PRAGMA synchronous in WAL mode).
enum class sqlite_sync {
  normal, ///< survives a process crash; a power loss may drop recent commits
  full,   ///< fsync on every commit: survives a power loss too
};

class wal_checkpointer;

/// The page size of a new SQLite database (an existing one keeps its own).
inline constexpr int sqlite_page_bytes = 2048;

struct database_options {
  /// A SQLite file path (or `sqlite:PATH`) or a `postgresql://` URL.
  std::string url;
  sqlite_sync sync = sqlite_sync::full;
  int busy_timeout_ms = 10000;
  /// SQLite page cache per connection. SQLite's default (2 MiB) is smaller
  /// than the index pages a busy writer touches across many saves: it then
  /// reads them back from the OS for every commit (about 7 % more turns/s
  /// with 16 MiB at 1,000 devices).
  int sqlite_cache_kib = 16 * 1024;
  /// SQLite: checkpoints the connection's commits on the checkpointer's
  /// thread instead of inside the commit that fills the log (see
  /// wal_checkpointer.hpp). The connection keeps it alive.
  std::shared_ptr<wal_checkpointer> checkpointer;
  /// Stamps every row this connection writes; empty: the system clock.
  wall_clock clock;
};

class database {
public:
  /// Opens a connection and applies the connection settings (WAL, foreign
  /// keys, busy timeout for SQLite). A SQLite file is created owner-only
  /// (0600, and so are its -wal and -shm files); an existing one readable by
  /// others is tightened to 0600. Does not migrate.
  static stored<std::unique_ptr<database>> open(const database_options& opts);

  /// True when `url` names a PostgreSQL database.
  static bool is_postgresql_url(std::string_view url) noexcept;

  ~database();

  persistence::dialect dialect() const noexcept;

  /// The time rows are stamped with now (the options' clock).
  std::chrono::system_clock::time_point now() const;

  /// Runs `statement` (no results), for migrations and tests.
  storage_status execute(const std::string& statement);

  struct impl;
  impl& internals() noexcept { return *impl_; }

private:
  explicit database(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

} // namespace awf::persistence

namespace awf::persistence {

/// A read-only transaction that sees one consistent snapshot of the database
/// (REPEATABLE READ on PostgreSQL, a deferred transaction on SQLite), so a
/// multi-statement read such as verification cannot see half a commit.
class read_snapshot {
public:
  explicit read_snapshot(database& db);
  ~read_snapshot();
  read_snapshot(const read_snapshot&) = delete;
  read_snapshot& operator=(const read_snapshot&) = delete;

  /// False if the transaction could not begin (reads then run unguarded).
  bool active() const noexcept { return active_; }

private:
  database& db_;
  bool active_ = false;
};

} // namespace awf::persistence
