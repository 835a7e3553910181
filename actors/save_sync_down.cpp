// Sync down for one save: answered from memory when the caller is current
// (or asks If-None-Match for the head), otherwise by a storage reader with
// the head this actor knows, so the reply never runs ahead of a commit.
#include "actors/save_state.hpp"

namespace awf::actors {

caf::result<sync_down_reply> sync_down(save_pointer self,
                                       sync_down_request& req) {
  auto& st = self->state;
  const auto& head = st.info.head;
  sync_down_reply reply;
  reply.save_id = st.save_id;
  reply.head = head;
  reply.served_by = caf::actor_cast<caf::strong_actor_ptr>(self);
  if (!req.if_none_match.empty() && req.if_none_match == head.chain_hash) {
    reply.not_modified = true;
    return reply;
  }
  if (req.since_turn > 0 && req.since_turn == head.turn_id &&
      req.since_chain == head.chain_hash)
    return reply;
  if (head.turn_id > 0 && req.since_turn == 0 && st.head_state) {
    // A fresh device: the head state is in memory already.
    reply.has_snapshot = true;
    reply.snapshot = {st.save_id, head.turn_id, st.head_state->canonical,
                      st.head_state_hash, head.chain_hash};
    return reply;
  }
  return self->delegate(st.reader, sync_down_atom_v, std::move(req), head);
}

} // namespace awf::actors
