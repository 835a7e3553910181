// Shares the run's turn budget (--turns) and target rate (--rate) among all
// saves: each sync up first reserves its turns here and learns when it may
// be sent. Thread-safe and lock-free.
#pragma once

#include <atomic>
#include <cstdint>

#include "tools/load/load_clock.hpp"

namespace awf::load {

class turn_pacer {
public:
  /// `turn_limit` 0 means no limit; `turns_per_s` 0 means no pacing.
  turn_pacer(std::int64_t turn_limit, double turns_per_s);

  /// Sets the moment the first turn is due. Call before any reserve().
  void start(load_clock::time_point at) { start_ = at; }

  struct grant {
    int turns = 0;              ///< 0: the budget is spent.
    load_clock::time_point due; ///< Send no earlier than this.
  };

  /// Reserves up to `wanted` turns. With a rate R, the k-th turn of the run
  /// (counting from 0) is due at start + k/R, so the whole run keeps R
  /// turns per second however the reservations interleave.
  grant reserve(int wanted);

  /// Turns reserved so far (may pass the limit by refused requests).
  std::int64_t reserved() const { return reserved_.load(); }

private:
  std::int64_t turn_limit_;
  double turns_per_s_;
  load_clock::time_point start_{};
  std::atomic<std::int64_t> reserved_{0};
};

} // namespace awf::load
