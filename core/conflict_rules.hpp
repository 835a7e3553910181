// The decision rules of contract §6: which branch wins a conflict under each
// strategy, and the regression guard that keeps empty states from replacing
// real progress. Pure functions; the merge itself is in three_way_merge.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace awf::core {

/// How a sync request asks the server to settle a diverged history.
enum class conflict_strategy {
  server_wins,
  client_wins,
  longest_chain,
  three_way_merge,
  manual,
};

/// Returns the strategy whose wire name is `name`, or nothing for any other
/// text (names are case-sensitive).
std::optional<conflict_strategy> parse_conflict_strategy(std::string_view name);

/// Returns the wire name of `strategy`.
std::string_view to_string(conflict_strategy strategy);

/// Which state becomes the head after a conflict.
enum class branch_choice { server, client, merged };

/// Returns "server", "client" or "merged", as in the conflict report.
std::string_view to_string(branch_choice choice);

/// What the rules need to know about one side of a conflict.
struct branch_summary {
  std::int64_t last_turn_id = 0;
  bool empty_state = false;
};

/// The outcome of `decide_conflict`.
struct conflict_decision {
  /// The branch that becomes the head; `server` for `manual` (the head stays
  /// until a restore).
  branch_choice chosen = branch_choice::server;
  /// The strategy's wire name, or "regression_guard" when the guard
  /// overturned the strategy's outcome.
  std::string reason;
  /// For `three_way_merge`: paths changed on both sides take the client's
  /// value (the client is the `longest_chain` winner; a tie keeps the server).
  bool client_wins_overlaps = false;
};

/// True for the empty states of contract §6: null, {} and [].
bool is_empty_state(const nlohmann::json& state);

/// True for the canonical bytes of an empty state: "null", "{}" or "[]"
/// (canonical text has no whitespace).
bool is_empty_canonical(std::string_view canonical);

/// The regression guard: a candidate whose state is empty never replaces a
/// non-empty head unless the request confirmed the regression.
bool regression_blocked(bool candidate_empty, bool head_empty,
                        bool confirm_regression);

/// Decides a conflict by `strategy`. `server_wins` keeps the server;
/// `client_wins` takes the client; `longest_chain` takes the branch with the
/// higher last turn id, a tie keeping the server; `three_way_merge` chooses
/// `merged` with `client_wins_overlaps` set per `longest_chain`; `manual`
/// keeps the server. Any outcome where the client would win goes to the
/// server with reason "regression_guard" when `regression_blocked` says so.
/// A merged state is not guarded here: the caller applies
/// `regression_blocked` to the merged state once it exists.
conflict_decision decide_conflict(conflict_strategy strategy,
                                  const branch_summary& server,
                                  const branch_summary& client,
                                  bool confirm_regression);

} // namespace awf::core
