// A per-key token bucket (one bucket per device): `rate` requests a second
// on average, bursts up to `burst`. Thread-safe; idle buckets are forgotten.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace awf::net {

class rate_limiter {
public:
  using clock_type = std::chrono::steady_clock;

  /// rate <= 0 disables limiting.
  rate_limiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  /// Changes the limits (before serving).
  void configure(double rate, double burst);

  /// Takes one token for `key`. Returns 0 when allowed, otherwise the whole
  /// seconds (>= 1) to wait before the next token, for Retry-After.
  int acquire(const std::string& key,
              clock_type::time_point now = clock_type::now());

private:
  struct bucket {
    double tokens;
    clock_type::time_point last;
  };

  void prune(clock_type::time_point now);

  std::mutex mutex_;
  double rate_;
  double burst_;
  std::unordered_map<std::string, bucket> buckets_;
  clock_type::time_point last_prune_{};
};

} // namespace awf::net
