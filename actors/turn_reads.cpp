#include "actors/turn_reads.hpp"

#include <algorithm>

#include "actors/save_errc.hpp"
#include "core/canonical_json.hpp"
#include "core/chain_verifier.hpp"
#include "core/json_patch.hpp"
#include "core/uuid.hpp"

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

/// What a sync down page carries besides its turns' bodies (head, "more",
/// keys), at most.
constexpr std::uint64_t page_overhead_bytes = 1024;

/// What one turn entry carries besides its body (turn_id, two hashes, keys),
/// at most.
constexpr std::uint64_t turn_overhead_bytes = 256;

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
  // Turns are read and decoded one at a time, and the page stops before the
  // turn that would take it past page_bytes: no more than one page (and one
  // turn past it) is ever in memory, however large the states are.
  std::uint64_t page_bytes = page_overhead_bytes;
  core::state_image previous{std::move(start->canonical), {}};
  auto last = since;
  for (auto turn_id = since + 1; turn_id <= to; ++turn_id) {
    auto rows = saves.load_turns(req.save_id, turn_id, turn_id, true);
    if (!rows)
      return from_storage_error(rows.error());
    if (rows->size() != 1)
      return make_save_error(save_errc::integrity_failure,
                             "turn " + std::to_string(turn_id) + " is missing");
    const auto& row = rows->front();
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
    auto cost = turn.body.size() + turn_overhead_bytes;
    if (!reply.turns.empty() && page_bytes + cost > req.page_bytes)
      break; // the page is full: "more" sends the client on from `last`
    page_bytes += cost;
    reply.turns.push_back(std::move(turn));
    previous = std::move(*next);
    last = turn_id;
  }
  reply.more = last < head.turn_id;
  return reply;
}

caf::expected<branch_copy>
copy_branch(persistence::save_store& saves, const engine_context& ctx,
            const std::string& save_id, std::int64_t fork_turn,
            std::int64_t last_turn, bool reencode,
            request_scope::clock_type::time_point deadline) {
  branch_copy copy;
  copy.branch_turns = last_turn - fork_turn;
  core::chain_head fork{fork_turn, {}};
  std::optional<core::state_image> fork_state;
  if (fork_turn > 0) {
    auto at_fork = rebuild_turn(saves, ctx, save_id, fork_turn);
    if (!at_fork)
      return at_fork.error();
    fork.chain_hash = at_fork->chain_hash;
    copy.fork_state = at_fork->canonical;
    fork_state = core::state_image{std::move(at_fork->canonical), {}};
  } else {
    auto save = saves.find_save(save_id);
    if (!save)
      return from_storage_error(save.error());
    fork.chain_hash = core::chain_genesis(save->session_id);
  }
  auto rows = saves.load_turns(save_id, fork_turn + 1, last_turn, true);
  if (!rows)
    return from_storage_error(rows.error());
  if (!rows->empty())
    copy.device_id = rows->back().device_id;
  core::chain_verifier verifier{fork, std::move(fork_state), *ctx.keys,
                                ctx.options.max_state_bytes};
  // The previous turn of the copy: none for the first, which is stored whole.
  std::optional<core::state_image> previous;
  core::previous_turn before{nullptr, fork.turn_id, 0, fork.chain_hash};
  for (const auto& row : *rows) {
    if (auto late =
          check_deadline(ctx.now(), deadline, "reading the server branch"))
      return late;
    if (!verifier.feed(row, true))
      break;
    ++copy.verified_turns;
    if (!reencode)
      continue;
    auto image = *verifier.last_state();
    auto encoded =
      core::encode_turn(before, image, ctx.options.encode, *ctx.keys);
    if (!encoded)
      return from_core_error(encoded.error());
    encoded->device_id = row.device_id;
    before = {nullptr, encoded->turn_id, encoded->base_turn,
              encoded->chain_hash};
    copy.turns.push_back(std::move(*encoded));
    previous = std::move(image);
    before.state = &*previous;
  }
  if (copy.verified_turns < copy.branch_turns && verifier.errors().empty())
    verifier.fail(fork_turn + copy.verified_turns + 1, "turn rows are missing");
  copy.errors = verifier.errors();
  return copy;
}

caf::expected<materialized_turn>
rebuild_archive_turn(persistence::archive_store& archives,
                     const engine_context& ctx, const std::string& save_id,
                     const std::string& archive_id, std::int64_t turn_id) {
  auto archive = archives.find_archive(save_id, archive_id);
  if (!archive)
    return from_storage_error(archive.error());
  auto first = archive->fork_turn + 1;
  auto last = archive->fork_turn + archive->turn_count;
  if (turn_id == -1)
    turn_id = last;
  if (turn_id < first || turn_id > last)
    return make_save_error(
      save_errc::not_found,
      "archive " + archive_id + " holds turns " + std::to_string(first) + ".." +
        std::to_string(last) + ", not turn " + std::to_string(turn_id));
  // Rebuilt from the snapshot the turn leans on, not from the first turn.
  auto target =
    archives.load_archive_turns(archive_id, turn_id, turn_id, false);
  if (!target)
    return from_storage_error(target.error());
  if (target->empty())
    return make_save_error(save_errc::integrity_failure,
                           "archive " + archive_id + " misses turn " +
                             std::to_string(turn_id));
  auto base = std::clamp(target->front().base_turn, first, turn_id);
  auto rows = archives.load_archive_turns(archive_id, base, turn_id, true);
  if (!rows)
    return from_storage_error(rows.error());
  if (rows->empty() || rows->back().turn_id != turn_id)
    return make_save_error(save_errc::integrity_failure,
                           "archive " + archive_id + " misses turns");
  auto image =
    core::rebuild_state(*rows, *ctx.keys, ctx.options.max_state_bytes);
  if (!image)
    return from_core_error(image.error());
  const auto& last_row = rows->back();
  return materialized_turn{save_id, turn_id, std::move(image->canonical),
                           last_row.state_hash, last_row.chain_hash};
}

} // namespace awf::actors
