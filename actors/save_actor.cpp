#include "actors/save_actor.hpp"

#include <memory>
#include <optional>

#include "actors/save_state.hpp"
#include "core/canonical_json.hpp"
#include "core/uuid.hpp"

namespace awf::actors {

void commit_turns(save_pointer self, std::vector<core::stored_turn> turns,
                  std::int64_t sync_turns, core::state_image new_state,
                  std::string new_state_hash,
                  std::function<void(caf::expected<core::chain_head>)> done,
                  request_scope::clock_type::time_point not_after) {
  auto& st = self->state;
  // The last check before the writer: the turns are rebuilt, and whoever
  // asked may have given up meanwhile.
  if (auto late = check_deadline(st.ctx->now(), not_after, "the sync up")) {
    done(std::move(late));
    return;
  }
  auto base_turn = turns.back().base_turn;
  auto state = std::make_shared<core::state_image>(std::move(new_state));
  // await, not then: the next request of this save must see this outcome.
  self
    ->request(
      st.writer, caf::infinite, commit_atom_v,
      persistence::turn_commit{
        st.save_id, st.info.head, std::move(turns), {}, sync_turns, not_after})
    .await(
      [=](const core::chain_head& new_head) mutable {
        auto& s = self->state;
        s.info.head = new_head;
        s.info.updated_at_ms = s.ctx->wall_clock_ms();
        s.head_state = std::move(*state);
        s.head_state_hash = std::move(new_state_hash);
        s.base_turn = base_turn;
        done(new_head);
      },
      [=](caf::error& err) mutable {
        // Someone else moved the stored head: our memory is stale, so leave
        // and let the next request load the truth.
        if (error_code(err) == save_errc::head_moved)
          leave(self);
        done(std::move(err));
      });
}

void append_turns(save_pointer self, std::vector<core::stored_turn> turns,
                  std::int64_t sync_turns, core::state_image new_state,
                  std::string new_state_hash, sync_up_reply reply,
                  sync_up_promise rp,
                  request_scope::clock_type::time_point not_after) {
  auto& st = self->state;
  if (auto late = check_deadline(st.ctx->now(), not_after, "the sync up")) {
    rp.deliver(std::move(late));
    return;
  }
  const auto& last = turns.back();
  core::chain_head new_head{last.turn_id, last.chain_hash};
  auto base_turn = last.base_turn;
  persistence::turn_commit commit{st.save_id, st.info.head, std::move(turns),
                                  {},         sync_turns,   not_after};
  // The head moves now, ahead of the store, so the save's next sync up
  // builds on it. The writer's conditional head update fences: if this
  // commit does not land, every later one fails too, and the actor learns
  // it from `progress` and leaves.
  st.info.head = new_head;
  st.info.updated_at_ms = st.ctx->wall_clock_ms();
  st.head_state = std::move(new_state);
  st.head_state_hash = std::move(new_state_hash);
  st.base_turn = base_turn;
  reply.served_by = caf::actor_cast<caf::strong_actor_ptr>(self);
  st.progress->sent();
  rp.delegate(st.writer, append_atom_v,
              append_request{std::move(commit), std::move(reply), st.progress});
}

void settle_head(save_pointer self, persistence::branch_change change,
                 std::optional<head_adoption> adopt,
                 std::function<void(caf::expected<core::chain_head>)> done) {
  if (auto late = check_deadline(self->state.ctx->now(), change.not_after,
                                 "the request")) {
    done(std::move(late));
    return;
  }
  auto adoption =
    std::make_shared<std::optional<head_adoption>>(std::move(adopt));
  self
    ->request(self->state.writer, caf::infinite, settle_atom_v,
              std::move(change))
    .await(
      [=](core::chain_head& head) mutable {
        auto& s = self->state;
        if (*adoption) {
          auto& a = **adoption;
          s.info.head = head;
          s.info.updated_at_ms = s.ctx->wall_clock_ms();
          s.head_state = std::move(a.state);
          s.head_state_hash = std::move(a.state_hash);
          s.base_turn = a.base_turn;
        }
        done(std::move(head));
      },
      [=](caf::error& err) mutable {
        if (error_code(err) == save_errc::head_moved)
          leave(self);
        done(std::move(err));
      });
}

namespace {

// What an actor that left memory does: hands every request to the front
// door (the registry), which finds the save's current actor.
save_actor::behavior_type forwarding_behavior(save_pointer self) {
  auto next = self->state.front_door;
  return {
    [=](persist_atom atom, persist_request& req) {
      return self->delegate(next, atom, std::move(req));
    },
    [=](materialize_atom atom, const std::string& save_id, std::int64_t turn_id,
        const std::string& owner, const request_scope& scope) {
      return self->delegate(next, atom, save_id, turn_id, owner, scope);
    },
    [=](materialize_atom atom, const std::string& save_id,
        const std::string& archive_id, std::int64_t turn_id,
        const std::string& owner, const request_scope& scope) {
      return self->delegate(next, atom, save_id, archive_id, turn_id, owner,
                            scope);
    },
    [=](restore_atom atom, restore_request& req) {
      return self->delegate(next, atom, std::move(req));
    },
    [=](verify_atom atom, const std::string& save_id, bool full,
        const std::string& owner, const request_scope& scope) {
      return self->delegate(next, atom, save_id, full, owner, scope);
    },
    [=](sync_up_atom atom, sync_up_request& req) {
      return self->delegate(next, atom, std::move(req));
    },
    [=](sync_down_atom atom, sync_down_request& req) {
      return self->delegate(next, atom, std::move(req));
    },
    [=](lookup_atom atom, const std::string& save_id,
        const std::string& owner) {
      return self->delegate(next, atom, save_id, owner);
    },
    [=](passivate_atom) {},
  };
}

} // namespace

void leave(save_pointer self) {
  auto& st = self->state;
  if (st.leaving)
    return;
  st.leaving = true;
  auto depart = [self] {
    auto& s = self->state;
    self->send(s.departures, left_atom_v, s.save_id);
    s.head_state.reset();
    s.head_state_hash.clear();
    self->become(forwarding_behavior(self));
  };
  if (st.progress->all_settled()) {
    depart();
    return;
  }
  // The next actor of this save loads the store: it must hold every turn
  // this one sent first.
  self->request(st.writer, caf::infinite, flush_atom_v)
    .await([depart](bool) { depart(); }, [depart](caf::error&) { depart(); });
}

namespace {

/// True when loading failed on damaged data (not a missing save or a
/// database outage): reads of other turns and verification still work.
bool readable_despite_load_error(const save_state& st) {
  return st.load_error &&
         error_code(st.load_error) == save_errc::integrity_failure;
}

void adopt(save_state& st, open_reply& reply) {
  st.info = std::move(reply.save);
  st.base_turn = reply.base_turn;
  if (st.info.head.turn_id > 0) {
    st.head_state_hash = core::state_hash(reply.head_canonical);
    st.head_state = core::state_image{std::move(reply.head_canonical), {}};
  }
}

// A turn at or below the head: fine if it is the same state (a retry after a
// lost reply), a divergence otherwise.
caf::result<persist_ack> replay(save_pointer self, std::int64_t turn_id,
                                std::string state_hash) {
  auto& st = self->state;
  if (turn_id < 1)
    return make_save_error(save_errc::invalid_request, "turn ids start at 1");
  auto answer = [save_id = st.save_id](
                  const materialized_turn& stored,
                  const std::string& hash) -> caf::expected<persist_ack> {
    if (stored.state_hash != hash)
      return make_save_error(save_errc::divergent_turn,
                             "turn " + std::to_string(stored.turn_id) +
                               " is already stored with another state");
    return persist_ack{
      save_id, {stored.turn_id, stored.chain_hash}, stored.state_hash, true, {},
      0};
  };
  if (turn_id == st.info.head.turn_id)
    return answer(
      materialized_turn{
        st.save_id, turn_id, {}, st.head_state_hash, st.info.head.chain_hash},
      state_hash);
  auto rp = self->make_response_promise<persist_ack>();
  self->request(st.reader, caf::infinite, turn_hash_atom_v, st.save_id, turn_id)
    .await(
      [=](const materialized_turn& stored) mutable {
        auto ack = answer(stored, state_hash);
        if (ack)
          rp.deliver(std::move(*ack));
        else
          rp.deliver(ack.error());
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return rp;
}

caf::result<persist_ack> persist(save_pointer self, persist_request& req) {
  auto& st = self->state;
  const auto head = st.info.head;
  // The contract's number and text rules hold for every state, whoever
  // built it: a value the canonical bytes would not reproduce could be
  // acknowledged and then never rebuilt.
  auto normalized = core::normalize_json(std::move(req.state));
  if (!normalized)
    return from_core_error(normalized.error());
  auto next = std::make_shared<core::state_image>();
  next->canonical = core::canonicalize(*normalized);
  const auto limit = st.ctx->options.max_state_bytes;
  if (next->canonical.size() > limit)
    return make_save_error(save_errc::payload_too_large,
                           "the state is " +
                             std::to_string(next->canonical.size()) +
                             " bytes; the limit is " + std::to_string(limit));
  if (req.turn_id <= head.turn_id)
    return replay(self, req.turn_id, core::state_hash(next->canonical));
  if (req.turn_id != head.turn_id + 1)
    return make_save_error(save_errc::turn_gap,
                           "turn " + std::to_string(req.turn_id) +
                             " does not follow the head turn " +
                             std::to_string(head.turn_id));
  next->value = std::move(*normalized);
  core::previous_turn previous{st.head_state ? &*st.head_state : nullptr,
                               head.turn_id, st.base_turn, head.chain_hash};
  auto encoded =
    core::encode_turn(previous, *next, st.ctx->options.encode, *st.ctx->keys);
  if (!encoded)
    return from_core_error(encoded.error());
  persist_ack ack{st.save_id,
                  {encoded->turn_id, encoded->chain_hash},
                  encoded->state_hash,
                  false,
                  core::to_string(encoded->kind),
                  encoded->blob.bytes.size()};
  auto rp = self->make_response_promise<persist_ack>();
  std::vector<core::stored_turn> turns;
  turns.push_back(std::move(*encoded));
  commit_turns(
    self, std::move(turns), 0, std::move(*next), ack.state_hash,
    [rp, ack](caf::expected<core::chain_head> head) mutable {
      if (head)
        rp.deliver(std::move(ack));
      else
        rp.deliver(std::move(head.error()));
    },
    request_scope::no_deadline);
  return rp;
}

caf::result<materialized_turn> materialize(save_pointer self,
                                           std::int64_t turn_id,
                                           const request_scope& scope) {
  auto& st = self->state;
  const auto& head = st.info.head;
  if (turn_id == head_turn)
    turn_id = head.turn_id;
  if (turn_id < 0 || turn_id > head.turn_id)
    return make_save_error(save_errc::not_found,
                           "turn " + std::to_string(turn_id) +
                             " does not exist; the head is turn " +
                             std::to_string(head.turn_id));
  if (turn_id == 0)
    return materialized_turn{
      st.save_id, 0, {}, {}, core::chain_genesis(st.info.session_id)};
  if (turn_id == head.turn_id)
    return materialized_turn{st.save_id, turn_id, st.head_state->canonical,
                             st.head_state_hash, head.chain_hash};
  return self->delegate(st.reader, materialize_atom_v, st.save_id, turn_id,
                        scope);
}

save_actor::behavior_type save_behavior(save_pointer self,
                                        engine_context_ptr context,
                                        std::string save_id, save_peers peers) {
  auto& st = self->state;
  st.ctx = std::move(context);
  st.save_id = std::move(save_id);
  st.writer = std::move(peers.writer);
  st.reader = std::move(peers.reader);
  st.arbiter = std::move(peers.arbiter);
  st.departures = std::move(peers.departures);
  st.front_door = std::move(peers.front_door);
  st.last_use = std::move(peers.last_use);
  // Nothing else is handled until the head is loaded.
  self->request(st.reader, caf::infinite, open_atom_v, st.save_id)
    .await([=](open_reply& reply) { adopt(self->state, reply); },
           [=](caf::error& err) {
             // Queued requests get this error; a transient one (the database
             // failed) also makes the actor leave after them, so the next
             // request retries with a fresh load.
             auto code = error_code(err);
             if (code == save_errc::storage_failure)
               self->send(self, passivate_atom_v);
             self->state.load_error = std::move(err);
             // A damaged head still has an owner to check requests against.
             if (code == save_errc::integrity_failure)
               self
                 ->request(self->state.reader, caf::infinite, lookup_atom_v,
                           self->state.save_id)
                 .await(
                   [=](persistence::save_record& record) {
                     self->state.info = std::move(record);
                   },
                   [=](caf::error& lookup_err) {
                     self->state.load_error = std::move(lookup_err);
                   });
           });
  // Every request notes its use here, for the registry's order.
  auto serve = [self] {
    auto& st = self->state;
    st.last_use->store(st.ctx->now().time_since_epoch().count(),
                       std::memory_order_relaxed);
  };
  // serve(), then the load error or a foreign owner's not_found, if either
  // applies; a damaged save stays readable for its owner.
  auto gate = [self, serve](const std::string& owner) -> caf::error {
    auto& st = self->state;
    serve();
    if (st.load_error && !readable_despite_load_error(st))
      return st.load_error;
    return st.check_owner(owner);
  };
  // Each request passes the gate (a foreign owner's is refused at once),
  // then checks that it is ready_for this actor's memory, and otherwise
  // runs later (run_later).
  return {
    [=](persist_atom atom, persist_request& req) -> caf::result<persist_ack> {
      if (!ready_for(self->state))
        return run_later(self, atom, std::move(req));
      serve();
      if (self->state.load_error)
        return self->state.load_error;
      return persist(self, req);
    },
    [=](materialize_atom atom, const std::string& save_id, std::int64_t turn_id,
        const std::string& owner,
        const request_scope& scope) -> caf::result<materialized_turn> {
      auto& st = self->state;
      if (auto err = gate(owner))
        return err;
      if (!ready_for(st))
        return run_later(self, atom, save_id, turn_id, owner, scope);
      // A head that fails its checks must not hide the intact turns.
      if (readable_despite_load_error(st) && turn_id != head_turn)
        return self->delegate(st.reader, materialize_atom_v, st.save_id,
                              turn_id, scope);
      if (st.load_error)
        return st.load_error;
      return materialize(self, turn_id, scope);
    },
    [=](materialize_atom atom, const std::string& save_id,
        const std::string& archive_id, std::int64_t turn_id,
        const std::string& owner,
        const request_scope& scope) -> caf::result<materialized_turn> {
      auto& st = self->state;
      if (auto err = gate(owner))
        return err;
      if (!ready_for(st))
        return run_later(self, atom, save_id, archive_id, turn_id, owner,
                         scope);
      if (!core::is_uuid(archive_id))
        return make_save_error(save_errc::not_found, "no such archive");
      return self->delegate(st.reader, materialize_atom_v, st.save_id,
                            archive_id, turn_id, scope);
    },
    [=](restore_atom atom, restore_request& req) -> caf::result<restore_reply> {
      if (auto err = gate(req.user_id_hash))
        return err;
      if (!ready_for(self->state))
        return run_later(self, atom, std::move(req));
      if (self->state.load_error)
        return self->state.load_error;
      return restore(self, req);
    },
    [=](verify_atom, const std::string&, bool full, const std::string& owner,
        const request_scope& scope) -> caf::result<verify_report> {
      auto& st = self->state;
      if (auto err = gate(owner))
        return err;
      // Verification reads the store, never this actor's memory, so it also
      // reports (and flags) a save whose head cannot be rebuilt. The scope
      // goes along: the reader stops at its deadline, and the caller's
      // admission stays taken until the reader has dropped the work.
      return self->delegate(st.reader, verify_atom_v, st.save_id, full, scope);
    },
    [=](sync_up_atom atom, sync_up_request& req) -> caf::result<sync_up_reply> {
      auto& st = self->state;
      if (auto err = gate(req.user_id_hash))
        return err;
      // Only a sync up at the head may run ahead of the commits in flight.
      if (!ready_for(st, req.base == st.info.head))
        return run_later(self, atom, std::move(req));
      if (st.load_error)
        return st.load_error;
      return sync_up(self, req);
    },
    [=](sync_down_atom atom,
        sync_down_request& req) -> caf::result<sync_down_reply> {
      if (auto err = gate(req.user_id_hash))
        return err;
      if (!ready_for(self->state))
        return run_later(self, atom, std::move(req));
      if (self->state.load_error)
        return self->state.load_error;
      return sync_down(self, req);
    },
    [=](lookup_atom atom, const std::string& save_id,
        const std::string& owner) -> caf::result<persistence::save_record> {
      if (auto err = gate(owner))
        return err;
      if (!ready_for(self->state))
        return run_later(self, atom, save_id, owner);
      return self->state.info;
    },
    [=](passivate_atom) { leave(self); },
  };
}

} // namespace

save_actor spawn_save_actor(caf::actor_system& sys, engine_context_ptr context,
                            std::string save_id, save_peers peers) {
  return sys.spawn(save_behavior, std::move(context), std::move(save_id),
                   std::move(peers));
}

} // namespace awf::actors
