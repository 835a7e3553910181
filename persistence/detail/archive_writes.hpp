// Private to persistence/: how an archived branch is written, so
// archive_store and the branch writer store archives alike, each inside its
// own transaction.
#pragma once

#include <string>
#include <vector>

#include "persistence/archive_store.hpp"
#include "persistence/detail/blob_writes.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/turn_rows.hpp"

namespace awf::persistence::detail {

/// Checks an archive before anything is written: ids (a junk save id is
/// not_found), a JSON object as meta (PostgreSQL's JSONB would refuse
/// anything else, SQLite would not), and turns that rebuild on their own:
/// consecutive from fork_turn + 1, the first a snapshot, every base inside
/// the branch.
storage_status check_archive(const archive_record& archive,
                             const std::vector<core::stored_turn>& turns);

/// The archive inserts, prepared once and bound by reference. Calls throw on
/// database errors: callers run inside a transaction under `guarded`.
class archive_writes {
public:
  /// Prepares the inserts; archived blobs go through `blobs`.
  archive_writes(database& db, blob_writes& blobs);

  /// Stores `archive` (turn_count from `turns`, created now) and its turns:
  /// blobs deduplicated and referenced from the archive's save, key use
  /// noted in `uses`. `archive` and `turns` have passed check_archive.
  void insert(const archive_record& archive,
              const std::vector<core::stored_turn>& turns,
              key_use_counts& uses);

private:
  database& db_;
  turn_row_writes turns_;
};

} // namespace awf::persistence::detail
