#include "persistence/detail/sqlite_busy_wait.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <thread>

namespace awf::persistence::detail {

namespace {

constexpr std::chrono::microseconds first_sleep{50};
constexpr std::chrono::microseconds longest_sleep{1000};

constexpr int doubling_tries = 5; // 50, 100, 200, 400, 800 µs

/// The sleeps of tries 0..tries-1 added up.
std::chrono::microseconds slept_before(int tries) {
  if (tries <= doubling_tries)
    return first_sleep * ((1 << tries) - 1);
  return first_sleep * ((1 << doubling_tries) - 1) +
         longest_sleep * (tries - doubling_tries);
}

// The timeout travels in the handler's context pointer itself: no state
// to keep alive beside the connection.
int on_busy(void* timeout_ms, int tries) {
  auto budget = std::chrono::milliseconds{
    static_cast<int>(reinterpret_cast<std::intptr_t>(timeout_ms))};
  if (slept_before(tries) >= budget)
    return 0; // give up: SQLITE_BUSY
  std::this_thread::sleep_for(busy_sleep(tries));
  return 1;
}

} // namespace

std::chrono::microseconds busy_sleep(int tries) {
  if (tries >= doubling_tries)
    return longest_sleep;
  return first_sleep * (1 << tries);
}

void install_busy_wait(void* db, int timeout_ms) {
  sqlite3_busy_handler(
    static_cast<sqlite3*>(db), on_busy,
    reinterpret_cast<void*>(static_cast<std::intptr_t>(timeout_ms)));
}

} // namespace awf::persistence::detail
