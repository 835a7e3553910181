// save/restore (contract §7): a turn of the head chain or of an archive
// becomes the state of one new turn on the head. History is never
// rewritten: the replaced head is copied into an archive (reason
// manual_restore) in the same transaction.
#include <memory>

#include <nlohmann/json.hpp>

#include "actors/save_state.hpp"
#include "core/uuid.hpp"

namespace awf::actors {

namespace {

using restore_promise = caf::typed_response_promise<restore_reply>;

/// The new turn and the archive of the replaced head, committed together.
void commit_restore(save_pointer self, const restore_request& req,
                    materialized_turn chosen, branch_copy replaced,
                    restore_promise rp) {
  auto& st = self->state;
  const auto head = st.info.head;
  core::incoming_turn turn;
  turn.turn_id = head.turn_id + 1;
  turn.state = chosen.canonical;
  std::vector<core::incoming_turn> turns;
  turns.push_back(std::move(turn));
  auto base = st.head_state;
  // A restore is the owner's act, not a device's: it names no device.
  auto branch = encode_branch(
    st, head, base ? &*base : nullptr, st.base_turn, std::move(turns), false,
    sync_work{st.ctx->now, req.scope.deadline, nullptr}, {});
  if (!branch) {
    rp.deliver(std::move(branch.error()));
    return;
  }
  restore_reply reply;
  reply.base = head;
  reply.restored_turn = chosen.turn_id;
  reply.archive_id = req.archive_id;
  persistence::branch_change change;
  change.save_id = st.save_id;
  change.expected_head = head;
  change.keep_through = head.turn_id;
  change.new_turns = branch->stored;
  if (head.turn_id > 0) {
    if (replaced.verified_turns != 1) {
      rp.deliver(make_save_error(
        save_errc::integrity_failure,
        "the head turn does not verify, so it cannot be kept: " +
          (replaced.errors.empty() ? std::string{"unknown error"}
                                   : replaced.errors.front())));
      return;
    }
    reply.replaced_archive_id = core::random_uuid();
    nlohmann::json meta{{"restored_from",
                         {{"turn_id", chosen.turn_id},
                          {"archive_id", req.archive_id.empty()
                                           ? nlohmann::json(nullptr)
                                           : nlohmann::json(req.archive_id)}}},
                        {"device_id", req.device_id.empty()
                                        ? nlohmann::json(nullptr)
                                        : nlohmann::json(req.device_id)}};
    change.archive = persistence::archive_record{reply.replaced_archive_id,
                                                 st.save_id,
                                                 "manual_restore",
                                                 meta.dump(),
                                                 head.turn_id - 1,
                                                 1,
                                                 0};
    change.archive_turns = std::move(replaced.turns);
  }
  change.not_after = req.scope.deadline;
  reply.appended = branch->wire;
  head_adoption adopt{std::move(*branch->state), branch->state_hash,
                      branch->stored.back().base_turn};
  settle_head(self, std::move(change), std::move(adopt),
              answer_with_head(rp, std::move(reply)));
}

/// Copies the head turn for its archive, then commits.
void restore_state(save_pointer self, std::shared_ptr<restore_request> req,
                   materialized_turn chosen, restore_promise rp) {
  auto& st = self->state;
  const auto head = st.info.head;
  if (head.turn_id == 0) {
    commit_restore(self, *req, std::move(chosen), {}, rp);
    return;
  }
  self
    ->request(st.reader, caf::infinite, copy_atom_v, st.save_id,
              head.turn_id - 1, head.turn_id, true, req->scope)
    .await(
      [=](branch_copy& replaced) mutable {
        commit_restore(self, *req, std::move(chosen), std::move(replaced), rp);
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

} // namespace

caf::result<restore_reply> restore(save_pointer self, restore_request& req) {
  auto& st = self->state;
  const auto head = st.info.head;
  bool from_archive = !req.archive_id.empty();
  if (from_archive && !core::is_uuid(req.archive_id))
    return make_save_error(save_errc::not_found, "no such archive");
  if (!from_archive && (req.turn_id < 1 || req.turn_id > head.turn_id))
    return make_save_error(save_errc::not_found,
                           "turn " + std::to_string(req.turn_id) +
                             " is not on the head chain (turns 1.." +
                             std::to_string(head.turn_id) + ")");
  auto rp = self->make_response_promise<restore_reply>();
  auto shared = std::make_shared<restore_request>(std::move(req));
  auto with_state = [=](materialized_turn& chosen) mutable {
    restore_state(self, shared, std::move(chosen), rp);
  };
  auto fail = [=](caf::error& err) mutable { rp.deliver(std::move(err)); };
  if (from_archive)
    self
      ->request(st.reader, caf::infinite, materialize_atom_v, st.save_id,
                shared->archive_id, shared->turn_id, shared->scope)
      .await(with_state, fail);
  else if (shared->turn_id == head.turn_id)
    restore_state(self, shared,
                  materialized_turn{st.save_id, head.turn_id,
                                    st.head_state->canonical,
                                    st.head_state_hash, head.chain_hash},
                  rp);
  else
    self
      ->request(st.reader, caf::infinite, materialize_atom_v, st.save_id,
                shared->turn_id, shared->scope)
      .await(with_state, fail);
  return rp;
}

} // namespace awf::actors
