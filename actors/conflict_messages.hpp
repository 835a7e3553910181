// The values of conflict arbitration and restore (contract §6, §7) inside
// the engine: a divergence put to the arbiter, its ruling, a restore
// request, and the head-chain change a save actor asks its writer for.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/sync_messages.hpp"
#include "core/conflict_rules.hpp"
#include "persistence/branch_writer.hpp"
#include "persistence/conflict_store.hpp"

namespace awf::actors {

/// Both sides of a divergence, from the fork on, as canonical JSON text.
struct conflict_case {
  std::string save_id;
  std::string strategy; ///< a wire name, already checked by the edge
  bool confirm_regression = false;
  std::int64_t fork_turn = 0;
  std::string fork_state; ///< empty: the fork is turn 0 (state null)
  std::int64_t server_turn = 0;
  std::string server_state;
  std::int64_t client_turn = 0;
  std::string client_state;
};

/// The arbiter's decision.
struct conflict_ruling {
  core::branch_choice chosen = core::branch_choice::server;
  std::string reason;       ///< the strategy, "manual" or "regression_guard"
  std::string merged_state; ///< with chosen == merged: the merged state
  /// The first conflicting paths, within core::conflict_path_limits.
  std::vector<std::string> conflicting_paths;
  std::int64_t conflicting_paths_total = 0; ///< listed or not
};

/// save/restore: a turn of the head chain, or of an archive.
struct restore_request {
  std::string save_id;
  std::string user_id_hash;  ///< the caller (any_owner: no check)
  std::string device_id;     ///< empty for a user token or an operator
  std::string archive_id;    ///< empty: the head chain
  std::int64_t turn_id = -1; ///< -1 (head_turn): the archive's last turn
  /// Past its deadline the engine stops and stores nothing; the hold is
  /// the caller's admission slot.
  request_scope scope;
};

struct restore_reply {
  core::chain_head base; ///< the head before the restore
  core::chain_head head;
  std::int64_t restored_turn = 0;
  std::string archive_id;          ///< where it came from; empty: the chain
  std::string replaced_archive_id; ///< where the replaced head was noted
  std::vector<sync_turn> appended; ///< the new turn, for pushes
};

/// Head-chain turns after a fork, read back, checked and encoded again as a
/// branch that rebuilds on its own (its first turn a snapshot), ready to be
/// archived when the client's branch replaces them.
struct branch_copy {
  std::string fork_state; ///< empty at turn 0
  std::vector<core::stored_turn> turns;
  std::int64_t branch_turns = 0;   ///< turns after the fork on the head chain
  std::int64_t verified_turns = 0; ///< of those, rebuilt with every hash right
  std::vector<std::string> errors;
  std::string device_id; ///< the device that made the branch's last turn
};

/// save/conflicts: newest first. The edge checks who may read which save.
struct conflict_query {
  std::string save_id; ///< empty: every save (operators only)
  std::size_t limit = 50;
};

} // namespace awf::actors

// Local-only values: parsed or large texts that never leave the process.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::conflict_case)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::conflict_ruling)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::restore_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::restore_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::conflict_query)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::branch_copy)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::persistence::branch_change)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<awf::persistence::conflict_record>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::persistence::conflict_totals)
