#include "persistence/branch_writer.hpp"

#include "core/uuid.hpp"
#include "persistence/detail/archive_writes.hpp"
#include "persistence/detail/audit_writes.hpp"
#include "persistence/detail/blob_writes.hpp"
#include "persistence/detail/conflict_writes.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/sync_records.hpp"
#include "persistence/detail/turn_rows.hpp"

namespace awf::persistence {

namespace {

using detail::invalid;
using detail::session_of;

/// Checks that the new turns are consecutive from keep_through + 1 and
/// rebuild like the encoder's: a snapshot from itself, a diff from the
/// snapshot its predecessor rebuilds from (checked against the kept chain
/// for the first turn, in the transaction), each chained to the one before.
storage_status check_new_turns(const branch_change& c) {
  const auto& turns = c.new_turns;
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const auto& t = turns[i];
    auto id = std::to_string(t.turn_id);
    auto want = c.keep_through + 1 + static_cast<std::int64_t>(i);
    if (t.turn_id != want)
      return invalid("new turn " + id + " should be turn " +
                     std::to_string(want));
    bool snapshot = t.kind == core::turn_kind::snapshot;
    if (snapshot ? t.base_turn != t.turn_id
                 : t.base_turn < 1 || t.base_turn >= t.turn_id)
      return invalid("new turn " + id + " rebuilds from turn " +
                     std::to_string(t.base_turn));
    if (i == 0)
      continue;
    const auto& before = turns[i - 1];
    if (!snapshot && t.base_turn != before.base_turn)
      return invalid("new turn " + id + " rebuilds from turn " +
                     std::to_string(t.base_turn) + ", turn " +
                     std::to_string(before.turn_id) + " from turn " +
                     std::to_string(before.base_turn));
    if (t.chain_hash !=
        core::chain_next(before.chain_hash, t.turn_id, t.state_hash))
      return invalid("new turn " + id + " does not continue the chain");
  }
  return std::monostate{};
}

/// Checks the shape of a change before anything is written.
storage_status check_change(const branch_change& c) {
  if (!core::is_uuid(c.save_id))
    return storage_error{storage_errc::not_found, "no such save"};
  if (c.keep_through < 0 || c.keep_through > c.expected_head.turn_id)
    return invalid("cannot keep turns 1.." + std::to_string(c.keep_through) +
                   " of a head at turn " +
                   std::to_string(c.expected_head.turn_id));
  if (auto turns = check_new_turns(c); !turns)
    return turns;
  if (c.keep_through < c.expected_head.turn_id) {
    // The removed turns must survive in the archive: it forks where the
    // kept chain ends and reaches the removed head, chain hash and all.
    if (!c.archive)
      return invalid("turns removed without an archive");
    if (c.archive->fork_turn != c.keep_through || c.archive_turns.empty() ||
        c.archive_turns.back().turn_id != c.expected_head.turn_id ||
        c.archive_turns.back().chain_hash != c.expected_head.chain_hash)
      return invalid("the archive does not hold the removed turns");
  }
  if (c.archive) {
    if (c.archive->save_id != c.save_id)
      return invalid("the archive belongs to another save");
    if (auto checked = detail::check_archive(*c.archive, c.archive_turns);
        !checked)
      return checked;
  } else if (!c.archive_turns.empty()) {
    return invalid("archived turns without an archive");
  }
  if (c.conflict) {
    if (c.conflict->save_id != c.save_id)
      return invalid("the conflict belongs to another save");
    if (auto checked = detail::check_conflict(*c.conflict); !checked)
      return checked;
  }
  return std::monostate{};
}

/// The last kept turn of the head chain.
struct kept_turn {
  std::string chain_hash;
  std::int64_t base_turn = 0; ///< 0 at turn 0
};

/// Reads the kept turn `turn_id` of `save_id` (turn 0: chain(0)).
stored<kept_turn> read_kept_turn(database& db, const std::string& save_id,
                                 std::int64_t turn_id) {
  auto& s = session_of(db);
  kept_turn out;
  if (turn_id == 0) {
    std::string session_id;
    s << "SELECT session_id FROM awf_saves WHERE save_id = :id",
      soci::use(save_id), soci::into(session_id);
    out.chain_hash = core::chain_genesis(session_id);
    return out;
  }
  long long turn = turn_id, base = 0;
  s << "SELECT " + detail::hash_out(db, "chain_hash") +
         ", base_turn FROM awf_save_diffs WHERE save_key = " +
         detail::save_key_of(":id") + " AND to_turn = :t",
    soci::use(save_id), soci::use(turn), soci::into(out.chain_hash),
    soci::into(base);
  if (!s.got_data())
    return storage_error{storage_errc::corrupt,
                         "save " + save_id + " has no turn " +
                           std::to_string(turn_id) + " below its head"};
  out.base_turn = base;
  return out;
}

/// Checks that the first new turn continues the kept chain.
storage_status check_continues(const branch_change& c, const kept_turn& kept) {
  if (c.new_turns.empty())
    return std::monostate{};
  const auto& first = c.new_turns.front();
  if (first.kind != core::turn_kind::snapshot &&
      first.base_turn != kept.base_turn)
    return invalid("new turn " + std::to_string(first.turn_id) +
                   " rebuilds from turn " + std::to_string(first.base_turn) +
                   ", the kept chain from turn " +
                   std::to_string(kept.base_turn));
  if (first.chain_hash !=
      core::chain_next(kept.chain_hash, first.turn_id, first.state_hash))
    return invalid("new turn " + std::to_string(first.turn_id) +
                   " does not continue the kept chain");
  return std::monostate{};
}

/// Moves the head of `save_id` to `head`, whose turns rebuild from
/// `base_turn`, exactly as turn_writer keeps it: base_snapshot_hash names
/// the blob of that snapshot (NULL at turn 0, as for a new save).
storage_status move_head(database& db, const std::string& save_id,
                         const core::chain_head& head, std::int64_t base_turn) {
  auto& s = session_of(db);
  std::string snapshot_hash;
  auto snapshot_ind = soci::i_null;
  if (head.turn_id > 0) {
    long long base = base_turn;
    s << "SELECT diff_hash FROM awf_save_diffs WHERE save_key = " +
           detail::save_key_of(":id") + " AND to_turn = :t",
      soci::use(save_id), soci::use(base), soci::into(snapshot_hash);
    if (!s.got_data())
      return storage_error{storage_errc::corrupt,
                           "save " + save_id + " has no turn " +
                             std::to_string(base_turn) + " to rebuild from"};
    snapshot_ind = soci::i_ok;
  }
  long long turn = head.turn_id;
  auto now = detail::now_text(db);
  s << "UPDATE awf_saves SET turn_id = :t, latest_chain_hash = :c, "
       "base_snapshot_hash = :b, updated_at = :now WHERE save_id = :id",
    soci::use(turn), soci::use(head.chain_hash),
    soci::use(snapshot_hash, snapshot_ind), soci::use(now), soci::use(save_id);
  return std::monostate{};
}

} // namespace

stored<core::chain_head> apply_branch_change(database& db,
                                             const branch_change& c) {
  if (auto checked = check_change(c); !checked)
    return checked.error();
  return detail::guarded(
    "apply branch change", [&]() -> stored<core::chain_head> {
      auto& s = session_of(db);
      // Statements are prepared before the transaction, so a failed one is
      // rolled back before they are released.
      detail::blob_writes blobs{db};
      detail::turn_row_writes head_turns{db, detail::save_turn_table, blobs};
      detail::archive_writes archives{db, blobs};
      detail::audit_writes audits{db};
      std::string save_id = c.save_id;
      std::string expected_chain = c.expected_head.chain_hash;
      long long expected_turn = c.expected_head.turn_id;
      // Checks the head and locks the save's row until the commit, so no
      // turn lands on the head being changed.
      soci::statement lock_head =
        (s.prepare << "UPDATE awf_saves SET turn_id = turn_id WHERE save_id "
                      "= :id AND turn_id = :t AND latest_chain_hash = :c",
         soci::use(save_id), soci::use(expected_turn),
         soci::use(expected_chain));
      soci::transaction tx(s);
      lock_head.execute(true);
      if (lock_head.get_affected_rows() != 1) {
        long long saves = 0;
        s << "SELECT COUNT(*) FROM awf_saves WHERE save_id = :id",
          soci::use(save_id), soci::into(saves);
        if (saves == 0)
          return storage_error{storage_errc::not_found, "no such save"};
        return storage_error{storage_errc::head_moved,
                             "save " + save_id + " is no longer at turn " +
                               std::to_string(expected_turn)};
      }
      auto kept = read_kept_turn(db, save_id, c.keep_through);
      if (!kept)
        return kept.error();
      if (auto continues = check_continues(c, *kept); !continues)
        return continues.error();
      detail::key_use_counts key_use;
      core::chain_head head{c.keep_through, kept->chain_hash};
      auto base_turn = kept->base_turn;
      const bool removes = c.keep_through < c.expected_head.turn_id;
      if (removes) {
        // Only the turn rows go: their blobs and blob references stay, as
        // another turn or an archive (this change's, at least) may use
        // them. Collecting unused blobs is garbage collection's job.
        // Sync up records kept in those rows move to the audit table.
        detail::keep_sync_records(db, save_id, c.keep_through);
        long long keep = c.keep_through;
        s << "DELETE FROM awf_save_diffs WHERE save_key = " +
               detail::save_key_of(":id") + " AND to_turn > :k",
          soci::use(save_id), soci::use(keep);
      }
      for (const auto& t : c.new_turns)
        head_turns.insert(save_id, save_id, t, key_use);
      if (!c.new_turns.empty()) {
        head = {c.new_turns.back().turn_id, c.new_turns.back().chain_hash};
        base_turn = c.new_turns.back().base_turn;
      }
      if (removes || !c.new_turns.empty())
        if (auto moved = move_head(db, save_id, head, base_turn); !moved)
          return moved.error();
      if (c.archive)
        archives.insert(*c.archive, c.archive_turns, key_use);
      if (c.conflict)
        detail::insert_conflict(db, *c.conflict);
      blobs.count_key_use(key_use);
      for (const auto& entry : c.audits)
        audits.insert(entry);
      tx.commit();
      return head;
    });
}

} // namespace awf::persistence
