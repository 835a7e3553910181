#define CAF_SUITE conflict_rules

#include "core/conflict_rules.hpp"

#include "caf/test/unit_test.hpp"

#include <string>

using namespace awf::core;
using json = nlohmann::json;

namespace {

branch_summary branch(std::int64_t last_turn_id, bool empty_state = false) {
  return branch_summary{last_turn_id, empty_state};
}

/// "chosen/reason/overlaps" of a decision, for compact checks.
std::string brief(const conflict_decision& decision) {
  return std::string{to_string(decision.chosen)} + "/" + decision.reason + "/" +
         (decision.client_wins_overlaps ? "client" : "server");
}

std::string decide(conflict_strategy strategy, branch_summary server,
                   branch_summary client, bool confirm = false) {
  return brief(decide_conflict(strategy, server, client, confirm));
}

} // namespace

CAF_TEST(the five wire names parse and print back) {
  for (auto strategy :
       {conflict_strategy::server_wins, conflict_strategy::client_wins,
        conflict_strategy::longest_chain, conflict_strategy::three_way_merge,
        conflict_strategy::manual}) {
    auto parsed = parse_conflict_strategy(to_string(strategy));
    CAF_REQUIRE(parsed.has_value());
    CAF_CHECK(*parsed == strategy);
  }
  CAF_CHECK_EQUAL(to_string(conflict_strategy::server_wins), "server_wins");
  CAF_CHECK_EQUAL(to_string(conflict_strategy::client_wins), "client_wins");
  CAF_CHECK_EQUAL(to_string(conflict_strategy::longest_chain), "longest_chain");
  CAF_CHECK_EQUAL(to_string(conflict_strategy::three_way_merge),
                  "three_way_merge");
  CAF_CHECK_EQUAL(to_string(conflict_strategy::manual), "manual");
}

CAF_TEST(unknown strategy names do not parse) {
  for (auto name : {"", "Server_Wins", "server-wins", "server_wins ", "merge",
                    "three_way", "MANUAL", "regression_guard"})
    CAF_CHECK(!parse_conflict_strategy(name).has_value());
}

CAF_TEST(branch choices print their report names) {
  CAF_CHECK_EQUAL(to_string(branch_choice::server), "server");
  CAF_CHECK_EQUAL(to_string(branch_choice::client), "client");
  CAF_CHECK_EQUAL(to_string(branch_choice::merged), "merged");
}

CAF_TEST(empty states are null and empty containers only) {
  CAF_CHECK(is_empty_state(json(nullptr)));
  CAF_CHECK(is_empty_state(json::object()));
  CAF_CHECK(is_empty_state(json::array()));
  CAF_CHECK(!is_empty_state(json("")));
  CAF_CHECK(!is_empty_state(json(0.0)));
  CAF_CHECK(!is_empty_state(json(false)));
  CAF_CHECK(!is_empty_state(json{{"a", nullptr}}));
  CAF_CHECK(!is_empty_state(json::array({nullptr})));
  CAF_CHECK(is_empty_canonical("null"));
  CAF_CHECK(is_empty_canonical("{}"));
  CAF_CHECK(is_empty_canonical("[]"));
  CAF_CHECK(!is_empty_canonical(""));
  CAF_CHECK(!is_empty_canonical("\"\""));
  CAF_CHECK(!is_empty_canonical("0"));
  CAF_CHECK(!is_empty_canonical("[null]"));
  CAF_CHECK(!is_empty_canonical("{\"a\":1}"));
}

CAF_TEST(the regression guard blocks only an unconfirmed empty candidate) {
  CAF_CHECK(regression_blocked(true, false, false));
  CAF_CHECK(!regression_blocked(true, false, true));
  CAF_CHECK(!regression_blocked(true, true, false));
  CAF_CHECK(!regression_blocked(false, false, false));
  CAF_CHECK(!regression_blocked(false, true, false));
}

CAF_TEST(server wins keeps the head) {
  auto s = conflict_strategy::server_wins;
  CAF_CHECK_EQUAL(decide(s, branch(3), branch(9)), "server/server_wins/server");
  CAF_CHECK_EQUAL(decide(s, branch(9), branch(3)), "server/server_wins/server");
  CAF_CHECK_EQUAL(decide(s, branch(3, true), branch(9)),
                  "server/server_wins/server");
}

CAF_TEST(client wins takes the client branch) {
  auto s = conflict_strategy::client_wins;
  CAF_CHECK_EQUAL(decide(s, branch(9), branch(3)), "client/client_wins/server");
  CAF_CHECK_EQUAL(decide(s, branch(3), branch(9)), "client/client_wins/server");
}

CAF_TEST(longest chain takes the higher last turn and a tie keeps server) {
  auto s = conflict_strategy::longest_chain;
  CAF_CHECK_EQUAL(decide(s, branch(5), branch(6)),
                  "client/longest_chain/server");
  CAF_CHECK_EQUAL(decide(s, branch(6), branch(5)),
                  "server/longest_chain/server");
  CAF_CHECK_EQUAL(decide(s, branch(6), branch(6)),
                  "server/longest_chain/server");
}

CAF_TEST(three way merge picks the overlap winner by longest chain) {
  auto s = conflict_strategy::three_way_merge;
  CAF_CHECK_EQUAL(decide(s, branch(5), branch(6)),
                  "merged/three_way_merge/client");
  CAF_CHECK_EQUAL(decide(s, branch(6), branch(5)),
                  "merged/three_way_merge/server");
  CAF_CHECK_EQUAL(decide(s, branch(6), branch(6)),
                  "merged/three_way_merge/server");
  // The merged state is guarded by the caller, not here.
  CAF_CHECK_EQUAL(decide(s, branch(5), branch(6, true)),
                  "merged/three_way_merge/client");
}

CAF_TEST(manual keeps the head with reason manual) {
  auto s = conflict_strategy::manual;
  CAF_CHECK_EQUAL(decide(s, branch(1), branch(9)), "server/manual/server");
  CAF_CHECK_EQUAL(decide(s, branch(9), branch(1, true)),
                  "server/manual/server");
}

CAF_TEST(an empty client never beats a non empty head unless confirmed) {
  for (const auto& empty : {json(nullptr), json::object(), json::array()}) {
    CAF_MESSAGE("empty client state " << empty.dump());
    auto client = branch(9, is_empty_state(empty));
    auto client_text = branch(9, is_empty_canonical(empty.dump()));
    for (auto c : {client, client_text}) {
      CAF_CHECK_EQUAL(decide(conflict_strategy::client_wins, branch(3), c),
                      "server/regression_guard/server");
      CAF_CHECK_EQUAL(decide(conflict_strategy::longest_chain, branch(3), c),
                      "server/regression_guard/server");
      CAF_CHECK_EQUAL(
        decide(conflict_strategy::client_wins, branch(3), c, true),
        "client/client_wins/server");
      CAF_CHECK_EQUAL(
        decide(conflict_strategy::longest_chain, branch(3), c, true),
        "client/longest_chain/server");
    }
  }
}

CAF_TEST(the guard does not touch outcomes where the server wins anyway) {
  // longest_chain already keeps the server: the reason stays the strategy.
  CAF_CHECK_EQUAL(
    decide(conflict_strategy::longest_chain, branch(9), branch(3, true)),
    "server/longest_chain/server");
  CAF_CHECK_EQUAL(
    decide(conflict_strategy::server_wins, branch(3), branch(9, true)),
    "server/server_wins/server");
}

CAF_TEST(an empty head may be replaced by a non empty client) {
  CAF_CHECK_EQUAL(
    decide(conflict_strategy::client_wins, branch(9, true), branch(3)),
    "client/client_wins/server");
  CAF_CHECK_EQUAL(
    decide(conflict_strategy::longest_chain, branch(3, true), branch(9)),
    "client/longest_chain/server");
  // Both empty: nothing regresses.
  CAF_CHECK_EQUAL(
    decide(conflict_strategy::client_wins, branch(3, true), branch(9, true)),
    "client/client_wins/server");
}
