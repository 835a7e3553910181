// Private to persistence/: the SOCI session behind a database, and helpers
// that turn SOCI exceptions into storage errors.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <soci/soci.h>

#include "persistence/database.hpp"

namespace awf::persistence {

struct database::impl {
  /// The connection's commit hook points at it: declared first, so it
  /// outlives the connection.
  std::shared_ptr<wal_checkpointer> checkpointer;
  soci::session session;
  persistence::dialect kind;
  wall_clock clock;
};

namespace detail {

inline soci::session& session_of(database& db) {
  return db.internals().session;
}

inline bool is_postgresql(database& db) {
  return db.dialect() == dialect::postgresql;
}

/// Runs `fn`, turning any exception into a storage error that names `what`.
template<class F>
auto guarded(const char* what, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return storage_error{storage_errc::failure,
                         std::string{what} + ": " + e.what()};
  }
}

/// A write refused before anything was written (a malformed id, a
/// change of the wrong shape): a `failure` saying why.
inline storage_error invalid(std::string message) {
  return storage_error{storage_errc::failure, std::move(message)};
}

/// Binds the columns of `row` (a reader with `bind(statement&)` and
/// `take()`) to `st`, whose parameters are bound, runs it and returns every
/// row taken.
template<class Row>
auto fetch_all(soci::statement& st, Row& row)
  -> std::vector<decltype(row.take())> {
  row.bind(st);
  st.define_and_bind();
  st.execute(false);
  std::vector<decltype(row.take())> out;
  while (st.fetch())
    out.push_back(row.take());
  return out;
}

/// SQL that reads a byte column portably (PostgreSQL BYTEA travels as hex).
std::string bytes_out(database& db, const std::string& column);

/// SQL that writes a byte parameter portably.
std::string bytes_in(database& db, const std::string& parameter);

/// Converts a value read through `bytes_out` back to raw bytes.
std::string bytes_from_column(database& db, std::string text);

/// Converts raw bytes to what `bytes_in` expects.
std::string bytes_to_parameter(database& db, const std::string& bytes);

// Chain and state hashes of turn rows are stored as their 32 bytes, not as
// 64 hex characters (migration 8); the code and the wire keep hex.

/// SQL that reads a hash column as lowercase hex.
std::string hash_out(database& db, const std::string& column);

/// Converts a hex hash to what `bytes_in` expects. Throws
/// std::invalid_argument if `hex` is not hex.
std::string hash_to_parameter(database& db, const std::string& hex);

/// The connection's time now as a timestamp parameter with microseconds
/// (SQLite's own clock has only milliseconds, too coarse to order updates).
std::string now_text(database& db);

/// The connection's time now in milliseconds, as time_text writes it (the
/// precision of SQLite's own timestamps, three bytes shorter per row).
std::string now_ms_text(database& db);

/// Unix milliseconds as a timestamp parameter, to compare with timestamp
/// columns (text on SQLite, so the format must match what is stored).
std::string time_text(database& db, std::int64_t epoch_ms);

/// SQL reading a timestamp column as Unix milliseconds.
std::string epoch_ms_sql(database& db, const std::string& column);

} // namespace detail
} // namespace awf::persistence
