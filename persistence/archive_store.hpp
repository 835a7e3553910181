// SQL for archived branches (awf_save_archives + awf_archive_turns): turns
// that left a save's head chain (a losing conflict branch, a head replaced
// by a restore), kept whole so they can be materialized and restored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/turn_codec.hpp"
#include "persistence/database.hpp"

namespace awf::persistence {

/// One row of awf_save_archives.
struct archive_record {
  std::string archive_id; ///< a UUID
  std::string save_id;
  std::string reason;         ///< "conflict" or "manual_restore"
  std::string meta_json;      ///< a JSON object (fork turn, device, report...)
  std::int64_t fork_turn = 0; ///< the head-chain turn the branch left from
  std::int64_t turn_count = 0;
  std::int64_t created_at_ms = 0;
};

class archive_store {
public:
  explicit archive_store(database& db) : db_(db) {}

  /// Stores the archive and its turns (fork_turn + 1 ... consecutive; the
  /// first one a snapshot) in one transaction: blobs deduplicated, blob
  /// references for the save, and the key usage counters, exactly like
  /// turn_writer. Nothing is stored if any part fails. turn_count is set
  /// from `turns`. A junk save id answers not_found; turns that break the
  /// shape above (or rebuild from a turn outside the branch), a duplicate
  /// archive id or an unknown save answer failure.
  storage_status write_archive(const archive_record& archive,
                               const std::vector<core::stored_turn>& turns);

  /// One archive of `save_id`, or not_found.
  stored<archive_record> find_archive(const std::string& save_id,
                                      const std::string& archive_id);

  /// A save's archives, newest first, at most `limit`.
  stored<std::vector<archive_record>> list_archives(const std::string& save_id,
                                                    std::size_t limit);

  /// Archived turns `from`..`to` (inclusive) in order, with blobs when asked.
  stored<std::vector<core::stored_turn>>
  load_archive_turns(const std::string& archive_id, std::int64_t from,
                     std::int64_t to, bool with_blobs);

private:
  database& db_;
};

} // namespace awf::persistence
