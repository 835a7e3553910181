// Reads that rebuild stored turns, shared by the storage worker's handlers.
// They block on the database: call them from a storage worker only.
#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

#include "actors/conflict_messages.hpp"
#include "actors/engine_context.hpp"
#include "actors/request_scope.hpp"
#include "actors/sync_messages.hpp"
#include "persistence/archive_store.hpp"
#include "persistence/save_store.hpp"

namespace awf::actors {

/// Rebuilds one turn (1..head) from its snapshot; `base_turn`, when given,
/// receives the snapshot's turn.
caf::expected<materialized_turn>
rebuild_turn(persistence::save_store& saves, const engine_context& ctx,
             const std::string& save_id, std::int64_t turn_id,
             std::int64_t* base_turn = nullptr);

/// Answers a sync down for a save whose head is `head`: the turns after
/// `since` as patches (or states, where smaller) when `since` is on the
/// chain and close enough, otherwise a snapshot of the head.
caf::expected<sync_down_reply> read_sync_down(persistence::save_store& saves,
                                              const engine_context& ctx,
                                              const sync_down_request& req,
                                              const core::chain_head& head);

/// Reads the head-chain turns fork_turn + 1 .. last_turn and rebuilds and
/// checks each from the fork's state; with `reencode`, also encodes the good
/// ones again as a branch whose first turn is a snapshot. Stops at the first
/// bad turn (verified_turns tells how far it got), and with
/// deadline_exceeded at `deadline`. Call inside a read snapshot.
caf::expected<branch_copy> copy_branch(
  persistence::save_store& saves, const engine_context& ctx,
  const std::string& save_id, std::int64_t fork_turn, std::int64_t last_turn,
  bool reencode,
  request_scope::clock_type::time_point deadline = request_scope::no_deadline);

/// Rebuilds turn `turn_id` (head_turn: the last) of an archive of `save_id`.
caf::expected<materialized_turn>
rebuild_archive_turn(persistence::archive_store& archives,
                     const engine_context& ctx, const std::string& save_id,
                     const std::string& archive_id, std::int64_t turn_id);

} // namespace awf::actors
