// The entry point of the save engine: routes each request to the actor of
// its save, spawning it on demand and passivating idle or least recently used
// ones so memory stays bounded however many saves are touched.
#pragma once

#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/engine_context.hpp"
#include "actors/save_actor.hpp"
#include "actors/storage_actor.hpp"

namespace awf::actors {

using save_registry_actor = caf::typed_actor<
  caf::replies_to<create_atom, std::string, std::string,
                  std::string>::with<attach_reply>,
  caf::replies_to<persist_atom, persist_request>::with<persist_ack>,
  // materialize / verify / lookup (save_id, ..., owner): see save_actor.
  caf::replies_to<materialize_atom, std::string, std::int64_t, std::string,
                  request_scope>::with<materialized_turn>,
  caf::replies_to<materialize_atom, std::string, std::string, std::int64_t,
                  std::string, request_scope>::with<materialized_turn>,
  caf::replies_to<restore_atom, restore_request>::with<restore_reply>,
  caf::replies_to<verify_atom, std::string, bool, std::string,
                  request_scope>::with<verify_report>,
  caf::replies_to<lookup_atom, std::string,
                  std::string>::with<persistence::save_record>,
  caf::replies_to<sync_up_atom, sync_up_request>::with<sync_up_reply>,
  caf::replies_to<sync_down_atom, sync_down_request>::with<sync_down_reply>,
  // Audit records, written with the next group commit of a writer.
  caf::reacts_to<audit_atom, std::vector<persistence::audit_entry>>,
  caf::replies_to<list_atom, persistence::audit_filter>::with<
    std::vector<persistence::audit_record>>,
  caf::replies_to<stats_atom, std::string>::with<persistence::store_totals>,
  caf::replies_to<list_atom,
                  std::string>::with<std::vector<persistence::save_record>>,
  caf::replies_to<stats_atom>::with<registry_stats>,
  // Conflict reports (the caller checked the save's owner) and figures.
  caf::replies_to<conflict_atom, conflict_query>::with<
    std::vector<persistence::conflict_record>>,
  caf::replies_to<conflict_atom,
                  std::string>::with<persistence::conflict_totals>,
  // Passivates save actors idle for longer than options.save_idle.
  caf::reacts_to<tick_atom>,
  // A save actor left memory (save_departures).
  caf::reacts_to<left_atom, std::string>>;

/// Spawns the registry. Saves are spread over the writers and readers by a
/// hash of their id, so one save always uses the same connections; all of
/// them put divergences to `arbiter`.
save_registry_actor
spawn_save_registry(caf::actor_system& sys, engine_context_ptr context,
                    std::vector<storage_writer_actor> writers,
                    std::vector<storage_reader_actor> readers,
                    conflict_arbiter arbiter);

} // namespace awf::actors
