// SQL for conflict reports (awf_conflicts): one row per settled conflict,
// for the conflicts list and the statistics. The rows are written by the
// branch writer, in the transaction that settles the conflict.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "persistence/database.hpp"

namespace awf::persistence {

/// One row of awf_conflicts.
struct conflict_record {
  std::string conflict_id; ///< a UUID
  std::string save_id;
  std::int64_t fork_turn = 0;
  /// The strategy applied: server_wins, client_wins, longest_chain,
  /// three_way_merge or manual.
  std::string strategy;
  std::string reason;        ///< the strategy, "manual" or "regression_guard"
  std::string chosen_branch; ///< server, client or merged
  std::string archive_id;    ///< the archived losing branch; empty: none
  std::int64_t conflicting_paths = 0;
  std::string device_id;   ///< empty: none (stored NULL)
  std::string report_json; ///< the whole contract §6 report, a JSON object
  std::int64_t created_at_ms = 0;
};

/// Conflict counts for the statistics.
struct conflict_totals {
  std::int64_t total = 0;
  std::map<std::string, std::int64_t> by_strategy, by_reason, by_chosen_branch;
  /// three_way_merge conflicts settled by a merge with no conflicting path.
  std::int64_t merges_clean = 0;
  /// three_way_merge conflicts settled by a merge with conflicting paths.
  std::int64_t merges_with_conflicts = 0;
};

class conflict_store {
public:
  explicit conflict_store(database& db) : db_(db) {}

  /// Conflicts newest first, at most `limit`: of one save (empty `save_id`:
  /// of all saves), and only of the saves of `user_id_hash` when it is not
  /// empty. A save id that is not a UUID lists nothing.
  stored<std::vector<conflict_record>> list(const std::string& save_id,
                                            const std::string& user_id_hash,
                                            std::size_t limit);

  /// The totals of the whole store, or of the saves of `user_id_hash`.
  stored<conflict_totals> totals(const std::string& user_id_hash = {});

private:
  database& db_;
};

} // namespace awf::persistence
