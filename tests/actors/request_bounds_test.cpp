// The bounds on the work one request may make the engine do: a request the
// edge has given up on (its deadline passed) stops between turns and before
// its commit and stores nothing, whichever step the deadline passes at; a
// sync up may rebuild only so many bytes of states in all; and the hold a
// request carries (the edge's admission slot) lives until the engine has
// dropped the work. The engine's clock is injected: the deadline passes
// after a chosen number of looks at it, never by waiting.
#define CAF_SUITE request_bounds

#include "caf/test/unit_test.hpp"

#include <atomic>
#include <memory>

#include <caf/scoped_actor.hpp>

#include "actors/conflict_messages.hpp"
#include "actors/request_scope.hpp"
#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "tests/actors/engine_fixture.hpp"
#include "tests/support/hostile_patches.hpp"

using namespace awf;
using actors::save_errc;
using clock_type = actors::request_scope::clock_type;

namespace {

/// The deadline the tests give requests, and the engine's time before and
/// after it.
const auto deadline = clock_type::time_point{} + std::chrono::hours{2};
const auto early = clock_type::time_point{} + std::chrono::hours{1};
const auto late = clock_type::time_point{} + std::chrono::hours{3};

/// More looks at the clock than any test takes: the deadline never passes.
constexpr long unlimited = 1L << 40;

nlohmann::json state_of(int turn, const std::string& who) {
  return {{"turn", turn}, {"by", who}, {"pad", std::string(2000, 'x')}};
}

struct fixture : test::engine_fixture {
  /// Looks at the engine's clock left before it shows a time past
  /// `deadline`.
  std::shared_ptr<std::atomic<long>> looks =
    std::make_shared<std::atomic<long>>(unlimited);

  fixture() {
    clock = [looks = looks] { return looks->fetch_sub(1) > 0 ? early : late; };
    start(test::test_options(db.url()));
  }

  /// Runs `request` with the deadline passing after `k` looks at the clock,
  /// then lets the clock run free again.
  template<class F>
  auto with_looks(long k, F request) {
    looks->store(k);
    auto out = request();
    looks->store(unlimited);
    return out;
  }

  /// A save with turns 1..n stored by "server".
  std::string save_with(int n) {
    auto save_id = new_save();
    for (int t = 1; t <= n; ++t)
      if (!service->persist_turn(save_id, t, state_of(t, "server")))
        CAF_FAIL("turn " << t << " was not stored");
    return save_id;
  }

  core::chain_head head_of(const std::string& save_id) {
    auto head = test::value_of(service->materialize(save_id));
    return {head.turn_id, head.chain_hash};
  }

  /// A sync up of whole states first..last by `who` on top of `base`,
  /// within `deadline`.
  static actors::sync_up_request sync_up_of(const std::string& save_id,
                                            core::chain_head base, int first,
                                            int last, const std::string& who) {
    actors::sync_up_request req;
    req.save_id = save_id;
    req.user_id_hash = "user-1";
    req.base = std::move(base);
    for (int t = first; t <= last; ++t) {
      core::incoming_turn turn;
      turn.turn_id = t;
      turn.state = core::canonicalize(state_of(t, who));
      req.turns.push_back(std::move(turn));
    }
    req.scope.deadline = deadline;
    return req;
  }

  std::size_t conflicts_of(const std::string& save_id) {
    auto list = ask<std::vector<persistence::conflict_record>>(
      actors::conflict_atom_v, actors::conflict_query{save_id, 50});
    return test::value_of(std::move(list)).size();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(request_bounds_tests, fixture)

CAF_TEST(a sync up stores all or nothing wherever its deadline passes) {
  bool stopped = false;
  bool finished = false;
  // k = 0: past the deadline on arrival; then one step later each time,
  // through every turn, the check before the commit and the writer's.
  for (long k = 0; k < 200 && !finished; ++k) {
    auto save_id = save_with(1);
    auto base = head_of(save_id);
    auto res = with_looks(k, [&] {
      return ask<actors::sync_up_reply>(
        actors::sync_up_atom_v, sync_up_of(save_id, base, 2, 6, "device"));
    });
    auto head = head_of(save_id);
    if (res) {
      CAF_CHECK_EQUAL(res->head.turn_id, 6);
      CAF_CHECK_EQUAL(head.turn_id, 6);
      finished = true;
    } else {
      CAF_CHECK_EQUAL(actors::error_code(res.error()),
                      save_errc::deadline_exceeded);
      CAF_CHECK(actors::error_message(res.error()).find("nothing was stored") !=
                std::string::npos);
      CAF_CHECK_EQUAL(head, base);
      stopped = true;
    }
    CAF_CHECK(test::value_of(service->verify(save_id, true)).ok);
  }
  CAF_CHECK(stopped);
  CAF_CHECK(finished);
}

CAF_TEST(a settled conflict stores all or
         nothing wherever its deadline passes) {
  bool stopped = false;
  bool finished = false;
  for (long k = 0; k < 400 && !finished; ++k) {
    // The server went on to turn 3; the device forks after turn 1.
    auto save_id = save_with(3);
    auto server_head = head_of(save_id);
    auto fork = test::value_of(service->materialize(save_id, 1));
    auto req = sync_up_of(save_id, {1, fork.chain_hash}, 2, 4, "device");
    req.strategy = "three_way_merge";
    auto res = with_looks(k, [&] {
      return ask<actors::sync_up_reply>(actors::sync_up_atom_v, std::move(req));
    });
    auto head = head_of(save_id);
    if (res) {
      CAF_CHECK_EQUAL(to_string(res->status), "resolved");
      CAF_CHECK_EQUAL(head.turn_id, 4); // the merged turn on the head
      CAF_CHECK_EQUAL(conflicts_of(save_id), 1u);
      finished = true;
    } else {
      CAF_CHECK_EQUAL(actors::error_code(res.error()),
                      save_errc::deadline_exceeded);
      CAF_CHECK_EQUAL(head, server_head);
      CAF_CHECK_EQUAL(conflicts_of(save_id), 0u); // nor report nor archive
      stopped = true;
    }
  }
  CAF_CHECK(stopped);
  CAF_CHECK(finished);
}

CAF_TEST(a sync up may rebuild only so many bytes of states) {
  auto opts = test::test_options(db.url());
  opts.max_sync_rebuild_bytes = 20 * 1024; // about ten of these states
  start(opts);
  auto save_id = save_with(1);
  auto base = head_of(save_id);
  auto refused = ask<actors::sync_up_reply>(
    actors::sync_up_atom_v, sync_up_of(save_id, base, 2, 21, "device"));
  CAF_REQUIRE(!refused);
  CAF_CHECK_EQUAL(actors::error_code(refused.error()),
                  save_errc::payload_too_large);
  auto message = actors::error_message(refused.error());
  CAF_MESSAGE(message);
  CAF_CHECK(message.find("smaller batches") != std::string::npos);
  CAF_CHECK_EQUAL(head_of(save_id), base);
  // The same turns in batches within the budget are fine.
  auto first = ask<actors::sync_up_reply>(
    actors::sync_up_atom_v, sync_up_of(save_id, base, 2, 6, "device"));
  CAF_REQUIRE(first);
  auto second = ask<actors::sync_up_reply>(
    actors::sync_up_atom_v, sync_up_of(save_id, first->head, 7, 11, "device"));
  CAF_REQUIRE(second);
  CAF_CHECK_EQUAL(head_of(save_id).turn_id, 11);
  // The default: twice the state limit, at least 64 MiB.
  actors::engine_options defaults;
  defaults.max_state_bytes = 4 << 20;
  CAF_CHECK_EQUAL(actors::sync_rebuild_limit(defaults), std::size_t{64} << 20);
  defaults.max_state_bytes = std::size_t{200} << 20;
  CAF_CHECK_EQUAL(actors::sync_rebuild_limit(defaults), std::size_t{400} << 20);
}

CAF_TEST(a patch whose edits cost too much stores nothing) {
  auto save_id = new_save();
  CAF_REQUIRE(service->persist_turn(save_id, 1, test::long_array(100000)));
  auto base = head_of(save_id);
  auto add_front = nlohmann::json{{"op", "add"}, {"path", "/0"}, {"value", 1}};
  core::incoming_turn turn;
  turn.turn_id = 2;
  turn.patch = core::canonicalize(test::repeated(add_front, 4000));
  turn.state_hash = std::string(64, '0');
  auto req = test::one_turn_sync_up(save_id, base, std::move(turn));
  req.scope.deadline = deadline;
  auto refused = ask<actors::sync_up_reply>(actors::sync_up_atom_v, req);
  CAF_REQUIRE(!refused);
  CAF_CHECK_EQUAL(actors::error_code(refused.error()),
                  save_errc::payload_too_large);
  CAF_MESSAGE(actors::error_message(refused.error()));
  CAF_CHECK_EQUAL(head_of(save_id), base);
}

CAF_TEST(a full verify stops at its deadline and drops its hold) {
  auto save_id = save_with(40);
  auto hold = std::make_shared<int>(0);
  std::weak_ptr<int> watch = hold;
  actors::request_scope scope{deadline, std::move(hold)};
  // The deadline passes after ten turns were checked.
  auto res = with_looks(10, [&] {
    return ask<actors::verify_report>(actors::verify_atom_v, save_id, true,
                                      actors::any_owner, scope);
  });
  scope.hold.reset();
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(actors::error_code(res.error()),
                  save_errc::deadline_exceeded);
  // Nothing was recorded: the save verifies in full without a deadline.
  auto report = test::value_of(service->verify(save_id, true));
  CAF_CHECK(report.ok);
  CAF_CHECK_EQUAL(report.checked_turns, 40);
  // The same reader answered that one after it had dropped the first: the
  // engine keeps no share of the hold once the work has stopped.
  CAF_CHECK(watch.expired());
  // A stored turn is not rebuilt past the deadline either.
  auto rebuilt = with_looks(0, [&] {
    return ask<actors::materialized_turn>(actors::materialize_atom_v, save_id,
                                          std::int64_t{5}, actors::any_owner,
                                          actors::request_scope{deadline, {}});
  });
  CAF_REQUIRE(!rebuilt);
  CAF_CHECK_EQUAL(actors::error_code(rebuilt.error()),
                  save_errc::deadline_exceeded);
}

CAF_TEST(a restore stores all or nothing wherever its deadline passes) {
  bool stopped = false;
  bool finished = false;
  for (long k = 0; k < 100 && !finished; ++k) {
    auto save_id = save_with(3);
    auto before = head_of(save_id);
    actors::restore_request req;
    req.save_id = save_id;
    req.user_id_hash = actors::any_owner;
    req.turn_id = 1;
    req.scope.deadline = deadline;
    auto res = with_looks(k, [&] {
      return ask<actors::restore_reply>(actors::restore_atom_v, std::move(req));
    });
    auto head = head_of(save_id);
    if (res) {
      CAF_CHECK_EQUAL(head.turn_id, 4);
      finished = true;
    } else {
      CAF_CHECK_EQUAL(actors::error_code(res.error()),
                      save_errc::deadline_exceeded);
      CAF_CHECK_EQUAL(head, before);
      stopped = true;
    }
  }
  CAF_CHECK(stopped);
  CAF_CHECK(finished);
}

CAF_TEST_FIXTURE_SCOPE_END()
