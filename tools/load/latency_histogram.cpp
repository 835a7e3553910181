#include "tools/load/latency_histogram.hpp"

#include <algorithm>
#include <cmath>

namespace awf::load {

namespace {

// Bucket 0 holds samples under 1 µs; bucket i >= 1 holds
// [growth^(i-1), growth^i) µs. 2200 buckets reach about 2.9e9 µs.
constexpr double growth = 1.01;
constexpr std::size_t bucket_count = 2200;

std::size_t bucket_of(double ms) {
  double us = ms * 1000.0;
  if (!(us >= 1.0))
    return 0;
  auto i = static_cast<std::size_t>(std::log(us) / std::log(growth)) + 1;
  return std::min(i, bucket_count - 1);
}

double middle_of(std::size_t bucket) {
  if (bucket == 0)
    return 0.0005;
  return std::pow(growth, static_cast<double>(bucket) - 0.5) / 1000.0;
}

} // namespace

latency_histogram::latency_histogram() : buckets_(bucket_count, 0) {}

void latency_histogram::record(double ms) {
  if (!(ms > 0))
    ms = 0;
  ++buckets_[bucket_of(ms)];
  min_ = count_ == 0 ? ms : std::min(min_, ms);
  max_ = count_ == 0 ? ms : std::max(max_, ms);
  sum_ += ms;
  ++count_;
}

void latency_histogram::merge(const latency_histogram& other) {
  if (other.count_ == 0)
    return;
  for (std::size_t i = 0; i < bucket_count; ++i)
    buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = count_ == 0 ? other.max_ : std::max(max_, other.max_);
  sum_ += other.sum_;
  count_ += other.count_;
}

void latency_histogram::clear() {
  std::fill(buckets_.begin(), buckets_.end(), 0);
  count_ = 0;
  sum_ = min_ = max_ = 0;
}

double latency_histogram::percentile(double p) const {
  if (count_ == 0)
    return 0;
  if (p <= 0)
    return min_;
  if (p >= 100)
    return max_;
  auto rank = static_cast<std::int64_t>(
    std::ceil(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::int64_t>(rank, 1, count_);
  std::int64_t seen = 0;
  for (std::size_t i = 0; i < bucket_count; ++i) {
    seen += buckets_[i];
    if (seen >= rank)
      return std::clamp(middle_of(i), min_, max_);
  }
  return max_;
}

} // namespace awf::load
