// A wall clock for persistence tests: the real time plus whatever a test
// advanced it by, so that "later" needs no sleep, while rows the database
// stamps itself (raw SQL in tests) stay in order with the ones it stamps.
// Each reading is at least a microsecond after the last.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

#include "persistence/wall_clock.hpp"

namespace awf::test {

class test_clock {
public:
  std::chrono::system_clock::time_point now() {
    using namespace std::chrono;
    auto real =
      duration_cast<microseconds>(system_clock::now().time_since_epoch())
        .count();
    auto want = real + offset_.load();
    auto last = last_.load();
    while (!last_.compare_exchange_weak(last, std::max(want, last + 1))) {
    }
    return system_clock::time_point{microseconds{std::max(want, last + 1)}};
  }

  void advance(std::chrono::microseconds by) { offset_ += by.count(); }

  /// A clock for database_options; this object must outlive its users.
  persistence::wall_clock wall_clock() {
    return [this] { return now(); };
  }

private:
  std::atomic<std::int64_t> offset_{0};
  std::atomic<std::int64_t> last_{0};
};

} // namespace awf::test
