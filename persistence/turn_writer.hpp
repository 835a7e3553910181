// Appends turns: the write path of the save engine. Many saves' turns share
// one transaction (group commit); each entry lands whole or not at all.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/chain.hpp"
#include "core/turn_codec.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/database.hpp"

namespace awf::persistence {

/// Turns to append to one save, valid only if the save's head is still
/// `expected_head` when they commit. The turns are consecutive from
/// expected_head.turn_id + 1 and commit as one: all of them or none.
struct turn_commit {
  std::string save_id;
  core::chain_head expected_head;
  std::vector<core::stored_turn> turns;
  /// Audit records of the request that made the turns: written in the same
  /// transaction, and only if the turns land.
  std::vector<audit_entry> audits;
  /// > 0: the turns are a sync up's, which accepted this many turns; its
  /// audit record is kept in the last turn's row (detail/sync_records.hpp).
  std::int64_t sync_turns = 0;
  /// The storage worker does not start writing it after this instant: the
  /// request that asked for it was given up (the writer ignores it).
  std::chrono::steady_clock::time_point not_after =
    std::chrono::steady_clock::time_point::max();
};

class turn_writer {
public:
  explicit turn_writer(database& db);
  ~turn_writer();

  /// Commits `batch` and `audits` in one transaction: per entry, one head
  /// update (to the last turn, conditional on the expected head), the turn
  /// rows (a snapshot's blob deduplicated, with its reference) and the
  /// entry's own audit records; then the key usage counters and `audits`
  /// (a save id naming no save is kept in the details, as
  /// audit_log::append_many does).
  /// An entry whose save head moved is skipped with head_moved and stores
  /// nothing; an entry whose turns are missing or not consecutive fails
  /// alone; the others commit. If the database fails, every entry is
  /// retried alone, then the audits without the turns (and one by one if
  /// they fail together), so neither one bad entry nor one bad audit can
  /// sink the others; an audit that fails alone is dropped. Returns one
  /// status per entry, in order.
  std::vector<storage_status>
  commit(const std::vector<turn_commit>& batch,
         const std::vector<audit_entry>& audits = {});

private:
  struct statements;

  storage_status commit_together(const std::vector<turn_commit>& batch,
                                 const std::vector<audit_entry>& audits,
                                 std::vector<storage_status>& outcomes);

  database& db_;
  std::unique_ptr<statements> statements_; ///< prepared on first use
};

} // namespace awf::persistence
