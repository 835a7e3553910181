#include "actors/turn_reads.hpp"

#include "actors/save_errc.hpp"
#include "core/canonical_json.hpp"
#include "core/chain_verifier.hpp"
#include "core/json_patch.hpp"

namespace awf::actors {

caf::expected<materialized_turn> rebuild_turn(persistence::save_store& saves,
                                              const engine_context& ctx,
                                              const std::string& save_id,
                                              std::int64_t turn_id,
                                              std::int64_t* base_turn) {
  auto base = saves.base_turn_of(save_id, turn_id);
  if (!base)
    return from_storage_error(base.error());
  if (base_turn != nullptr)
    *base_turn = *base;
  auto rows = saves.load_turns(save_id, *base, turn_id, true);
  if (!rows)
    return from_storage_error(rows.error());
  if (rows->empty() || rows->back().turn_id != turn_id)
    return make_save_error(save_errc::integrity_failure,
                           "turns " + std::to_string(*base) + ".." +
                             std::to_string(turn_id) + " are incomplete");
  auto image =
    core::rebuild_state(*rows, *ctx.keys, ctx.options.max_state_bytes);
  if (!image)
    return from_core_error(image.error());
  const auto& last = rows->back();
  return materialized_turn{save_id, turn_id, std::move(image->canonical),
                           last.state_hash, last.chain_hash};
}

namespace {

// True when turn `since` of the stored chain has chain hash `chain`.
caf::expected<bool> on_chain(persistence::save_store& saves,
                             const std::string& save_id, std::int64_t since,
                             const std::string& chain) {
  auto rows = saves.load_turns(save_id, since, since, false);
  if (!rows)
    return from_storage_error(rows.error());
  return !rows->empty() && rows->front().chain_hash == chain;
}

caf::expected<sync_down_reply> snapshot_of_head(persistence::save_store& saves,
                                                const engine_context& ctx,
                                                sync_down_reply reply) {
  reply.has_snapshot = true;
  if (reply.head.turn_id == 0) {
    reply.snapshot = {reply.save_id, 0, {}, {}, reply.head.chain_hash};
    return reply;
  }
  auto head = rebuild_turn(saves, ctx, reply.save_id, reply.head.turn_id);
  if (!head)
    return head.error();
  reply.snapshot = std::move(*head);
  return reply;
}

} // namespace

caf::expected<sync_down_reply> read_sync_down(persistence::save_store& saves,
                                              const engine_context& ctx,
                                              const sync_down_request& req,
                                              const core::chain_head& head) {
  sync_down_reply reply;
  reply.save_id = req.save_id;
  reply.head = head;
  const auto since = req.since_turn;
  bool near = since > 0 && since <= head.turn_id &&
              head.turn_id - since <= req.max_behind;
  if (since == head.turn_id && req.since_chain == head.chain_hash && since > 0)
    return reply; // up to date
  if (!near)
    return snapshot_of_head(saves, ctx, std::move(reply));
  auto known = on_chain(saves, req.save_id, since, req.since_chain);
  if (!known)
    return known.error();
  if (!*known)
    return snapshot_of_head(saves, ctx, std::move(reply));
  auto start = rebuild_turn(saves, ctx, req.save_id, since);
  if (!start)
    return start.error();
  auto to =
    std::min(head.turn_id, since + std::max<std::int64_t>(1, req.page_turns));
  auto rows = saves.load_turns(req.save_id, since + 1, to, true);
  if (!rows)
    return from_storage_error(rows.error());
  if (static_cast<std::int64_t>(rows->size()) != to - since)
    return make_save_error(save_errc::integrity_failure,
                           "turns " + std::to_string(since + 1) + ".." +
                             std::to_string(to) + " are incomplete");
  core::state_image previous{std::move(start->canonical), {}};
  for (const auto& row : *rows) {
    auto next =
      core::decode_turn(row, &previous, *ctx.keys, ctx.options.max_state_bytes);
    if (!next)
      return from_core_error(next.error());
    auto before = previous.parsed();
    auto after = next->parsed();
    if (!before || !after)
      return make_save_error(save_errc::integrity_failure,
                             "turn " + std::to_string(row.turn_id) +
                               " does not parse");
    auto patch = core::canonicalize(core::diff(**before, **after));
    sync_turn turn{row.turn_id, false, {}, row.state_hash, row.chain_hash};
    // The whole state where that is smaller (contract §5).
    if (next->canonical.size() <= patch.size()) {
      turn.full_state = true;
      turn.body = next->canonical;
    } else {
      turn.body = std::move(patch);
    }
    reply.turns.push_back(std::move(turn));
    previous = std::move(*next);
  }
  reply.more = to < head.turn_id;
  return reply;
}

} // namespace awf::actors
