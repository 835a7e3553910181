// Appends turns: the write path of the save engine. Many saves' turns share
// one transaction (group commit); each turn lands whole or not at all.
#pragma once

#include <memory>
#include <vector>

#include "core/chain.hpp"
#include "core/turn_codec.hpp"
#include "persistence/database.hpp"

namespace awf::persistence {

/// One turn to append, valid only if the save's head is still
/// `expected_head` when it commits.
struct turn_commit {
  std::string save_id;
  core::chain_head expected_head;
  core::stored_turn turn;
};

class turn_writer {
public:
  explicit turn_writer(database& db);
  ~turn_writer();

  /// Commits `batch` in one transaction: per entry, the head update, the
  /// blob (deduplicated), its reference and the turn row, plus the key
  /// usage counters. An entry whose save head moved is skipped with
  /// head_moved and stores nothing; the others commit. If the database
  /// fails, every entry is retried alone so one bad entry cannot sink the
  /// others. Returns one status per entry, in order.
  std::vector<storage_status> commit(const std::vector<turn_commit>& batch);

private:
  struct statements;

  storage_status commit_together(const std::vector<turn_commit>& batch,
                                 std::vector<storage_status>& outcomes);

  database& db_;
  std::unique_ptr<statements> statements_; ///< prepared on first use
};

} // namespace awf::persistence
