#include "net/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace awf::net {

namespace {

/// How often idle buckets are looked for.
constexpr auto prune_interval = std::chrono::seconds{60};

double seconds_between(rate_limiter::clock_type::time_point from,
                       rate_limiter::clock_type::time_point to) {
  // A clock that went backwards (or an injected earlier time) refills nothing.
  if (to <= from)
    return 0.0;
  return std::chrono::duration<double>(to - from).count();
}

} // namespace

void rate_limiter::configure(double rate, double burst) {
  std::lock_guard<std::mutex> guard{mutex_};
  rate_ = rate;
  burst_ = burst;
  buckets_.clear();
}

int rate_limiter::acquire(const std::string& key, clock_type::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (rate_ <= 0)
    return 0;
  // A burst below one token would refuse everything; one request is the
  // smallest burst that still means "rate per second".
  auto capacity = std::max(burst_, 1.0);
  prune(now);
  auto [it, fresh] = buckets_.try_emplace(key, bucket{capacity, now});
  auto& b = it->second;
  if (!fresh) {
    b.tokens =
      std::min(capacity, b.tokens + rate_ * seconds_between(b.last, now));
    b.last = std::max(b.last, now);
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  auto wait = (1.0 - b.tokens) / rate_;
  return std::max(1, static_cast<int>(std::ceil(wait)));
}

void rate_limiter::prune(clock_type::time_point now) {
  // Callers hold mutex_. A bucket that has refilled completely is the same
  // as no bucket, so forgetting it changes no answer.
  if (now < last_prune_ + prune_interval)
    return;
  last_prune_ = now;
  auto capacity = std::max(burst_, 1.0);
  std::erase_if(buckets_, [&](const auto& entry) {
    const auto& b = entry.second;
    return b.tokens + rate_ * seconds_between(b.last, now) >= capacity;
  });
}

} // namespace awf::net
