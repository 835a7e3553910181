// Counters and latency figures of the sync API, for save/stats and /metrics.
// Thread-safe; latencies are kept in a fixed log-scale histogram.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace awf::net {

class latency_histogram {
public:
  /// Records one duration in microseconds.
  void record(std::uint64_t micros) noexcept;

  /// The `q` quantile (0..1) in milliseconds, 0 when empty (bucket upper
  /// bound: at most ~10 % high).
  double quantile_ms(double q) const noexcept;

  std::uint64_t count() const noexcept;

private:
  static constexpr std::size_t buckets = 160;
  static std::size_t bucket_of(std::uint64_t micros) noexcept;
  static double upper_bound_us(std::size_t bucket) noexcept;
  std::array<std::atomic<std::uint64_t>, buckets> counts_{};
};

struct sync_metrics {
  std::atomic<std::uint64_t> sync_up_ok{0};
  std::atomic<std::uint64_t> sync_up_rejected{0};
  std::atomic<std::uint64_t> sync_down_ok{0};
  std::atomic<std::uint64_t> sync_down_rejected{0};
  std::atomic<std::uint64_t> turns_accepted{0};
  std::atomic<std::uint64_t> conflicts{0};
  std::atomic<std::uint64_t> pushes_sent{0};
  std::atomic<std::uint64_t> slow_consumers_closed{0};
  std::atomic<std::uint64_t> rate_limited{0};
  latency_histogram sync_up_latency;
  latency_histogram sync_down_latency;
};

} // namespace awf::net
