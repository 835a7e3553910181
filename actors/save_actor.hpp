// One actor per active save: it serializes the save's turn writes, keeps the
// head state in memory for diffing, and hands reads of older turns to a
// storage reader.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/conflict_arbiter.hpp"
#include "actors/engine_context.hpp"
#include "actors/storage_actor.hpp"
#include "actors/sync_messages.hpp"
#include "actors/type_ids.hpp"

namespace awf::actors {

/// Turn id that names "the head" in materialize requests.
inline constexpr std::int64_t head_turn = -1;

/// The owner argument of trusted internal callers (tools, tests, admin):
/// no ownership check. Requests on behalf of a user pass its user_id_hash,
/// and another user's save answers not_found, exactly like a missing one.
inline const std::string any_owner;

using save_actor = caf::typed_actor<
  // persistTurn: appends the next turn, or acknowledges an identical replay.
  caf::replies_to<persist_atom, persist_request>::with<persist_ack>,
  // materialize(save_id, turn_id or head_turn, owner, scope).
  caf::replies_to<materialize_atom, std::string, std::int64_t, std::string,
                  request_scope>::with<materialized_turn>,
  // materialize(save_id, archive_id, turn_id or head_turn, owner, scope): a
  // turn of an archived branch.
  caf::replies_to<materialize_atom, std::string, std::string, std::int64_t,
                  std::string, request_scope>::with<materialized_turn>,
  // save/restore (contract §7).
  caf::replies_to<restore_atom, restore_request>::with<restore_reply>,
  // verify(save_id, full, owner, scope).
  caf::replies_to<verify_atom, std::string, bool, std::string,
                  request_scope>::with<verify_report>,
  // Sync up (contract §5): fast-forward, replay, or an arbitrated divergence.
  caf::replies_to<sync_up_atom, sync_up_request>::with<sync_up_reply>,
  // Sync down (contract §5).
  caf::replies_to<sync_down_atom, sync_down_request>::with<sync_down_reply>,
  // The save's record, for the owner (or anyone with "").
  caf::replies_to<lookup_atom, std::string,
                  std::string>::with<persistence::save_record>,
  // Leave memory once the commits in flight have landed.
  caf::reacts_to<passivate_atom>>;

/// Where a save actor says it left memory (passivated, or its memory went
/// stale): the registry, which then sends the save's requests to a new
/// actor. The sender's address tells which actor left.
using save_departures =
  caf::typed_actor<caf::reacts_to<left_atom, std::string>>;

/// When a save actor last served a request, in ticks of the engine clock
/// (engine_context::now). Requests that go to the actor directly bypass the
/// registry, which reads this to keep its least-recently-used order true.
using last_use_ticks = std::shared_ptr<std::atomic<std::int64_t>>;

/// The actors a save actor works with.
struct save_peers {
  storage_writer_actor writer;
  storage_reader_actor reader;
  conflict_arbiter arbiter;
  /// Hears when the actor leaves.
  save_departures departures;
  /// Takes every request a save actor takes (the registry): an actor that
  /// left forwards what still reaches it there.
  save_actor front_door;
  last_use_ticks last_use;
};

/// Spawns the actor of `save_id`. It loads the save's head through the
/// reader before it handles anything else, commits through the writer and
/// puts divergences to the arbiter. Once it leaves memory it stays a
/// forwarder to the front door for as long as anyone holds its handle, so
/// a stale handle costs a hop, never a wrong answer.
save_actor spawn_save_actor(caf::actor_system& sys, engine_context_ptr context,
                            std::string save_id, save_peers peers);

} // namespace awf::actors
