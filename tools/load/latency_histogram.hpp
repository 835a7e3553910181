// Latency samples in logarithmic buckets: bounded memory however long the
// run, mergeable, and percentiles within 0.5% of the exact value.
#pragma once

#include <cstdint>
#include <vector>

namespace awf::load {

/// A histogram of latencies in milliseconds. Buckets grow by 1% from 1 µs to
/// about 20 minutes; a value is reported as its bucket's geometric middle,
/// clamped to the smallest and largest value recorded (kept exactly). Not
/// thread-safe.
class latency_histogram {
public:
  latency_histogram();

  /// Adds one sample; negative values count as 0.
  void record(double ms);

  /// Adds every sample of `other`.
  void merge(const latency_histogram& other);

  /// Forgets every sample.
  void clear();

  std::int64_t count() const { return count_; }

  /// The smallest sample, 0 when empty.
  double min_ms() const { return count_ > 0 ? min_ : 0; }

  /// The largest sample, 0 when empty.
  double max_ms() const { return count_ > 0 ? max_ : 0; }

  /// The arithmetic mean, 0 when empty.
  double mean_ms() const { return count_ > 0 ? sum_ / count_ : 0; }

  /// The nearest-rank percentile `p` (0..100): the smallest sample such that
  /// at least p% of the samples are at most it. 0 when empty;
  /// percentile(100) is the exact maximum, percentile(0) the exact minimum.
  double percentile(double p) const;

private:
  std::vector<std::int64_t> buckets_;
  std::int64_t count_ = 0;
  double sum_ = 0;
  double min_ = 0;
  double max_ = 0;
};

} // namespace awf::load
