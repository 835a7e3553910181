#define CAF_SUITE random_history

#include "caf/test/unit_test.hpp"

#include <map>

#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "core/json_patch.hpp"
#include "persistence/store_stats.hpp"
#include "tests/actors/engine_fixture.hpp"
#include "tests/actors/state_generator.hpp"

using namespace awf;

namespace {

struct fixture : test::engine_fixture {
  /// Persists `turns` random states, every third one as a device's sync up
  /// of the JSON Patch from the state before, the others whole; returns
  /// their canonical bytes by turn.
  std::vector<std::string> persist_random(const std::string& save_id, int turns,
                                          unsigned seed) {
    test::state_generator gen{seed};
    std::vector<std::string> expected{""}; // turn 0: no state
    nlohmann::json before;
    core::chain_head head;
    for (int t = 1; t <= turns; ++t) {
      const auto& state = gen.next();
      expected.push_back(core::canonicalize(state));
      if (t % 3 == 0) {
        core::incoming_turn turn;
        turn.turn_id = t;
        turn.patch = core::canonicalize(core::diff(before, state));
        turn.state_hash = core::state_hash(expected.back());
        auto up = ask<actors::sync_up_reply>(
          actors::sync_up_atom_v,
          test::one_turn_sync_up(save_id, head, std::move(turn)));
        if (!up)
          CAF_FAIL("turn " << t << ": " << actors::error_message(up.error()));
        head = up->head;
      } else {
        auto ack = service->persist_turn(save_id, t, state);
        if (!ack)
          CAF_FAIL("turn " << t << ": " << actors::error_message(ack.error()));
        head = ack->head;
      }
      before = state;
    }
    return expected;
  }

  /// How many turns of the store are kept each way.
  std::map<std::string, std::int64_t> stored_kinds() {
    auto totals =
      ask<persistence::store_totals>(actors::stats_atom_v, std::string{});
    if (!totals)
      CAF_FAIL(actors::error_message(totals.error()));
    return totals->turns_by_kind;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(random_history_tests, fixture)

CAF_TEST(a thousand random turns rebuild byte for byte) {
  auto save_id = new_save();
  auto expected = persist_random(save_id, 1000, 4242);
  // All three storage paths must have been taken.
  auto kinds = stored_kinds();
  CAF_CHECK_GREATER(kinds["snapshot"], 40);
  CAF_CHECK_GREATER(kinds["json_patch"], 0);
  CAF_CHECK_GREATER(kinds["zstd_delta"], 0);
  auto chain =
    core::chain_genesis(service->list_saves("user-1")->front().session_id);
  int mismatches = 0;
  for (std::int64_t t = 1; t <= 1000; ++t) {
    auto got = service->materialize(save_id, t);
    CAF_REQUIRE(got);
    chain = core::chain_next(chain, t, core::state_hash(expected[t]));
    if (got->canonical != expected[t] || got->chain_hash != chain ||
        got->state_hash != core::state_hash(expected[t]))
      ++mismatches;
  }
  CAF_CHECK_EQUAL(mismatches, 0);
  auto report = service->verify(save_id, true);
  CAF_REQUIRE(report);
  CAF_CHECK(report->ok);
  CAF_CHECK_EQUAL(report->checked_turns, 1000);
  CAF_CHECK_EQUAL(report->head.turn_id, 1000);
  CAF_CHECK_EQUAL(report->head.chain_hash, chain);
}

CAF_TEST(history survives a restart of the engine) {
  auto save_id = new_save();
  auto expected = persist_random(save_id, 120, 7);
  start(test::test_options(db.url()));
  for (std::int64_t t : {1, 2, 25, 26, 60, 119, 120}) {
    auto got = service->materialize(save_id, t);
    CAF_REQUIRE(got);
    CAF_CHECK_EQUAL(got->canonical, expected[t]);
  }
  // The head loads from the store and the chain continues from it.
  test::state_generator gen{99};
  auto ack = service->persist_turn(save_id, 121, gen.next());
  CAF_REQUIRE(ack);
  CAF_CHECK_EQUAL(ack->head.turn_id, 121);
  CAF_CHECK(service->verify(save_id, true)->ok);
}

CAF_TEST(diffs over the size limit become snapshots) {
  auto opts = test::test_options(db.url());
  opts.encode.max_diff_bytes = 64;
  start(opts);
  auto save_id = new_save();
  // Hex digits do not compress below half their size, so the delta of a
  // new 256-digit text is larger than the limit.
  auto digits = [](const std::string& seed) {
    std::string text;
    for (int i = 0; i < 4; ++i)
      text += core::state_hash(seed + std::to_string(i));
    return text;
  };
  nlohmann::json state{{"a", digits("x")}};
  CAF_REQUIRE(service->persist_turn(save_id, 1, state));
  state["a"] = digits("y");
  auto ack = service->persist_turn(save_id, 2, state);
  CAF_REQUIRE(ack);
  CAF_CHECK_EQUAL(ack->kind, "snapshot");
  state["b"] = 1; // a small patch stays a diff
  ack = service->persist_turn(save_id, 3, state);
  CAF_REQUIRE(ack);
  CAF_CHECK_NOT_EQUAL(ack->kind, "snapshot");
  CAF_CHECK_EQUAL(test::value_of(service->materialize(save_id, 3)).canonical,
                  core::canonicalize(state));
}

CAF_TEST(snapshots come every snapshot_every turns) {
  auto opts = test::test_options(db.url());
  opts.encode.snapshot_every = 5;
  start(opts);
  auto save_id = new_save();
  std::vector<std::string> kinds;
  for (int t = 1; t <= 12; ++t) {
    auto ack = service->persist_turn(
      save_id, t, {{"t", t}, {"pad", std::string(300, 'p')}});
    CAF_REQUIRE(ack);
    kinds.push_back(ack->kind);
  }
  CAF_CHECK_EQUAL(kinds[0], "snapshot");
  CAF_CHECK_NOT_EQUAL(kinds[1], "snapshot");
  CAF_CHECK_EQUAL(kinds[5], "snapshot");  // turn 6 = 1 + 5
  CAF_CHECK_EQUAL(kinds[10], "snapshot"); // turn 11
  CAF_CHECK_NOT_EQUAL(kinds[11], "snapshot");
}

CAF_TEST_FIXTURE_SCOPE_END()
