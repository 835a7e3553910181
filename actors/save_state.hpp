// Private to the save actor's files: its state and the handlers that live
// in files of their own (sync up and sync down).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/commit_progress.hpp"
#include "actors/conflict_arbiter.hpp"
#include "actors/request_scope.hpp"
#include "actors/save_actor.hpp"
#include "actors/save_errc.hpp"
#include "core/rebuild_budget.hpp"

namespace awf::actors {

struct save_state {
  engine_context_ptr ctx;
  storage_writer_actor writer;
  storage_reader_actor reader;
  conflict_arbiter arbiter;
  save_departures departures;
  save_actor front_door;
  last_use_ticks last_use;
  /// The sync ups' commits sent and not waited for.
  std::shared_ptr<commit_progress> progress =
    std::make_shared<commit_progress>();
  bool leaving = false;
  std::string save_id;
  persistence::save_record info;
  std::optional<core::state_image> head_state; ///< empty at turn 0
  std::string head_state_hash;
  std::int64_t base_turn = 0;
  caf::error load_error;

  static inline const char* name = "save_actor";

  /// Answers not_found for anyone but the owner (any_owner: no check).
  caf::error check_owner(const std::string& owner) const {
    if (!owner.empty() && owner != info.user_id_hash)
      return make_save_error(save_errc::not_found, "no such save");
    return {};
  }
};

using save_pointer = save_actor::stateful_pointer<save_state>;

/// Leaves memory: once the commits in flight have settled, tells the
/// registry and becomes a forwarder of everything to the front door. Called
/// on passivation and whenever the actor's memory is no longer the store's.
void leave(save_pointer self);

/// True when the request at hand may run on this actor's memory now: the
/// store holds everything the actor sent (a sync up at the head may run
/// ahead of that: pass `ahead_ok`) and no commit of it failed.
inline bool ready_for(const save_state& st, bool ahead_ok = false) {
  return !st.progress->failed() && (ahead_ok || st.progress->all_settled());
}

/// Runs the current request (`xs...`, as received) again later, when it was
/// not ready_for: behind the writer's next flush (the actor handles nothing
/// else until the flush answers), or, when the actor's memory is stale, at
/// the save's next actor once this one has left.
template<class... Ts>
auto run_later(save_pointer self, Ts&&... xs) {
  auto& st = self->state;
  if (st.progress->failed())
    leave(self);
  else
    self->request(st.writer, caf::infinite, flush_atom_v)
      .await([](bool) {}, [self](caf::error&) { leave(self); });
  return self->delegate(caf::actor_cast<save_actor>(self),
                        std::forward<Ts>(xs)...);
}

/// The head a settled change leaves behind, for the actor's memory.
struct head_adoption {
  core::state_image state;
  std::string state_hash;
  std::int64_t base_turn = 0;
};

/// Applies `change` (a head chain changed other than by appending: a
/// settled conflict, a restore) through the writer in one transaction,
/// unless its not_after has passed (deadline_exceeded, nothing written). On
/// success the actor adopts `adopt`, when given, with the new head; if the
/// stored head moved under it, its memory is stale and it leaves. Calls
/// `done` with the new head or the error.
void settle_head(save_pointer self, persistence::branch_change change,
                 std::optional<head_adoption> adopt,
                 std::function<void(caf::expected<core::chain_head>)> done);

/// A `done` callback for commit_turns / settle_head that answers `reply`
/// with the new head, or the error.
template<class Reply>
std::function<void(caf::expected<core::chain_head>)>
answer_with_head(caf::typed_response_promise<Reply> rp, Reply reply) {
  return [rp, reply = std::move(reply)](
           caf::expected<core::chain_head> head) mutable {
    if (!head) {
      rp.deliver(std::move(head.error()));
      return;
    }
    reply.head = std::move(*head);
    rp.deliver(std::move(reply));
  };
}

/// What one request may still spend on rebuilding states: its deadline
/// (checked between turns and before the commit) and, for a sync up, its
/// rebuild budget (shared by every step of the request).
struct sync_work {
  /// The engine's clock (engine_context::now).
  std::function<request_scope::clock_type::time_point()> now;
  request_scope::clock_type::time_point deadline = request_scope::no_deadline;
  std::shared_ptr<core::rebuild_budget> budget; ///< nullptr: unbounded

  /// deadline_exceeded once the deadline has passed.
  caf::error check() const {
    return check_deadline(now(), deadline, "the request");
  }

  /// The budget states are charged to (nullptr: none).
  core::rebuild_budget* rebuild() const { return budget.get(); }
};

/// Turns resolved, checked and encoded after a start position.
struct encoded_branch {
  std::vector<core::stored_turn> stored;
  std::vector<sync_turn> wire;
  core::chain_head head;
  std::string state_hash;
  std::optional<core::state_image> state; ///< the last one
};

/// Resolves and encodes `turns` after `start` (state `start_state`, which
/// rebuilds from snapshot turn `start_base`). With `first_snapshot`, the
/// first turn is stored whole (a branch that must not lean on turns before
/// it). Bounded: the encoded bytes may not exceed twice the state limit,
/// the states rebuilt are charged to `work`'s budget, and past its deadline
/// the next turn is not started (deadline_exceeded). Every turn records
/// `device_id` as its maker (empty: the server made it, e.g. a merge).
caf::expected<encoded_branch>
encode_branch(const save_state& st, const core::chain_head& start,
              core::state_image* start_state, std::int64_t start_base,
              std::vector<core::incoming_turn> turns, bool first_snapshot,
              const sync_work& work, const std::string& device_id);

using sync_up_promise = caf::typed_response_promise<sync_up_reply>;

/// Settles a divergence (save_conflicts.cpp): the sent `turns` leave the
/// head chain after `fork`, whose state is `fork_state` (nullptr at turn 0).
/// Archives the losing branch, commits the outcome and answers through `rp`,
/// within `work`.
void settle_divergence(save_pointer self, const sync_up_request& req,
                       const core::chain_head& fork,
                       const core::state_image* fork_state,
                       std::vector<core::incoming_turn> turns,
                       sync_up_promise rp, sync_work work);

/// save/restore (save_restore.cpp).
caf::result<restore_reply> restore(save_pointer self, restore_request& req);

/// Sync up (save_sync_up.cpp).
caf::result<sync_up_reply> sync_up(save_pointer self, sync_up_request& req);

/// Sync down (save_sync_down.cpp).
caf::result<sync_down_reply> sync_down(save_pointer self,
                                       sync_down_request& req);

/// Appends a sync up's `turns` (consecutive after the head) without waiting
/// for them: the actor adopts `new_state` as its head at once, and the
/// writer answers `rp` with `reply` (its head filled in) once the turns are
/// durable. The sync up's audit record commits with them. Past `not_after`
/// nothing is sent (deadline_exceeded).
void append_turns(save_pointer self, std::vector<core::stored_turn> turns,
                  std::int64_t sync_turns, core::state_image new_state,
                  std::string new_state_hash, sync_up_reply reply,
                  sync_up_promise rp,
                  request_scope::clock_type::time_point not_after);

/// Commits `turns` (consecutive after the head) and, once durable, adopts
/// `new_state` as the head; calls `done` with the new head or the error.
/// `sync_turns` > 0: the turns are a sync up's that accepted that many
/// turns, and its audit record commits with them. Past `not_after` nothing
/// is sent to the writer, and the writer does not start a transaction for it
/// either (deadline_exceeded).
void commit_turns(save_pointer self, std::vector<core::stored_turn> turns,
                  std::int64_t sync_turns, core::state_image new_state,
                  std::string new_state_hash,
                  std::function<void(caf::expected<core::chain_head>)> done,
                  request_scope::clock_type::time_point not_after);

} // namespace awf::actors
