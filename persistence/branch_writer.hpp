// Changes a save's head chain other than by appending to it: the storage
// side of settling a conflict or a restore. One call, one transaction: the
// head, its turns, the archived branch, the conflict report and the audit
// records land together or not at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/chain.hpp"
#include "core/turn_codec.hpp"
#include "persistence/archive_store.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/conflict_store.hpp"
#include "persistence/database.hpp"

namespace awf::persistence {

/// One change of a save's head chain: keep its turns 1..keep_through, drop
/// the ones after (archived first, by the caller), append `new_turns`.
struct branch_change {
  std::string save_id;
  /// The stored head must still be this, else head_moved and nothing is
  /// written.
  core::chain_head expected_head;
  /// Head-chain turns after this one are removed; they must be the turns
  /// of `archive` (it forks at keep_through and ends at expected_head).
  /// Equal to expected_head.turn_id when nothing is removed.
  std::int64_t keep_through = 0;
  /// Consecutive from keep_through + 1, continuing the kept chain. May be
  /// empty: the head then becomes turn keep_through.
  std::vector<core::stored_turn> new_turns;
  /// Written exactly like archive_store::write_archive (same checks), with
  /// `archive_turns` as its turns.
  std::optional<archive_record> archive;
  std::vector<core::stored_turn> archive_turns;
  /// Written to awf_conflicts.
  std::optional<conflict_record> conflict;
  /// Written like turn_writer writes them.
  std::vector<audit_entry> audits;
  /// As turn_commit::not_after.
  std::chrono::steady_clock::time_point not_after =
    std::chrono::steady_clock::time_point::max();
};

/// Applies `change` in one transaction and returns the new head (the turn
/// id and chain hash of the last kept or new turn). The save's
/// base_snapshot_hash becomes the blob of the snapshot the new head
/// rebuilds from (NULL at turn 0, as for a new save); new turns store their
/// blobs, references and key use exactly like turn_writer. A change that
/// neither removes nor adds turns (a conflict the server wins) leaves the
/// save row as it is. Removed turns keep their blobs and blob references
/// (garbage collection is a later concern). All or nothing:
/// head_moved when the stored head is not expected_head; not_found for an
/// unknown or junk save id; failure for a change of the wrong shape (a gap,
/// a base outside the chain, turns removed without their archive, parts of
/// another save, new turns that do not continue the kept chain) or when
/// the database refuses any part (e.g. a duplicate archive id).
stored<core::chain_head> apply_branch_change(database& db,
                                             const branch_change& change);

} // namespace awf::persistence
