// What a load run measured, shared by every save: accepted turns, sync-up,
// push and conflict latencies, conflicts by outcome, and errors with a few
// sample messages. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/load/conflict_checks.hpp"
#include "tools/load/latency_histogram.hpp"
#include "tools/load/load_clock.hpp"

namespace awf::load {

class load_stats {
public:
  /// Distinct error messages kept for the report.
  static constexpr std::size_t max_error_samples = 10;

  /// One accepted sync up of `turns` turns that took `ms`.
  void record_sync_up(int turns, double ms);

  /// One turn seen by another device `ms` after its sync up was sent.
  void record_push(double ms);

  /// One conflict the server settled as `outcome` for a sync up that took
  /// `ms`; the turns its reply accepted count as accepted turns.
  void record_conflict(const conflict_outcome& outcome, double ms);

  /// One error: a mismatch, an error frame, a non-2xx reply, a transport
  /// failure or a timeout.
  void record_error(std::string_view message);

  std::int64_t turns() const { return turns_.load(); }

  std::int64_t errors() const { return errors_.load(); }

  /// Conflicts by the state at the head afterwards (conflict_winner order).
  std::array<std::int64_t, 3> conflict_winners() const;

  /// Conflicts answered 409 conflict_manual.
  std::int64_t manual_conflicts() const;

  /// The sync-up p95 of the turns since the previous call, in ms (0 when
  /// none), for the once-a-second progress line.
  double take_interval_sync_up_p95();

  latency_histogram sync_up() const;

  latency_histogram push() const;

  /// Latencies of the sync ups answered with a conflict (one sample per
  /// conflict report).
  latency_histogram conflict_resolve() const;

  /// The first distinct error messages with how often each occurred.
  std::vector<std::pair<std::string, std::int64_t>> error_samples() const;

private:
  mutable std::mutex mutex_; ///< Guards the histograms and samples.
  latency_histogram sync_up_;
  latency_histogram interval_sync_up_;
  latency_histogram push_;
  latency_histogram conflict_resolve_;
  std::array<std::int64_t, 3> conflict_winners_{};
  std::int64_t manual_conflicts_ = 0;
  std::vector<std::pair<std::string, std::int64_t>> samples_;
  std::atomic<std::int64_t> turns_{0};
  std::atomic<std::int64_t> errors_{0};
};

} // namespace awf::load
