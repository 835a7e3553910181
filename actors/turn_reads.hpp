// Reads that rebuild stored turns, shared by the storage worker's handlers.
// They block on the database: call them from a storage worker only.
#pragma once

#include <cstdint>
#include <string>

#include <caf/expected.hpp>

#include "actors/engine_context.hpp"
#include "actors/sync_messages.hpp"
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

} // namespace awf::actors
