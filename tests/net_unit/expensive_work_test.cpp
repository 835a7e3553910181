#define CAF_SUITE expensive_work

#include "net/expensive_work.hpp"

#include "caf/test/unit_test.hpp"

#include <vector>

#include <caf/sec.hpp>

#include "actors/save_errc.hpp"
#include "net/route_support.hpp"

using namespace awf::net;
using namespace std::chrono_literals;

namespace {

struct fixture {
  // Injected time points: the tests never read the clock.
  expensive_work_limiter::clock_type::time_point t0{std::chrono::hours{1}};
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(expensive_work_tests, fixture)

CAF_TEST(a user runs at most k operations at once) {
  expensive_work_limiter limiter{{2, 100.0, 100.0}};
  auto first = limiter.admit("alice", t0);
  auto second = limiter.admit("alice", t0);
  CAF_REQUIRE(first.admitted());
  CAF_REQUIRE(second.admitted());
  CAF_CHECK(first.ticket.held());
  CAF_CHECK_EQUAL(limiter.in_flight("alice"), 2u);
  // The third waits for a slot: Retry-After 1, nothing admitted.
  auto third = limiter.admit("alice", t0);
  CAF_CHECK(!third.admitted());
  CAF_CHECK_EQUAL(third.retry_after_s, 1);
  CAF_CHECK(!third.ticket.held());
  CAF_CHECK_EQUAL(limiter.in_flight("alice"), 2u);
  // Another user is not affected.
  auto bobs = limiter.admit("bob", t0);
  CAF_CHECK(bobs.admitted());
  CAF_CHECK_EQUAL(limiter.in_flight("bob"), 1u);
  // A released slot admits the next one.
  first.ticket.release();
  CAF_CHECK(!first.ticket.held());
  CAF_CHECK_EQUAL(limiter.in_flight("alice"), 1u);
  CAF_CHECK(limiter.admit("alice", t0).admitted());
}

CAF_TEST(a ticket gives its slot back once and when its last copy goes) {
  expensive_work_limiter limiter{{1, 0.0, 1.0}};
  {
    auto admitted = limiter.admit("alice", t0);
    CAF_REQUIRE(admitted.admitted());
    auto copy = admitted.ticket;
    CAF_CHECK(!limiter.admit("alice", t0).admitted());
    copy.release();
    copy.release();
    admitted.ticket.release();
    CAF_CHECK_EQUAL(limiter.in_flight("alice"), 0u);
    auto again = limiter.admit("alice", t0);
    CAF_CHECK(again.admitted());
    CAF_CHECK_EQUAL(limiter.in_flight("alice"), 1u);
    // `again` goes out of scope here without release().
  }
  CAF_CHECK_EQUAL(limiter.in_flight("alice"), 0u);
  CAF_CHECK(limiter.admit("alice", t0).admitted());
}

CAF_TEST(the bucket bounds the rate per user) {
  // One a second, bursts of three, no concurrency bound.
  expensive_work_limiter limiter{{0, 1.0, 3.0}};
  for (int i = 0; i < 3; ++i) {
    auto a = limiter.admit("alice", t0);
    CAF_CHECK(a.admitted());
  }
  auto refused = limiter.admit("alice", t0);
  CAF_CHECK(!refused.admitted());
  CAF_CHECK_EQUAL(refused.retry_after_s, 1);
  CAF_CHECK(limiter.admit("bob", t0).admitted());
  // A second later one more is allowed.
  CAF_CHECK(limiter.admit("alice", t0 + 1s).admitted());
  CAF_CHECK(!limiter.admit("alice", t0 + 1s).admitted());
}

CAF_TEST(retry after counts the seconds until the next token) {
  // One every four seconds (15 a minute): an empty bucket refills in 4 s.
  expensive_work_limiter limiter{{0, 0.25, 1.0}};
  CAF_CHECK(limiter.admit("alice", t0).admitted());
  CAF_CHECK_EQUAL(limiter.admit("alice", t0).retry_after_s, 4);
  CAF_CHECK_EQUAL(limiter.admit("alice", t0 + 1s).retry_after_s, 3);
  CAF_CHECK(limiter.admit("alice", t0 + 4s).admitted());
}

CAF_TEST(an operation refused for concurrency takes no token) {
  expensive_work_limiter limiter{{1, 1.0, 2.0}};
  auto running = limiter.admit("alice", t0);
  CAF_REQUIRE(running.admitted());
  for (int i = 0; i < 10; ++i)
    CAF_CHECK_EQUAL(limiter.admit("alice", t0).retry_after_s, 1);
  running.ticket.release();
  // The second token of the burst is still there.
  CAF_CHECK(limiter.admit("alice", t0).admitted());
}

CAF_TEST(zero limits mean unlimited) {
  expensive_work_limiter limiter{{0, 0.0, 1.0}};
  std::vector<work_ticket> held;
  for (int i = 0; i < 1000; ++i) {
    auto a = limiter.admit("alice", t0);
    CAF_REQUIRE(a.admitted());
    held.push_back(a.ticket);
  }
  CAF_CHECK_EQUAL(limiter.in_flight("alice"), 1000u);
  held.clear();
  CAF_CHECK_EQUAL(limiter.in_flight("alice"), 0u);
}

CAF_TEST(configure replaces the limits) {
  expensive_work_limiter limiter{{0, 0.0, 1.0}};
  limiter.configure({1, 0.0, 1.0});
  auto a = limiter.admit("alice", t0);
  CAF_CHECK(a.admitted());
  CAF_CHECK(!limiter.admit("alice", t0).admitted());
  CAF_CHECK_EQUAL(limiter.limits().max_concurrent, 1u);
}

CAF_TEST(a slot stays taken while the work holds a share of its ticket) {
  expensive_work_limiter limiter{{1, 100.0, 100.0}};
  auto admitted = limiter.admit("alice", t0);
  CAF_REQUIRE(admitted.admitted());
  // The engine keeps a share while it works; the edge's wait runs out.
  auto work = admitted.ticket.share();
  caf::expected<int> timed_out = caf::make_error(caf::sec::request_timeout);
  release_unless_timed_out(admitted.ticket, timed_out);
  admitted.ticket = work_ticket{}; // the edge's copy is gone too
  CAF_CHECK_EQUAL(limiter.in_flight("alice"), 1u);
  CAF_CHECK(!limiter.admit("alice", t0).admitted());
  // The work stopped and dropped its share: the slot is free.
  work.reset();
  CAF_CHECK_EQUAL(limiter.in_flight("alice"), 0u);
  // An answer from the engine (a value or its own error, the deadline's
  // included) means the work is over: the slot is given back at once.
  std::vector<caf::expected<int>> answers;
  answers.emplace_back(1);
  answers.emplace_back(awf::actors::make_save_error(
    awf::actors::save_errc::deadline_exceeded, "stopped"));
  for (const auto& answer : answers) {
    auto next = limiter.admit("alice", t0);
    CAF_REQUIRE(next.admitted());
    auto share = next.ticket.share();
    release_unless_timed_out(next.ticket, answer);
    CAF_CHECK_EQUAL(limiter.in_flight("alice"), 0u);
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
