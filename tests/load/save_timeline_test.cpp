#define CAF_SUITE save_timeline

#include "tools/load/save_timeline.hpp"

#include "caf/test/unit_test.hpp"

#include "core/canonical_json.hpp"
#include "core/json_patch.hpp"
#include "tools/load/chain_tracker.hpp"

using namespace awf::load;
using json = nlohmann::json;

namespace {

timeline_settings small() {
  return {2048, 0.02, 5};
}

/// Replays the played entries on `state` and checks each state hash.
bool replays(json& state, const played_turns& played) {
  auto entries = json::parse(played.entries);
  for (const auto& entry : entries) {
    if (entry.contains("state")) {
      state = entry["state"];
      continue;
    }
    auto next = awf::core::apply_patch(state, entry["patch"]);
    if (!next)
      return false;
    state = std::move(*next);
    if (awf::core::state_hash(awf::core::canonicalize(state)) !=
        entry["state_hash"])
      return false;
  }
  return true;
}

} // namespace

CAF_TEST(whole states follow the phase of the timeline) {
  auto settings = small(); // a whole state every 5 turns
  settings.full_phase = 2;
  save_timeline timeline{"phase", 3, settings};
  auto played = timeline.play(12);
  auto entries = json::parse(played.entries);
  std::vector<std::int64_t> whole;
  for (const auto& entry : entries)
    if (entry.contains("state"))
      whole.push_back(entry["turn_id"].get<std::int64_t>());
  // Turn 1 always, then every turn with (id + 2) divisible by 5.
  CAF_CHECK_EQUAL(whole, (std::vector<std::int64_t>{1, 3, 8}));
  json state;
  CAF_CHECK(replays(state, played));
}

CAF_TEST(a fork plays its own edits on the head it forked from) {
  save_timeline main{"s", 1, small()};
  json replica;
  CAF_REQUIRE(replays(replica, main.play(3)));
  auto fork_head = main.head();
  auto branch = main.fork(99);
  CAF_CHECK_EQUAL(branch.head(), fork_head);
  CAF_CHECK_EQUAL(branch.state(), main.state());
  auto fork_state = replica;
  auto mine = main.play(2);
  auto theirs = branch.play(3);
  CAF_CHECK(replays(replica, mine));
  CAF_CHECK_EQUAL(replica, main.state());
  CAF_CHECK(replays(fork_state, theirs));
  CAF_CHECK_EQUAL(fork_state, branch.state());
  CAF_CHECK_EQUAL(branch.head().turn_id, 6);
  CAF_CHECK_NOT_EQUAL(branch.find(4)->chain_hash, main.find(4)->chain_hash);
  CAF_CHECK(branch.find(3) == nullptr);
  // The branch chains from the fork.
  chain_tracker tracker{fork_head};
  for (std::int64_t t = 4; t <= 6; ++t)
    CAF_CHECK(tracker.append(t, branch.find(t)->state_hash,
                             branch.find(t)->chain_hash));
}

CAF_TEST(adopting a branch replaces the turns after the fork) {
  save_timeline main{"s", 1, small()};
  (void)main.play(3);
  auto branch = main.fork(99);
  (void)main.play(2);
  auto turn2 = *main.find(2);
  (void)branch.play(1);
  auto branch_head = branch.head();
  auto branch_state = branch.state();
  main.adopt(std::move(branch));
  CAF_CHECK_EQUAL(main.head(), branch_head);
  CAF_CHECK_EQUAL(main.state(), branch_state);
  CAF_CHECK_EQUAL(main.find(2)->chain_hash, turn2.chain_hash);
  CAF_CHECK_EQUAL(main.find(4)->chain_hash, branch_head.chain_hash);
  CAF_CHECK(main.find(5) == nullptr);
  // Play goes on from the adopted state, with full turns and patches.
  json state = main.state();
  CAF_CHECK(replays(state, main.play(4)));
  CAF_CHECK_EQUAL(state, main.state());
  CAF_CHECK_EQUAL(main.head().turn_id, 8);
}

CAF_TEST(a merged turn extends the chain with its state) {
  save_timeline main{"s", 1, small()};
  (void)main.play(2);
  auto before = main.head();
  json merged = main.state();
  merged["merged"] = true;
  auto hash = awf::core::state_hash(awf::core::canonicalize(merged));
  awf::core::chain_head head{3,
                             awf::core::chain_next(before.chain_hash, 3, hash)};
  CAF_CHECK(!main.append_merged({3, "wrong"}, merged, hash, {}, 1));
  CAF_CHECK_EQUAL(main.head(), before);
  CAF_REQUIRE(main.append_merged(head, merged, hash, {}, 1));
  CAF_CHECK_EQUAL(main.head(), head);
  CAF_CHECK_EQUAL(main.find(3)->state_hash, hash);
  CAF_CHECK_EQUAL(main.find(3)->sent_by, 1);
  CAF_CHECK_EQUAL(main.state(), merged);
  json state = merged;
  CAF_CHECK(replays(state, main.play(3)));
  CAF_CHECK_EQUAL(state, main.state());
}
