#include "core/conflict_rules.hpp"

#include <array>
#include <utility>

namespace awf::core {

namespace {

constexpr std::array<std::pair<conflict_strategy, std::string_view>, 5>
  strategy_names{{
    {conflict_strategy::server_wins, "server_wins"},
    {conflict_strategy::client_wins, "client_wins"},
    {conflict_strategy::longest_chain, "longest_chain"},
    {conflict_strategy::three_way_merge, "three_way_merge"},
    {conflict_strategy::manual, "manual"},
  }};

} // namespace

std::optional<conflict_strategy>
parse_conflict_strategy(std::string_view name) {
  for (const auto& [strategy, text] : strategy_names)
    if (name == text)
      return strategy;
  return std::nullopt;
}

std::string_view to_string(conflict_strategy strategy) {
  for (const auto& [value, text] : strategy_names)
    if (value == strategy)
      return text;
  return "unknown";
}

std::string_view to_string(branch_choice choice) {
  switch (choice) {
    case branch_choice::server: return "server";
    case branch_choice::client: return "client";
    case branch_choice::merged: return "merged";
  }
  return "unknown";
}

bool is_empty_state(const nlohmann::json& state) {
  return state.is_null() || (state.is_structured() && state.empty());
}

bool is_empty_canonical(std::string_view canonical) {
  return canonical == "null" || canonical == "{}" || canonical == "[]";
}

bool regression_blocked(bool candidate_empty, bool head_empty,
                        bool confirm_regression) {
  return candidate_empty && !head_empty && !confirm_regression;
}

conflict_decision decide_conflict(conflict_strategy strategy,
                                  const branch_summary& server,
                                  const branch_summary& client,
                                  bool confirm_regression) {
  conflict_decision decision;
  decision.reason = std::string{to_string(strategy)};
  bool client_longer = client.last_turn_id > server.last_turn_id;
  switch (strategy) {
    case conflict_strategy::server_wins:
    case conflict_strategy::manual:
      decision.chosen = branch_choice::server;
      return decision;
    case conflict_strategy::three_way_merge:
      // The merged state does not exist yet: the caller guards it.
      decision.chosen = branch_choice::merged;
      decision.client_wins_overlaps = client_longer;
      return decision;
    case conflict_strategy::client_wins:
      decision.chosen = branch_choice::client;
      break;
    case conflict_strategy::longest_chain:
      decision.chosen =
        client_longer ? branch_choice::client : branch_choice::server;
      break;
  }
  if (decision.chosen == branch_choice::client &&
      regression_blocked(client.empty_state, server.empty_state,
                         confirm_regression)) {
    decision.chosen = branch_choice::server;
    decision.reason = "regression_guard";
  }
  return decision;
}

} // namespace awf::core
