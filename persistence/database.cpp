#include "persistence/database.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fcntl.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sha256.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/sqlite_busy_wait.hpp"
#include "persistence/detail/sqlite_functions.hpp"
#include "persistence/wal_checkpointer.hpp"

namespace awf::persistence {

namespace {

std::string sqlite_path(std::string_view url) {
  constexpr std::string_view prefix = "sqlite:";
  if (url.substr(0, prefix.size()) == prefix)
    url.remove_prefix(prefix.size());
  return std::string{url};
}

// SOCI's SQLite backend reads `db=...` key/value pairs; quote the path so
// spaces survive.
std::string sqlite_connect_string(const database_options& opts) {
  return "db=\"" + sqlite_path(opts.url) +
         "\" timeout=" + std::to_string((opts.busy_timeout_ms + 999) / 1000);
}

/// True for a path SQLite opens as a file of that name (not `:memory:`, an
/// empty temporary database or a `file:` URI).
bool is_plain_file(const std::string& path) {
  return !path.empty() && path != ":memory:" && !path.starts_with("file:");
}

/// Gives the SQLite file and its companions owner-only access. A missing
/// main file is created 0600 before SQLite opens it: SQLite creates the
/// -wal, -shm and -journal files with the main file's mode (whatever the
/// umask), so they follow. An existing file open to others (made by an older
/// version) is tightened. Best effort: a file we may not chmod keeps its mode.
void restrict_sqlite_files(const std::string& path) {
  if (!is_plain_file(path))
    return;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0)
    ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    auto file = path + suffix;
    struct stat info {};
    if (::stat(file.c_str(), &info) == 0 && (info.st_mode & 077) != 0)
      ::chmod(file.c_str(), info.st_mode & 0700);
  }
}

} // namespace

bool database::is_postgresql_url(std::string_view url) noexcept {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

database::database(std::unique_ptr<impl> ptr) : impl_(std::move(ptr)) {}

database::~database() = default;

dialect database::dialect() const noexcept {
  return impl_->kind;
}

std::chrono::system_clock::time_point database::now() const {
  return impl_->clock ? impl_->clock() : std::chrono::system_clock::now();
}

stored<std::unique_ptr<database>> database::open(const database_options& opts) {
  try {
    auto state = std::make_unique<impl>();
    state->clock = opts.clock;
    if (is_postgresql_url(opts.url)) {
      state->kind = dialect::postgresql;
      state->session.open(soci::postgresql, opts.url);
    } else {
      state->kind = dialect::sqlite;
      restrict_sqlite_files(sqlite_path(opts.url));
      state->session.open(soci::sqlite3, sqlite_connect_string(opts));
      auto& s = state->session;
      // Only a new database takes the page size (an existing one keeps
      // its own). A commit writes every page it touched whole, and a turn
      // touches a few: 2 KiB pages wrote a fifth fewer bytes per turn and
      // kept an eighth fewer in the file than 4 KiB (docs/performance.md).
      s << "PRAGMA page_size=" + std::to_string(sqlite_page_bytes);
      std::string mode;
      s << "PRAGMA journal_mode=WAL", soci::into(mode);
      s << (opts.sync == sqlite_sync::full ? "PRAGMA synchronous=FULL"
                                           : "PRAGMA synchronous=NORMAL");
      s << "PRAGMA foreign_keys=ON";
      auto* backend =
        static_cast<soci::sqlite3_session_backend*>(s.get_backend());
      detail::install_busy_wait(backend->conn_, opts.busy_timeout_ms);
      detail::install_sqlite_functions(backend->conn_);
      if (opts.checkpointer) {
        state->checkpointer = opts.checkpointer;
        state->checkpointer->attach(backend->conn_);
      }
      s << "PRAGMA cache_size=-" + std::to_string(opts.sqlite_cache_kib);
    }
    return std::unique_ptr<database>(new database(std::move(state)));
  } catch (const std::exception& e) {
    // The URL may hold a password: name the backend, not the URL.
    return storage_error{
      storage_errc::failure,
      std::string{"cannot open the "} +
        (is_postgresql_url(opts.url) ? "PostgreSQL" : "SQLite") +
        " database: " + e.what()};
  }
}

storage_status database::execute(const std::string& statement) {
  return detail::guarded("execute", [&]() -> storage_status {
    impl_->session << statement;
    return std::monostate{};
  });
}

namespace detail {

std::string bytes_out(database& db, const std::string& column) {
  return is_postgresql(db) ? "encode(" + column + ", 'hex')" : column;
}

std::string bytes_in(database& db, const std::string& parameter) {
  return is_postgresql(db) ? "decode(" + parameter + ", 'hex')"
                           : "CAST(" + parameter + " AS BLOB)";
}

std::string bytes_from_column(database& db, std::string text) {
  if (!is_postgresql(db))
    return text;
  // PostgreSQL wrote the hex itself; anything else is a broken column.
  auto bytes = core::from_hex(text);
  if (!bytes)
    throw std::runtime_error("a byte column did not read as hex");
  return std::move(*bytes);
}

std::string bytes_to_parameter(database& db, const std::string& bytes) {
  return is_postgresql(db) ? core::to_hex(bytes) : bytes;
}

std::string hash_out(database& db, const std::string& column) {
  return is_postgresql(db) ? "encode(" + column + ", 'hex')"
                           : "lower(hex(" + column + "))";
}

std::string hash_to_parameter(database& db, const std::string& hex) {
  if (is_postgresql(db))
    return hex;
  auto bytes = core::from_hex(hex);
  if (!bytes)
    throw std::invalid_argument("a hash to store is not hex");
  return std::move(*bytes);
}

namespace {

/// Formats a UTC time as `YYYY-MM-DD HH:MM:SS.<fraction>`, with `digits`
/// fraction digits, plus an explicit zone for PostgreSQL.
std::string utc_text(database& db, std::time_t secs, long long fraction,
                     int digits) {
  std::tm utc{};
  ::gmtime_r(&secs, &utc);
  char text[48];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d:%02d.%0*lld%s",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, digits, fraction,
                is_postgresql(db) ? "+00" : "");
  return text;
}

} // namespace

std::string now_text(database& db) {
  using namespace std::chrono;
  auto now = db.now();
  auto secs = system_clock::to_time_t(now);
  auto micros =
    duration_cast<microseconds>(now.time_since_epoch()).count() % 1000000;
  return utc_text(db, secs, static_cast<long long>(micros), 6);
}

std::string now_ms_text(database& db) {
  using namespace std::chrono;
  return time_text(
    db, duration_cast<milliseconds>(db.now().time_since_epoch()).count());
}

std::string time_text(database& db, std::int64_t epoch_ms) {
  // Floor division, so times before 1970 keep a fraction in 0..999.
  auto secs = epoch_ms / 1000;
  auto millis = epoch_ms % 1000;
  if (millis < 0) {
    millis += 1000;
    secs -= 1;
  }
  return utc_text(db, static_cast<std::time_t>(secs),
                  static_cast<long long>(millis), 3);
}

std::string epoch_ms_sql(database& db, const std::string& column) {
  if (is_postgresql(db))
    return "CAST(EXTRACT(EPOCH FROM " + column + ") * 1000 AS BIGINT)";
  return "CAST((julianday(" + column + ") - 2440587.5) * 86400000 AS INTEGER)";
}

} // namespace detail
} // namespace awf::persistence

namespace awf::persistence {

read_snapshot::read_snapshot(database& db) : db_(db) {
  try {
    auto& s = detail::session_of(db_);
    if (detail::is_postgresql(db_))
      s << "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
    else
      s << "BEGIN";
    active_ = true;
  } catch (const std::exception&) {
    active_ = false;
  }
}

read_snapshot::~read_snapshot() {
  if (!active_)
    return;
  try {
    detail::session_of(db_) << "COMMIT";
  } catch (const std::exception&) {
    // A failed read-only commit leaves nothing to undo.
  }
}

} // namespace awf::persistence
