// Private to persistence/: SQL functions this project adds to every SQLite
// connection, for what SQLite 3.40 (Debian bookworm) lacks.
#pragma once

namespace awf::persistence::detail {

/// Adds to the connection `db` (a `sqlite3*`):
/// - `awf_unhex(text)`: the bytes written as hex in `text`, as a BLOB (what
///   `unhex` does from SQLite 3.41). Text that is not hex comes back as its
///   own bytes, so a damaged hash stays damaged rather than failing the
///   migration that converts it; NULL stays NULL.
/// Throws std::runtime_error if SQLite refuses.
void install_sqlite_functions(void* db);

} // namespace awf::persistence::detail
