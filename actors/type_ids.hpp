// The program's one CAF type-id block: every atom and message type of the
// save engine, registered by `register_message_types`.
#pragma once

#include <caf/actor_system_config.hpp>
#include <caf/type_id.hpp>

#include "actors/commit_progress.hpp"
#include "actors/conflict_messages.hpp"
#include "actors/device_messages.hpp"
#include "actors/messages.hpp"
#include "actors/sync_messages.hpp"

CAF_BEGIN_TYPE_ID_BLOCK(awf, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(awf, (awf::actors::persist_ack))
CAF_ADD_TYPE_ID(awf, (awf::actors::attach_reply))
CAF_ADD_TYPE_ID(awf, (awf::actors::open_reply))
CAF_ADD_TYPE_ID(awf, (awf::actors::materialized_turn))
CAF_ADD_TYPE_ID(awf, (awf::actors::verify_report))
CAF_ADD_TYPE_ID(awf, (awf::actors::registry_stats))
CAF_ADD_TYPE_ID(awf, (awf::actors::sweep_report))
CAF_ADD_TYPE_ID(awf, (awf::core::chain_head))
CAF_ADD_TYPE_ID(awf, (awf::persistence::save_record))
CAF_ADD_TYPE_ID(awf, (std::vector<awf::persistence::save_record>))
CAF_ADD_TYPE_ID(awf, (std::vector<std::string>))
CAF_ADD_TYPE_ID(awf, (awf::actors::sync_turn))
CAF_ADD_TYPE_ID(awf, (std::vector<awf::actors::sync_turn>))
CAF_ADD_TYPE_ID(awf, (awf::actors::sync_down_request))
CAF_ADD_TYPE_ID(awf, (awf::actors::sync_down_reply))
CAF_ADD_TYPE_ID(awf, (awf::actors::device_grant))
CAF_ADD_TYPE_ID(awf, (awf::actors::device_identity))
CAF_ADD_TYPE_ID(awf, (awf::persistence::device_record))
CAF_ADD_TYPE_ID(awf, (std::vector<awf::actors::materialized_turn>))

CAF_ADD_ATOM(awf, awf::actors, create_atom, "create")
CAF_ADD_ATOM(awf, awf::actors, open_atom, "open")
CAF_ADD_ATOM(awf, awf::actors, persist_atom, "persist")
CAF_ADD_ATOM(awf, awf::actors, commit_atom, "commit")
CAF_ADD_ATOM(awf, awf::actors, flush_atom, "flush")
CAF_ADD_ATOM(awf, awf::actors, materialize_atom, "material")
CAF_ADD_ATOM(awf, awf::actors, verify_atom, "verify")
CAF_ADD_ATOM(awf, awf::actors, turn_hash_atom, "turnhash")
CAF_ADD_ATOM(awf, awf::actors, list_atom, "list")
CAF_ADD_ATOM(awf, awf::actors, sample_atom, "sample")
CAF_ADD_ATOM(awf, awf::actors, passivate_atom, "passivate")
CAF_ADD_ATOM(awf, awf::actors, tick_atom, "tick")
CAF_ADD_ATOM(awf, awf::actors, stats_atom, "stats")
CAF_ADD_ATOM(awf, awf::actors, sweep_atom, "sweep")
CAF_ADD_ATOM(awf, awf::actors, sync_up_atom, "syncup")
CAF_ADD_ATOM(awf, awf::actors, sync_down_atom, "syncdown")
CAF_ADD_ATOM(awf, awf::actors, register_atom, "register")
CAF_ADD_ATOM(awf, awf::actors, rotate_atom, "rotate")
CAF_ADD_ATOM(awf, awf::actors, revoke_atom, "revoke")
CAF_ADD_ATOM(awf, awf::actors, authenticate_atom, "auth")
CAF_ADD_ATOM(awf, awf::actors, lookup_atom, "lookup")
CAF_ADD_ATOM(awf, awf::actors, audit_atom, "audit")
CAF_ADD_ATOM(awf, awf::actors, copy_atom, "copy")
CAF_ADD_ATOM(awf, awf::actors, settle_atom, "settle")
CAF_ADD_ATOM(awf, awf::actors, conflict_atom, "conflict")
CAF_ADD_ATOM(awf, awf::actors, arbitrate_atom, "arbitrate")
CAF_ADD_ATOM(awf, awf::actors, restore_atom, "restore")
CAF_ADD_ATOM(awf, awf::actors, seen_atom, "seen")
CAF_ADD_ATOM(awf, awf::actors, append_atom, "append")
CAF_ADD_ATOM(awf, awf::actors, left_atom, "left")

CAF_END_TYPE_ID_BLOCK(awf)

namespace awf::actors {

/// Registers the block and the error renderer with an actor system config.
void register_message_types(caf::actor_system_config& cfg);

} // namespace awf::actors
