#define CAF_SUITE sync_metrics

#include "net/sync_metrics.hpp"

#include "caf/test/unit_test.hpp"

#include <cmath>
#include <cstdint>

using namespace awf::net;

namespace {

/// True when `reported` is the bucket bound of `truth`: not below it, and at
/// most 10 % above (the histogram's promise).
bool within_bound(double reported_ms, double truth_ms) {
  return reported_ms >= truth_ms && reported_ms <= truth_ms * 1.1 + 1e-9;
}

} // namespace

CAF_TEST(an empty histogram answers zero) {
  latency_histogram h;
  CAF_CHECK_EQUAL(h.count(), 0u);
  CAF_CHECK_EQUAL(h.quantile_ms(0.5), 0.0);
  CAF_CHECK_EQUAL(h.quantile_ms(0.99), 0.0);
}

CAF_TEST(quantiles of known samples are within the bucket bound) {
  latency_histogram h;
  // 1 ms, 2 ms, ..., 1000 ms, recorded in a scrambled order.
  for (std::uint64_t i = 0; i < 1000; ++i)
    h.record(((i * 617) % 1000 + 1) * 1000);
  CAF_CHECK_EQUAL(h.count(), 1000u);
  // Nearest rank: the q quantile of 1..1000 ms is ceil(q * 1000) ms.
  for (double q : {0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 1.0}) {
    auto truth = std::max(1.0, std::ceil(q * 1000));
    auto reported = h.quantile_ms(q);
    CAF_MESSAGE("q=" << q << " truth=" << truth << " reported=" << reported);
    CAF_CHECK(within_bound(reported, truth));
  }
}

CAF_TEST(quantiles grow with q) {
  latency_histogram h;
  for (std::uint64_t us : {50u, 700u, 3000u, 45000u, 45000u, 900000u})
    h.record(us);
  double last = 0.0;
  for (int i = 0; i <= 100; ++i) {
    auto v = h.quantile_ms(i / 100.0);
    CAF_CHECK(v >= last);
    last = v;
  }
  CAF_CHECK(within_bound(h.quantile_ms(0.0), 0.05));
  CAF_CHECK(within_bound(h.quantile_ms(1.0), 900.0));
}

CAF_TEST(one sample answers every quantile) {
  latency_histogram h;
  h.record(123456);
  for (double q : {0.0, 0.5, 1.0})
    CAF_CHECK(within_bound(h.quantile_ms(q), 123.456));
}

CAF_TEST(extremes land in the first and last buckets) {
  latency_histogram h;
  h.record(0);
  CAF_CHECK(h.quantile_ms(0.5) > 0.0);
  CAF_CHECK(h.quantile_ms(0.5) <= 0.01 + 1e-12);
  latency_histogram slow;
  slow.record(std::uint64_t{3600} * 1000000); // an hour
  auto v = slow.quantile_ms(0.5);
  CAF_CHECK(std::isfinite(v));
  CAF_CHECK(v > 30000.0); // beyond the engine's 30 s timeout
}

CAF_TEST(out of range quantiles are clamped) {
  latency_histogram h;
  h.record(1000);
  h.record(9000);
  CAF_CHECK_EQUAL(h.quantile_ms(-1.0), h.quantile_ms(0.0));
  CAF_CHECK_EQUAL(h.quantile_ms(2.0), h.quantile_ms(1.0));
}
