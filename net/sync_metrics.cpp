#include "net/sync_metrics.hpp"

#include <algorithm>
#include <cmath>

namespace awf::net {

namespace {

// Bucket i holds durations in (bound(i-1), bound(i)] with bound(i) =
// first_bound_us * growth^i, and bucket 0 everything up to first_bound_us.
// Reporting a bucket's upper bound is therefore at most 10 % high for
// durations above 10 us; the last bucket (about 38 s) also takes everything
// longer, which the engine's request timeout (30 s) keeps out of reach.
constexpr double first_bound_us = 10.0;
constexpr double growth = 1.1;

} // namespace

double latency_histogram::upper_bound_us(std::size_t bucket) noexcept {
  static const auto bounds = [] {
    std::array<double, buckets> out{};
    for (std::size_t i = 0; i < buckets; ++i)
      out[i] = first_bound_us * std::pow(growth, static_cast<double>(i));
    return out;
  }();
  return bounds[std::min(bucket, buckets - 1)];
}

std::size_t latency_histogram::bucket_of(std::uint64_t micros) noexcept {
  // Binary search for the first bucket whose bound is >= micros.
  std::size_t lo = 0;
  std::size_t hi = buckets - 1;
  auto value = static_cast<double>(micros);
  while (lo < hi) {
    auto mid = lo + (hi - lo) / 2;
    if (upper_bound_us(mid) >= value)
      hi = mid;
    else
      lo = mid + 1;
  }
  return lo;
}

void latency_histogram::record(std::uint64_t micros) noexcept {
  counts_[bucket_of(micros)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t latency_histogram::count() const noexcept {
  std::uint64_t total = 0;
  for (const auto& c : counts_)
    total += c.load(std::memory_order_relaxed);
  return total;
}

double latency_histogram::quantile_ms(double q) const noexcept {
  // One snapshot of the counts, so that concurrent records cannot make the
  // walk below miss its rank.
  std::array<std::uint64_t, buckets> snapshot{};
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < buckets; ++i) {
    snapshot[i] = counts_[i].load(std::memory_order_relaxed);
    total += snapshot[i];
  }
  if (total == 0)
    return 0.0;
  q = std::clamp(std::isnan(q) ? 0.0 : q, 0.0, 1.0);
  // The smallest sample of rank >= q * total (nearest-rank method).
  auto rank = std::max<std::uint64_t>(
    1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total))));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets; ++i) {
    seen += snapshot[i];
    if (seen >= rank)
      return upper_bound_us(i) / 1000.0;
  }
  return upper_bound_us(buckets - 1) / 1000.0;
}

} // namespace awf::net
