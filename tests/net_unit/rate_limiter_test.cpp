#define CAF_SUITE rate_limiter

#include "net/rate_limiter.hpp"

#include "caf/test/unit_test.hpp"

using namespace awf::net;
using namespace std::chrono_literals;

namespace {

struct fixture {
  // Injected time points: the tests never read the clock.
  rate_limiter::clock_type::time_point t0{std::chrono::hours{1}};
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(rate_limiter_tests, fixture)

CAF_TEST(a full bucket allows a burst then refuses) {
  rate_limiter limiter{1.0, 3.0};
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 1);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 1);
}

CAF_TEST(tokens refill at the rate up to the burst) {
  rate_limiter limiter{2.0, 2.0};
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_NOT_EQUAL(limiter.acquire("dev", t0), 0);
  // Half a second at 2/s gives one token back.
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0 + 500ms), 0);
  CAF_CHECK_NOT_EQUAL(limiter.acquire("dev", t0 + 500ms), 0);
  // A long pause refills only up to the burst.
  auto later = t0 + 1h;
  CAF_CHECK_EQUAL(limiter.acquire("dev", later), 0);
  CAF_CHECK_EQUAL(limiter.acquire("dev", later), 0);
  CAF_CHECK_NOT_EQUAL(limiter.acquire("dev", later), 0);
}

CAF_TEST(retry after is the whole seconds until the next token) {
  rate_limiter limiter{0.25, 1.0}; // one token every 4 s
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 4);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0 + 2s), 2);     // 0.5 token
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0 + 3500ms), 1); // 1/8 s left
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0 + 4s), 0);
  // A refusal takes no token: the wait does not grow with retries.
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0 + 4s), 4);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0 + 4s), 4);
}

CAF_TEST(keys have independent buckets) {
  rate_limiter limiter{1.0, 1.0};
  CAF_CHECK_EQUAL(limiter.acquire("a", t0), 0);
  CAF_CHECK_NOT_EQUAL(limiter.acquire("a", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("b", t0), 0);
  CAF_CHECK_NOT_EQUAL(limiter.acquire("b", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("c", t0), 0);
}

CAF_TEST(a rate of zero or less disables limiting) {
  for (double rate : {0.0, -1.0}) {
    rate_limiter limiter{rate, 1.0};
    for (int i = 0; i < 1000; ++i)
      CAF_REQUIRE_EQUAL(limiter.acquire("dev", t0), 0);
  }
  rate_limiter limiter{1.0, 1.0};
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_NOT_EQUAL(limiter.acquire("dev", t0), 0);
  limiter.configure(0.0, 0.0);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
}

CAF_TEST(configure starts every bucket afresh) {
  rate_limiter limiter{1.0, 1.0};
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  limiter.configure(1.0, 5.0);
  for (int i = 0; i < 5; ++i)
    CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_NOT_EQUAL(limiter.acquire("dev", t0), 0);
}

CAF_TEST(forgetting idle buckets changes no answer) {
  rate_limiter limiter{1.0, 2.0};
  CAF_CHECK_EQUAL(limiter.acquire("idle", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("busy", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("busy", t0), 0);
  // Two minutes later a prune runs: "idle" has refilled and is dropped, so
  // it starts with a full burst, exactly as if it had been kept.
  auto later = t0 + 2min;
  CAF_CHECK_EQUAL(limiter.acquire("idle", later), 0);
  CAF_CHECK_EQUAL(limiter.acquire("idle", later), 0);
  CAF_CHECK_NOT_EQUAL(limiter.acquire("idle", later), 0);
}

CAF_TEST(an earlier time point refills nothing) {
  rate_limiter limiter{1.0, 1.0};
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0), 0);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0 - 10s), 1);
  CAF_CHECK_EQUAL(limiter.acquire("dev", t0 + 1s), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
