#define CAF_SUITE push_follower

#include "net/push_follower.hpp"

#include "caf/test/unit_test.hpp"

#include <memory>
#include <string>
#include <vector>

#include "core/sha256.hpp"
#include "net/subscription_hub.hpp"

using namespace awf;
using namespace awf::net;
using json = nlohmann::json;

namespace {

/// A connection that records what the follower asks of it.
struct recording_port : follower_port {
  bool is_closing = false;
  bool sending = true;
  bool fetching = true;
  bool room = true;
  std::vector<shared_frame> pushes;
  std::vector<std::pair<std::string, json>> catch_ups; ///< save, body
  std::vector<std::pair<std::string, int>> failures;   ///< save, status
  struct fetch_call {
    std::string save_id;
    core::chain_head since;
    std::uint64_t generation;
  };
  std::vector<fetch_call> fetches;
  std::vector<int> retries;
  std::vector<std::string> followed;
  std::vector<std::string> unfollowed;

  bool closing() const override { return is_closing; }
  bool can_send() const override { return sending; }
  void send_push(const shared_frame& frame) override {
    pushes.push_back(frame);
  }
  void send_catch_up(const std::string& save_id,
                     const api_outcome& out) override {
    catch_ups.emplace_back(save_id, out.body);
  }
  void send_failure(const std::string& save_id, api_outcome out) override {
    failures.emplace_back(save_id, out.status);
  }
  bool fetch(const std::string& save_id, const core::chain_head& since,
             std::uint64_t generation) override {
    if (!fetching)
      return false;
    fetches.push_back({save_id, since, generation});
    return true;
  }
  bool room_for_page() const override { return room; }
  void retry_later(int seconds) override { retries.push_back(seconds); }
  void follow(const std::string& save_id) override {
    followed.push_back(save_id);
  }
  void unfollow(const std::string& save_id) override {
    unfollowed.push_back(save_id);
  }
};

/// Turn `turn` of the chain named `chain` (its hash made up from both).
core::chain_head at(std::int64_t turn, const std::string& chain = "c") {
  return {turn, core::sha256_hex(chain + std::to_string(turn))};
}

json head_json_of(const core::chain_head& head) {
  return {{"turn_id", head.turn_id}, {"chain_hash", head.chain_hash}};
}

/// A sync down body that brings the client to `head` with turns after
/// `from` (none when from == head).
json down_body(std::int64_t from, const core::chain_head& head,
               bool more = false, const std::string& chain = "c") {
  json turns = json::array();
  for (auto t = from + 1; t <= head.turn_id; ++t)
    turns.push_back(head_json_of(at(t, chain)));
  return {{"head", head_json_of(head)}, {"turns", turns}, {"more", more}};
}

/// The push of turns base+1..head on `chain`.
std::shared_ptr<const push_event> push_of(const std::string& save_id,
                                          std::int64_t base, std::int64_t head,
                                          const std::string& chain = "c") {
  auto e = std::make_shared<push_event>();
  e->save_id = save_id;
  e->base = at(base, chain);
  e->head = at(head, chain);
  for (auto t = base + 1; t <= head; ++t)
    e->turn_chains.push_back(at(t, chain).chain_hash);
  e->frame = std::make_shared<const std::string>(
    "push " + std::to_string(base) + ".." + std::to_string(head));
  return e;
}

api_outcome ok(json body) {
  return {200, std::move(body), 0, {}};
}

struct fixture {
  recording_port port;
  push_follower follower{port};

  /// Subscribes to "s" and answers with a client at turn `turn`.
  void follow_at(std::int64_t turn) {
    auto gen = follower.subscribe("s");
    CAF_REQUIRE(follower.answered("s", gen, down_body(0, at(turn))));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(push_follower_tests, fixture)

CAF_TEST(a push on the known head is sent and moves it) {
  follow_at(3);
  CAF_CHECK_EQUAL(port.followed, std::vector<std::string>{"s"});
  CAF_CHECK_EQUAL(follower.known("s"), at(3));
  follower.push(push_of("s", 3, 5));
  CAF_REQUIRE_EQUAL(port.pushes.size(), 1u);
  CAF_CHECK_EQUAL(*port.pushes[0], "push 3..5");
  CAF_CHECK_EQUAL(follower.known("s"), at(5));
  CAF_CHECK(port.fetches.empty());
  // A push of a save not followed, and one the client already holds, are
  // not sent.
  follower.push(push_of("other", 5, 6));
  follower.push(push_of("s", 3, 4));
  CAF_CHECK_EQUAL(port.pushes.size(), 1u);
  CAF_CHECK(port.fetches.empty());
}

CAF_TEST(a gap or another chain catches up from the known head) {
  follow_at(3);
  follower.push(push_of("s", 4, 5)); // turn 4 never came
  CAF_REQUIRE_EQUAL(port.fetches.size(), 1u);
  CAF_CHECK_EQUAL(port.fetches[0].since, at(3));
  CAF_CHECK(port.pushes.empty());
  // Its answer is sent as one turns message and moves the head.
  follower.fetched("s", port.fetches[0].generation, ok(down_body(3, at(5))));
  CAF_REQUIRE_EQUAL(port.catch_ups.size(), 1u);
  CAF_CHECK_EQUAL(port.catch_ups[0].first, "s");
  CAF_CHECK_EQUAL(port.catch_ups[0].second["turns"].size(), 2u);
  CAF_CHECK_EQUAL(follower.known("s"), at(5));
  // A push of turns it got by the catch-up is not sent again.
  follower.push(push_of("s", 3, 5));
  CAF_CHECK(port.pushes.empty());
  CAF_CHECK_EQUAL(port.fetches.size(), 1u);
  // A head at the same turn on another chain is news.
  follower.push(push_of("s", 4, 5, "x"));
  CAF_CHECK_EQUAL(port.fetches.size(), 2u);
}

CAF_TEST(pushes during a sync down wait and are checked against it) {
  auto gen = follower.subscribe("s");
  follower.push(push_of("s", 2, 3));
  follower.push(push_of("s", 3, 4));
  CAF_CHECK(port.pushes.empty());
  // The sync down answered turn 3: the first push is in it, the second
  // follows it.
  CAF_REQUIRE(follower.answered("s", gen, down_body(0, at(3))));
  CAF_REQUIRE_EQUAL(port.pushes.size(), 1u);
  CAF_CHECK_EQUAL(*port.pushes[0], "push 3..4");
  CAF_CHECK_EQUAL(follower.known("s"), at(4));
  CAF_CHECK(port.fetches.empty());
}

CAF_TEST(too many waiting pushes are dropped for one more catch up) {
  follow_at(1);
  follower.push(push_of("s", 2, 3)); // a gap: a catch-up starts
  CAF_REQUIRE_EQUAL(port.fetches.size(), 1u);
  for (std::int64_t t = 3; t < 3 + 40; ++t)
    follower.push(push_of("s", t, t + 1));
  CAF_CHECK(port.pushes.empty());
  follower.fetched("s", port.fetches[0].generation, ok(down_body(1, at(3))));
  // The dropped pushes are made up by another sync down from turn 3.
  CAF_REQUIRE_EQUAL(port.fetches.size(), 2u);
  CAF_CHECK_EQUAL(port.fetches[1].since, at(3));
  CAF_CHECK(port.pushes.empty());
}

CAF_TEST(the own sync up moves the head only to a state the client holds) {
  follow_at(2);
  // Its turns became the head: no push of them, the head moves.
  follower.own_sync("s", {at(4), true, false});
  CAF_CHECK_EQUAL(follower.known("s"), at(4));
  follower.push(push_of("s", 4, 5));
  CAF_CHECK_EQUAL(port.pushes.size(), 1u);
  // A conflict another branch won: the client reads the new head.
  follower.own_sync("s", {at(6, "m"), false, true});
  CAF_REQUIRE_EQUAL(port.fetches.size(), 1u);
  CAF_CHECK_EQUAL(port.fetches[0].since, at(5));
  // While that sync down runs, a later own sync up asks for another.
  follower.own_sync("s", {at(7, "m"), true, false});
  CAF_CHECK_EQUAL(follower.known("s"), at(5));
  follower.fetched("s", port.fetches[0].generation,
                   ok(down_body(5, at(6, "m"))));
  CAF_CHECK_EQUAL(port.fetches.size(), 2u);
}

CAF_TEST(a refused resubscribe keeps a working subscription) {
  follow_at(2);
  auto gen = follower.subscribe("s");
  follower.push(push_of("s", 2, 3));
  follower.refused("s", gen, 429, 3);
  // Still followed; the push that waited applies.
  CAF_CHECK(port.unfollowed.empty());
  CAF_CHECK_EQUAL(port.pushes.size(), 1u);
  CAF_CHECK_EQUAL(follower.known("s"), at(3));
  // A resubscribe that dropped a running catch-up retries it later.
  follower.push(push_of("s", 4, 5)); // a gap: catch-up runs
  CAF_REQUIRE_EQUAL(port.fetches.size(), 1u);
  gen = follower.subscribe("s");
  follower.refused("s", gen, 503, 7);
  CAF_CHECK_EQUAL(port.retries, std::vector<int>{7});
  follower.retry_stale();
  CAF_REQUIRE_EQUAL(port.fetches.size(), 2u);
  CAF_CHECK_EQUAL(port.fetches[1].since, at(3));
  // A first subscribe refused, or any subscribe denied, ends it.
  gen = follower.subscribe("s");
  follower.refused("s", gen, 404, 0);
  CAF_CHECK_EQUAL(port.unfollowed, std::vector<std::string>{"s"});
  CAF_CHECK(follower.saves().empty());
  gen = follower.subscribe("t");
  follower.refused("t", gen, 429, 1);
  CAF_CHECK(follower.saves().empty());
}

CAF_TEST(an answer to an older subscribe changes nothing) {
  auto first = follower.subscribe("s");
  auto second = follower.subscribe("s");
  CAF_CHECK_NOT_EQUAL(first, second);
  CAF_CHECK_EQUAL(port.followed.size(), 1u); // followed once
  CAF_CHECK(follower.answered("s", first, down_body(0, at(9))));
  CAF_CHECK_EQUAL(follower.known("s"), core::chain_head{});
  CAF_REQUIRE(follower.answered("s", second, down_body(0, at(2))));
  CAF_CHECK_EQUAL(follower.known("s"), at(2));
}

CAF_TEST(a failed catch up ends or retries the subscription) {
  follow_at(1);
  follower.push(push_of("s", 2, 3));
  follower.fetched("s", port.fetches.back().generation,
                   {429, json::object(), 4, {}});
  CAF_CHECK_EQUAL(port.retries, std::vector<int>{4});
  CAF_CHECK(port.failures.empty());
  follower.retry_stale();
  CAF_REQUIRE_EQUAL(port.fetches.size(), 2u);
  follower.fetched("s", port.fetches.back().generation,
                   {410, json::object(), 0, {}});
  CAF_REQUIRE_EQUAL(port.failures.size(), 1u);
  CAF_CHECK_EQUAL(port.failures[0].second, 410);
  CAF_CHECK(follower.saves().empty());
  // A subscribe answer without a head ends it too.
  auto gen = follower.subscribe("t");
  CAF_CHECK(!follower.answered("t", gen, json{{"turns", json::array()}}));
  CAF_CHECK(follower.saves().empty());
}

CAF_TEST(catch up pages wait for room in the queue) {
  auto gen = follower.subscribe("s");
  port.room = false;
  // The first page of a long catch-up: turns 1..2 of 6.
  json page = down_body(0, at(2));
  page["head"] = head_json_of(at(6));
  page["more"] = true;
  CAF_REQUIRE(follower.answered("s", gen, page));
  CAF_CHECK_EQUAL(follower.known("s"), at(2));
  CAF_CHECK(port.fetches.empty());
  CAF_CHECK(follower.has_deferred_pages());
  // Pushes wait meanwhile.
  follower.push(push_of("s", 6, 7));
  CAF_CHECK(port.pushes.empty());
  port.room = true;
  follower.run_deferred_pages();
  CAF_CHECK(!follower.has_deferred_pages());
  CAF_REQUIRE_EQUAL(port.fetches.size(), 1u);
  CAF_CHECK_EQUAL(port.fetches[0].since, at(2));
  follower.fetched("s", port.fetches[0].generation, ok(down_body(2, at(6))));
  CAF_REQUIRE_EQUAL(port.pushes.size(), 1u);
  CAF_CHECK_EQUAL(follower.known("s"), at(7));
}

CAF_TEST(a closing connection sends and fetches nothing) {
  follow_at(1);
  port.sending = false;
  follower.push(push_of("s", 1, 2));
  CAF_CHECK(port.pushes.empty());
  CAF_CHECK_EQUAL(follower.known("s"), at(1));
  port.fetching = false;
  follower.push(push_of("s", 3, 4));
  CAF_CHECK(port.fetches.empty());
  port.is_closing = true;
  port.fetching = true;
  follower.push(push_of("s", 3, 4));
  CAF_CHECK(port.fetches.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
