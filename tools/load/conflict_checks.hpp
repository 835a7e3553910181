// Checks of what the server answers when a device that was offline syncs up
// a branch built on a stale head (contract §5 divergence, §6 conflicts):
// the conflict reply, its report, and the turn a three-way merge adds. Pure
// functions; each failure is one sentence for the error report.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "core/result.hpp"

namespace awf::load {

/// Which state the head holds after a conflict.
enum class conflict_winner { server, client, merged };

/// "server", "client" or "merged".
const char* to_string(conflict_winner winner) noexcept;

/// The branch a strategy picks (contract §6) between a server branch
/// ending at turn `server_turn` and a client branch ending at
/// `client_turn`, for states that are not empty: "server", "client",
/// "merged", or "manual" (no choice: 409 conflict_manual). Empty for an
/// unknown strategy.
std::string_view expected_choice(std::string_view strategy,
                                 std::int64_t server_turn,
                                 std::int64_t client_turn);

/// True for an error body or error frame whose code is conflict_manual.
bool is_conflict_manual(const nlohmann::json& reply);

/// What the client knows when an offline device's branch reaches the
/// server.
struct branch_sync {
  std::string save_id;
  std::string device_id;
  std::string strategy;         ///< As sent in the sync up.
  core::chain_head base;        ///< The stale head the branch forked from.
  core::chain_head server_head; ///< The head the other devices built since.
  core::chain_head branch_head; ///< The branch's last turn.
};

/// A conflict as the server settled it.
struct conflict_outcome {
  conflict_winner winner = conflict_winner::server;
  core::chain_head head;           ///< The save's head now.
  bool manual = false;             ///< Answered 409 conflict_manual.
  std::int64_t accepted_turns = 0; ///< Length of the reply's `accepted`.
};

/// Reads the reply to the sync up of a diverged branch: a sync-up response
/// with status "resolved" and a conflict report, or the error body (REST)
/// or error frame (WebSocket) of 409 `conflict_manual` whose `details`
/// hold the report and the head. The report must name the save, fork at
/// the base, carry the branches' heads as the client knows them and a
/// consistent resolution; the head must be the server's head, the
/// branch's, or (three_way_merge) a new turn on the server's head, as the
/// strategy decides. Anything else is an error.
core::result<conflict_outcome, std::string>
read_conflict_outcome(const nlohmann::json& reply, const branch_sync& sync);

/// The state of a merged turn, read back from the server.
struct merged_state {
  nlohmann::json state;
  std::string state_hash;
};

/// Reads a sync-down body asked since `from` (the head the merge went on
/// top of, whose state is `from_state`) that must bring exactly the merged
/// turn `merged`: as a patch against `from_state` or a whole state (or a
/// snapshot), with a state hash that chains from `from` to
/// `merged.chain_hash`, and the head `merged`.
core::result<merged_state, std::string>
read_merged_turn(const nlohmann::json& body, const core::chain_head& from,
                 const nlohmann::json& from_state,
                 const core::chain_head& merged);

} // namespace awf::load
