// Private to persistence/: how a SQLite connection waits for a lock another
// connection holds. SQLite's own busy timeout sleeps 1, 2, 5, 10, 15, 20,
// 25, 25, 25, 50, 50 and then 100 ms between tries: a commit that finds the
// write lock taken for a millisecond (another connection's short write)
// often sleeps 10 to 100 ms longer than the lock was held, which showed as
// a sync-up p95 of 200-300 ms at a tenth of the server's capacity. These
// waits grow from 50 µs to at most 1 ms, so a waiter follows the lock.
#pragma once

#include <chrono>

namespace awf::persistence::detail {

/// How long the wait after `tries` failed tries for one lock sleeps.
std::chrono::microseconds busy_sleep(int tries);

/// Installs the wait on the connection `db` (a `sqlite3*`; SOCI declares
/// that type in a namespace of its own): it gives up (SQLITE_BUSY) once the
/// sleeps of one wait add up to `timeout_ms`.
void install_busy_wait(void* db, int timeout_ms);

} // namespace awf::persistence::detail
