#define CAF_SUITE conflict_checks

#include "tools/load/conflict_checks.hpp"

#include "caf/test/unit_test.hpp"

#include "core/canonical_json.hpp"
#include "core/json_patch.hpp"

using namespace awf::load;
using json = nlohmann::json;
using awf::core::chain_head;

namespace {

json head(const chain_head& h) {
  return {{"turn_id", h.turn_id}, {"chain_hash", h.chain_hash}};
}

struct fixture {
  branch_sync sync{"save-1",       "dev-1",         "longest_chain",
                   {2, "chain-2"}, {4, "chain-4s"}, {5, "chain-5c"}};

  json report(const std::string& chosen, const std::string& strategy) {
    return {{"conflict_id", "c-1"},
            {"save_id", sync.save_id},
            {"fork_turn", sync.base.turn_id},
            {"strategy", strategy},
            {"branches",
             {{{"branch_id", "server"},
               {"turn_id", sync.server_head.turn_id},
               {"chain_hash", sync.server_head.chain_hash},
               {"device_id", nullptr},
               {"integrity_score", 1.0}},
              {{"branch_id", "client"},
               {"turn_id", sync.branch_head.turn_id},
               {"chain_hash", sync.branch_head.chain_hash},
               {"device_id", sync.device_id},
               {"integrity_score", 1.0}}}},
            {"resolution",
             {{"chosen_branch", chosen},
              {"archived_branch", chosen == "client" ? "server" : "client"},
              {"archive_id", "a-1"},
              {"reason", strategy},
              {"conflicting_paths", json::array({"/player/hp"})}}}};
  }

  json resolved(const std::string& chosen, const chain_head& at,
                json accepted = json::array()) {
    return {{"status", "resolved"},
            {"head", head(at)},
            {"accepted", std::move(accepted)},
            {"conflict", report(chosen, sync.strategy)}};
  }

  json manual(const std::string& strategy) {
    return {{"error",
             {{"code", "conflict_manual"},
              {"message", "archived"},
              {"details",
               {{"conflict", report("server", strategy)},
                {"head", head(sync.server_head)}}}}}};
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(conflict_checks_tests, fixture)

CAF_TEST(each strategy picks its branch) {
  CAF_CHECK_EQUAL(expected_choice("server_wins", 4, 5), "server");
  CAF_CHECK_EQUAL(expected_choice("client_wins", 4, 3), "client");
  CAF_CHECK_EQUAL(expected_choice("longest_chain", 4, 5), "client");
  CAF_CHECK_EQUAL(expected_choice("longest_chain", 4, 4), "server");
  CAF_CHECK_EQUAL(expected_choice("three_way_merge", 4, 5), "merged");
  CAF_CHECK_EQUAL(expected_choice("manual", 4, 5), "manual");
  CAF_CHECK(expected_choice("newest", 4, 5).empty());
}

CAF_TEST(a 409 conflict_manual keeps the server head) {
  for (auto* strategy : {"manual", "longest_chain"}) {
    auto out = read_conflict_outcome(manual(strategy), sync);
    CAF_REQUIRE(out);
    CAF_CHECK(out->manual);
    CAF_CHECK(out->winner == conflict_winner::server);
    CAF_CHECK_EQUAL(out->head, sync.server_head);
    CAF_CHECK_EQUAL(out->accepted_turns, 0);
  }
  // As an error frame: the same error object.
  auto frame = manual("manual");
  frame["type"] = "error";
  frame["req_id"] = "1.2";
  CAF_CHECK(is_conflict_manual(frame));
  CAF_CHECK(read_conflict_outcome(frame, sync));
}

CAF_TEST(a resolved longest chain takes the longer client branch) {
  auto out = read_conflict_outcome(
    resolved("client", sync.branch_head, {3, 4, 5}), sync);
  CAF_REQUIRE(out);
  CAF_CHECK(!out->manual);
  CAF_CHECK(out->winner == conflict_winner::client);
  CAF_CHECK_EQUAL(out->accepted_turns, 3);
  // Not all of the branch accepted: an error.
  CAF_CHECK(
    !read_conflict_outcome(resolved("client", sync.branch_head, {3, 4}), sync));
  // The longer client branch must win under longest_chain.
  CAF_CHECK(!read_conflict_outcome(resolved("server", sync.server_head), sync));
}

CAF_TEST(server wins and merges) {
  sync.strategy = "server_wins";
  auto kept = read_conflict_outcome(resolved("server", sync.server_head), sync);
  CAF_REQUIRE(kept);
  CAF_CHECK(kept->winner == conflict_winner::server);
  sync.strategy = "three_way_merge";
  auto merged = read_conflict_outcome(
    resolved("merged", {sync.server_head.turn_id + 1, "chain-5m"}), sync);
  CAF_REQUIRE(merged);
  CAF_CHECK(merged->winner == conflict_winner::merged);
  CAF_CHECK_EQUAL(merged->head.turn_id, 5);
  // A merge that changed nothing leaves the server's head.
  auto noop = read_conflict_outcome(resolved("merged", sync.server_head), sync);
  CAF_REQUIRE(noop);
  CAF_CHECK(noop->winner == conflict_winner::server);
  // A merged head elsewhere is not a merge on the server head.
  CAF_CHECK(!read_conflict_outcome(resolved("merged", {7, "x"}), sync));
}

CAF_TEST(replies that do not fit are errors) {
  // Another error.
  json gap = {{"error", {{"code", "turn_gap"}, {"message", "gap"}}}};
  auto out = read_conflict_outcome(gap, sync);
  CAF_REQUIRE(!out);
  CAF_CHECK(out.error().find("turn_gap") != std::string::npos);
  // A fast forward on a stale base.
  json ff = {{"status", "fast_forward"},
             {"head", head(sync.branch_head)},
             {"accepted", {3, 4, 5}},
             {"conflict", nullptr}};
  CAF_CHECK(!read_conflict_outcome(ff, sync));
  // Manual must not be resolved.
  sync.strategy = "manual";
  CAF_CHECK(!read_conflict_outcome(resolved("server", sync.server_head), sync));
  sync.strategy = "longest_chain";
  auto good = resolved("client", sync.branch_head, {3, 4, 5});
  auto broken = [&](auto change) {
    auto reply = good;
    change(reply);
    return !read_conflict_outcome(reply, sync);
  };
  CAF_CHECK(broken([](json& r) { r["conflict"] = nullptr; }));
  CAF_CHECK(broken([](json& r) { r.erase("head"); }));
  CAF_CHECK(broken([](json& r) { r["head"]["chain_hash"] = "other"; }));
  CAF_CHECK(broken([](json& r) { r["conflict"]["save_id"] = "save-2"; }));
  CAF_CHECK(broken([](json& r) { r["conflict"]["fork_turn"] = 3; }));
  CAF_CHECK(broken([](json& r) { r["conflict"]["strategy"] = "server_wins"; }));
  CAF_CHECK(broken([](json& r) { r["conflict"].erase("conflict_id"); }));
  CAF_CHECK(
    broken([](json& r) { r["conflict"]["branches"][0]["chain_hash"] = "x"; }));
  CAF_CHECK(broken(
    [](json& r) { r["conflict"]["branches"][1]["device_id"] = "dev-2"; }));
  CAF_CHECK(broken([](json& r) { r["conflict"]["branches"].erase(1); }));
  CAF_CHECK(broken([](json& r) {
    r["conflict"]["resolution"]["archived_branch"] = "client";
  }));
  CAF_CHECK(broken(
    [](json& r) { r["conflict"]["resolution"]["chosen_branch"] = "server"; }));
  CAF_CHECK(
    broken([](json& r) { r["conflict"]["resolution"].erase("archive_id"); }));
  CAF_CHECK(broken([](json& r) {
    r["conflict"]["resolution"]["conflicting_paths"] = {"player"};
  }));
  CAF_CHECK(broken([](json& r) { r.erase("accepted"); }));
  CAF_CHECK(!broken([](json& r) { r["accepted"] = {3.0, 4.0, 5.0}; }));
  // A 409 may not move the head.
  auto moved = manual("manual");
  moved["error"]["details"]["head"] = head(sync.branch_head);
  CAF_CHECK(!read_conflict_outcome(moved, sync));
}

CAF_TEST(the merged turn is read back and checked) {
  chain_head from{4, awf::core::chain_genesis("s")};
  json before = {{"a", 1}, {"b", 2}};
  json after = {{"a", 1}, {"b", 3}};
  auto hash = awf::core::state_hash(awf::core::canonicalize(after));
  chain_head merged{5, awf::core::chain_next(from.chain_hash, 5, hash)};
  auto turn = json{{"turn_id", 5},
                   {"patch", awf::core::diff(before, after)},
                   {"state_hash", hash},
                   {"chain_hash", merged.chain_hash}};
  json body = {{"head", head(merged)}, {"turns", {turn}}, {"more", false}};
  auto out = read_merged_turn(body, from, before, merged);
  CAF_REQUIRE(out);
  CAF_CHECK_EQUAL(out->state, after);
  CAF_CHECK_EQUAL(out->state_hash, hash);
  // As a whole state, or as a snapshot.
  auto whole = body;
  whole["turns"][0].erase("patch");
  whole["turns"][0]["state"] = after;
  CAF_CHECK(read_merged_turn(whole, from, before, merged));
  json snap = {{"head", head(merged)},
               {"snapshot", whole["turns"][0]},
               {"turns", json::array()}};
  CAF_CHECK(read_merged_turn(snap, from, before, merged));
  // Wrong hash, another chain, another head, a patch that does not apply.
  auto bad_hash = whole;
  bad_hash["turns"][0]["state"] = before;
  CAF_CHECK(!read_merged_turn(bad_hash, from, before, merged));
  chain_head elsewhere{4, "other"};
  CAF_CHECK(!read_merged_turn(body, elsewhere, before, merged));
  CAF_CHECK(!read_merged_turn(body, from, before, {5, "x"}));
  CAF_CHECK(!read_merged_turn(body, from, json{{"c", 1}}, merged));
  auto two = body;
  two["turns"].push_back(turn);
  CAF_CHECK(!read_merged_turn(two, from, before, merged));
}

CAF_TEST_FIXTURE_SCOPE_END()
