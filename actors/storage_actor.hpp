// A storage worker: owns one database connection and runs every blocking
// call of the save engine. Writes arriving while a commit runs are grouped
// into the next transaction (group commit).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/commit_progress.hpp"
#include "actors/conflict_messages.hpp"
#include "actors/engine_context.hpp"
#include "actors/request_scope.hpp"
#include "actors/sync_messages.hpp"
#include "actors/type_ids.hpp"

namespace awf::actors {

/// What a save's writer does: every write of the engine, grouped into
/// transactions (group commit). A commit cannot be sent to a reader.
using storage_writer_actor = caf::typed_actor<
  // createOrAttachSave(user_id_hash, session_id, version)
  caf::replies_to<create_atom, std::string, std::string,
                  std::string>::with<attach_reply>,
  // Appends one turn; answers the new head. Grouped with concurrent commits;
  // one whose not_after passed before its transaction is refused unwritten.
  caf::replies_to<commit_atom,
                  persistence::turn_commit>::with<core::chain_head>,
  // A sync up's turns: grouped like the commits above; the writer answers
  // the sync up's sender itself (the reply with its head filled in) once
  // they are durable, and counts the outcome for the save actor.
  caf::replies_to<append_atom, append_request>::with<sync_up_reply>,
  // Commits what is queued now; answers once it is durable (also used to
  // drain a worker before shutdown, and by a save actor that must read
  // what it sent).
  caf::replies_to<flush_atom>::with<bool>,
  // Changes a head chain other than by appending (a settled conflict, a
  // restore) in one transaction; answers the new head.
  caf::replies_to<settle_atom,
                  persistence::branch_change>::with<core::chain_head>,
  // Audit records: written with the next group commit.
  caf::reacts_to<audit_atom, std::vector<persistence::audit_entry>>,
  // The last turn each device synced (never moving back), in one
  // transaction of its own; answers once it is durable. On SQLite the
  // writer is the only connection that writes turns, so these notes wait
  // their turn instead of holding the write lock while commits wait.
  caf::replies_to<seen_atom, std::map<std::string, std::int64_t>>::with<bool>>;

/// What a reader does: loads, rebuilds, checks and lists, each in one read
/// snapshot. Verification also records its outcome (the integrity flag and
/// an audit record of a failure), outside any group commit.
using storage_reader_actor = caf::typed_actor<
  // Loads a save's record and head state for a save actor.
  caf::replies_to<open_atom, std::string>::with<open_reply>,
  // Rebuilds one stored turn (1..head), unless the scope's deadline passed.
  caf::replies_to<materialize_atom, std::string, std::int64_t,
                  request_scope>::with<materialized_turn>,
  // The hashes of one stored turn (canonical left empty).
  caf::replies_to<turn_hash_atom, std::string,
                  std::int64_t>::with<materialized_turn>,
  // Verifies a save (full: rebuild every turn; else chain plus last segment)
  // and records the outcome; stops (recording nothing) at the deadline.
  caf::replies_to<verify_atom, std::string, bool,
                  request_scope>::with<verify_report>,
  // A user's saves, most recently updated first.
  caf::replies_to<list_atom,
                  std::string>::with<std::vector<persistence::save_record>>,
  // About `percent` % of save ids, at random.
  caf::replies_to<sample_atom, double>::with<std::vector<std::string>>,
  // The hashes of stored turns from..to (canonical left empty).
  caf::replies_to<turn_hash_atom, std::string, std::int64_t,
                  std::int64_t>::with<std::vector<materialized_turn>>,
  // Sync down for a save whose head is the given one.
  caf::replies_to<sync_down_atom, sync_down_request,
                  core::chain_head>::with<sync_down_reply>,
  // Head-chain turns fork+1..last, rebuilt and checked; with `reencode`,
  // also encoded again as a branch that rebuilds on its own (to archive
  // them). Stops at the scope's deadline.
  caf::replies_to<copy_atom, std::string, std::int64_t, std::int64_t, bool,
                  request_scope>::with<branch_copy>,
  // Rebuilds turn turn_id (-1: the last) of archive archive_id of save_id.
  caf::replies_to<materialize_atom, std::string, std::string, std::int64_t,
                  request_scope>::with<materialized_turn>,
  // Conflict reports, newest first.
  caf::replies_to<conflict_atom, conflict_query>::with<
    std::vector<persistence::conflict_record>>,
  // Conflict figures for one user or (empty) all.
  caf::replies_to<conflict_atom,
                  std::string>::with<persistence::conflict_totals>,
  // Audit records matching a filter, newest first.
  caf::replies_to<list_atom, persistence::audit_filter>::with<
    std::vector<persistence::audit_record>>,
  // Store totals, for one user or (empty) all.
  caf::replies_to<stats_atom, std::string>::with<persistence::store_totals>,
  // One save's record.
  caf::replies_to<lookup_atom, std::string>::with<persistence::save_record>>;

/// A storage worker implements both; the engine holds each worker by the
/// role it gives it.
using storage_actor = storage_writer_actor::extend_with<storage_reader_actor>;

/// Spawns a storage worker. `detached` gives it its own thread (it blocks on
/// the database); tests under the deterministic scheduler pass false. The
/// connection opens when the actor starts (the schema must already be
/// migrated); if that fails, every request answers storage_failure.
storage_actor spawn_storage_worker(caf::actor_system& sys,
                                   engine_context_ptr context, bool detached);

/// A worker in the writer role.
storage_writer_actor spawn_storage_writer(caf::actor_system& sys,
                                          engine_context_ptr context,
                                          bool detached);

/// A worker in the reader role.
storage_reader_actor spawn_storage_reader(caf::actor_system& sys,
                                          engine_context_ptr context,
                                          bool detached);

} // namespace awf::actors
