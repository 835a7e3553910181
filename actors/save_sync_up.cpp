// Sync up for one save (contract §5). Fast-forward from the head in memory
// is the common case; a base behind the head is compared with the stored
// chain: a replay changes nothing, a divergence goes to arbitration
// (save_conflicts.cpp), and a base off the chain stores nothing.
#include <algorithm>
#include <memory>

#include "actors/save_state.hpp"
#include "actors/sync_audit.hpp"
#include "core/canonical_json.hpp"

namespace awf::actors {

caf::expected<encoded_branch>
encode_branch(const save_state& st, const core::chain_head& start,
              core::state_image* start_state, std::int64_t start_base,
              std::vector<core::incoming_turn> turns, bool first_snapshot,
              const sync_work& work, const std::string& device_id) {
  const auto& opts = st.ctx->options;
  core::turn_resolver resolver{start, start_state, opts.max_state_bytes,
                               work.rebuild()};
  encoded_branch out;
  std::int64_t base_turn = start_base;
  std::size_t total = 0;
  for (auto& turn : turns) {
    // Nobody hears the answer past the deadline: stop between turns.
    if (auto late = work.check())
      return late;
    sync_turn wire{turn.turn_id, !turn.patch.has_value(), {}, {}, {}};
    if (turn.patch)
      wire.body = *turn.patch;
    auto before = resolver.head();
    if (auto ok = resolver.advance(std::move(turn)); !ok)
      return from_core_error(ok.error());
    bool whole = first_snapshot && out.stored.empty();
    core::previous_turn previous{whole ? nullptr : resolver.previous(),
                                 before.turn_id, base_turn, before.chain_hash};
    // A device's patch was just applied and checked: store it as it is.
    auto encoded = core::encode_turn(
      previous, *resolver.state(), opts.encode, *st.ctx->keys,
      wire.full_state ? nullptr : &wire.body, &resolver.state_hash());
    if (!encoded)
      return from_core_error(encoded.error());
    encoded->device_id = device_id;
    total += encoded->blob.bytes.size();
    if (total > 2 * opts.max_state_bytes)
      return make_save_error(save_errc::payload_too_large,
                             "the turns of this sync up are too large "
                             "together; send them in several requests");
    base_turn = encoded->base_turn;
    wire.state_hash = encoded->state_hash;
    wire.chain_hash = encoded->chain_hash;
    if (wire.full_state)
      wire.body = resolver.state()->canonical;
    out.wire.push_back(std::move(wire));
    out.stored.push_back(std::move(*encoded));
  }
  out.head = resolver.head();
  out.state_hash = resolver.state_hash();
  out.state = resolver.take_state();
  return out;
}

namespace {

using reply_promise = sync_up_promise;

/// Appends `turns` (which follow the head) of `req` and answers
/// fast_forward; the sync up's audit record commits with the turns.
void fast_forward(save_pointer self, const sync_up_request& req,
                  std::vector<core::incoming_turn> turns,
                  std::vector<std::int64_t> accepted, reply_promise rp,
                  const sync_work& work) {
  auto& st = self->state;
  auto start = st.info.head;
  auto branch =
    encode_branch(st, start, st.head_state ? &*st.head_state : nullptr,
                  st.base_turn, std::move(turns), false, work, req.device_id);
  if (!branch) {
    rp.deliver(std::move(branch.error()));
    return;
  }
  sync_up_reply reply;
  reply.status = sync_up_status::fast_forward;
  reply.base = start;
  reply.accepted = std::move(accepted);
  for (const auto& t : branch->wire)
    reply.accepted.push_back(t.turn_id);
  reply.appended = std::move(branch->wire);
  // The sync up's audit record is kept in its last turn row.
  auto sync_turns = static_cast<std::int64_t>(reply.accepted.size());
  // The head is kept as canonical bytes only: the next patch is spliced
  // into them, and anything that needs the parsed value parses it then. A
  // parsed 16 KiB state takes about 170 KiB per resident save.
  branch->state->value.reset();
  append_turns(self, std::move(branch->stored), sync_turns,
               std::move(*branch->state), std::move(branch->state_hash),
               std::move(reply), rp, work.deadline);
}

/// The base is behind the head: compares the sent turns with the stored
/// chain, given the stored hashes from the base's turn on.
void settle_behind_head(save_pointer self, sync_up_request& req,
                        const std::vector<materialized_turn>& stored,
                        core::state_image* base_state, reply_promise rp,
                        const sync_work& work) {
  auto& st = self->state;
  const auto head = st.info.head;
  auto keep = req.turns; // the walk consumes its copy
  core::turn_resolver resolver{req.base, base_state,
                               st.ctx->options.max_state_bytes, work.rebuild()};
  std::vector<std::int64_t> matched;
  for (auto& turn : req.turns) {
    auto id = turn.turn_id;
    if (id > head.turn_id)
      break;
    if (auto late = work.check()) {
      rp.deliver(std::move(late));
      return;
    }
    if (auto ok = resolver.advance(std::move(turn)); !ok) {
      rp.deliver(from_core_error(ok.error()));
      return;
    }
    auto row = std::find_if(stored.begin(), stored.end(),
                            [id](const auto& r) { return r.turn_id == id; });
    if (row == stored.end()) {
      rp.deliver(make_save_error(save_errc::integrity_failure,
                                 "turn " + std::to_string(id) +
                                   " of the head chain is missing"));
      return;
    }
    if (row->chain_hash != resolver.head().chain_hash) {
      // Divergence: the branch leaves the head chain after turn id - 1.
      std::optional<core::state_image> fork_state;
      if (resolver.previous() != nullptr)
        fork_state = *resolver.previous();
      core::chain_head fork{id - 1, id - 1 == req.base.turn_id
                                      ? req.base.chain_hash
                                      : std::prev(row)->chain_hash};
      std::vector<core::incoming_turn> branch(
        keep.begin() + static_cast<std::ptrdiff_t>(matched.size()), keep.end());
      settle_divergence(self, req, fork, fork_state ? &*fork_state : nullptr,
                        std::move(branch), rp, work);
      return;
    }
    matched.push_back(id);
  }
  if (matched.size() == keep.size()) {
    sync_up_reply reply;
    reply.status = sync_up_status::up_to_date;
    reply.base = head;
    reply.head = head;
    reply.accepted = std::move(matched);
    reply.served_by = caf::actor_cast<caf::strong_actor_ptr>(self);
    // Nothing is stored, so the record goes alone, behind any turns of the
    // save the writer holds.
    self->send(st.writer, audit_atom_v,
               std::vector<persistence::audit_entry>{sync_up_audit(
                 st.save_id, {req.user_id_hash, req.device_id}, reply.status,
                 reply.accepted.size(), head.turn_id)});
    rp.deliver(std::move(reply));
    return;
  }
  // A replay that goes on past the head: append the rest.
  std::vector<core::incoming_turn> rest(
    keep.begin() + static_cast<std::ptrdiff_t>(matched.size()), keep.end());
  fast_forward(self, req, std::move(rest), std::move(matched), rp, work);
}

caf::error check_turn_ids(const sync_up_request& req) {
  if (req.turns.empty())
    return make_save_error(save_errc::invalid_request,
                           "\"turns\" must not be empty");
  auto expected = req.base.turn_id + 1;
  for (const auto& turn : req.turns) {
    if (turn.turn_id != expected)
      return make_save_error(save_errc::turn_gap,
                             "turn " + std::to_string(turn.turn_id) +
                               " should be turn " + std::to_string(expected) +
                               ": turns follow the base one by one");
    ++expected;
  }
  return {};
}

} // namespace

caf::result<sync_up_reply> sync_up(save_pointer self, sync_up_request& req) {
  auto& st = self->state;
  const auto head = st.info.head;
  if (req.if_match && *req.if_match != head.chain_hash)
    return make_save_error(save_errc::precondition_failed,
                           "If-Match does not name the head (turn " +
                             std::to_string(head.turn_id) + ")");
  if (auto err = check_turn_ids(req))
    return err;
  auto unknown_base = [head, base_turn = req.base.turn_id] {
    return make_save_error(save_errc::unknown_base,
                           "base turn " + std::to_string(base_turn) +
                             " is not on this save's chain (head turn " +
                             std::to_string(head.turn_id) + ")");
  };
  bool at_head = req.base.turn_id == head.turn_id;
  if ((at_head && req.base.chain_hash != head.chain_hash) ||
      req.base.turn_id > head.turn_id || req.base.turn_id < 0)
    return unknown_base();
  // One deadline and one rebuild budget for every step of this request.
  sync_work work{st.ctx->now, req.scope.deadline,
                 std::make_shared<core::rebuild_budget>(
                   sync_rebuild_limit(st.ctx->options))};
  if (auto late = work.check())
    return late;
  // From here on every answer goes through the promise (once a promise
  // exists, a returned value or error is not delivered).
  auto rp = self->make_response_promise<sync_up_reply>();
  if (at_head) {
    // Only the turns move out: the rest of the request stays readable.
    fast_forward(self, req, std::move(req.turns), {}, rp, work);
    return rp;
  }
  // Behind the head: read the stored chain from the base on, then the
  // base's state, then compare.
  auto request = std::make_shared<sync_up_request>(std::move(req));
  auto first = std::max<std::int64_t>(request->base.turn_id, 1);
  auto last = std::min(request->turns.back().turn_id, head.turn_id);
  auto fail = [rp](caf::error& err) mutable { rp.deliver(std::move(err)); };
  self
    ->request(st.reader, caf::infinite, turn_hash_atom_v, st.save_id, first,
              last)
    .await(
      [=](std::vector<materialized_turn>& stored) mutable {
        auto& s = self->state;
        const auto& base = request->base;
        bool known =
          base.turn_id == 0
            ? base.chain_hash == core::chain_genesis(s.info.session_id)
            : !stored.empty() && stored.front().turn_id == base.turn_id &&
                stored.front().chain_hash == base.chain_hash;
        if (!known) {
          rp.deliver(unknown_base());
          return;
        }
        if (base.turn_id == 0) {
          settle_behind_head(self, *request, stored, nullptr, rp, work);
          return;
        }
        self
          ->request(s.reader, caf::infinite, materialize_atom_v, s.save_id,
                    base.turn_id, request_scope{work.deadline, {}})
          .await(
            [=](materialized_turn& at_base) mutable {
              core::state_image base_state{std::move(at_base.canonical), {}};
              settle_behind_head(self, *request, stored, &base_state, rp, work);
            },
            fail);
      },
      fail);
  return rp;
}

} // namespace awf::actors
