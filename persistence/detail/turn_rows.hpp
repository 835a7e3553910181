// Private to persistence/: reads and writes stored turns in the tables laid
// out like awf_save_diffs (a save's head chain, an archive's branch).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/turn_codec.hpp"
#include "persistence/detail/blob_writes.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence::detail {

/// Where a table keeps its turns.
struct turn_table {
  const char* name;         ///< the table
  const char* owner_column; ///< the save or archive the turns belong to
  /// SQL giving the owner_column value of the save or archive whose id is
  /// the parameter `:o`.
  const char* owner_of;
  const char* turn_column; ///< the turn id
  bool has_from_turn;      ///< also stores `from_turn = turn id - 1`
  /// Keeps sync up audit records in `sync_turns` (see sync_records.hpp),
  /// stamped by `created_at` (the connection's clock).
  bool has_sync_records;
};

/// A save's turn rows name it by its integer `save_key` (migration 8).
inline constexpr turn_table save_turn_table{
  "awf_save_diffs",
  "save_key",
  "(SELECT save_key FROM awf_saves WHERE save_id = :o)",
  "to_turn",
  true,
  true};
inline constexpr turn_table archive_turn_table{
  "awf_archive_turns", "archive_id", ":o", "turn_id", false, false};

/// SQL giving the `save_key` of the save whose id is the parameter
/// `parameter` (e.g. ":s"), for conditions on awf_save_diffs.
std::string save_key_of(const std::string& parameter);

/// Returns the turns `from`..`to` (inclusive) of `owner_id` in order, with
/// their blobs when `with_blobs`. `owner_id` must be a UUID. Throws on
/// database errors (callers guard); a row of unknown kind is `corrupt`.
stored<std::vector<core::stored_turn>>
load_turn_rows(database& db, const turn_table& table,
               const std::string& owner_id, std::int64_t from, std::int64_t to,
               bool with_blobs);

/// The insert of one turn row into a turn table, prepared once and bound by
/// reference to the fields below, so every writer stores turns alike. Calls
/// throw on database errors: callers run inside a transaction under
/// `guarded`.
class turn_row_writes {
public:
  /// Prepares the insert into `table`; blobs go through `blobs`.
  turn_row_writes(database& db, const turn_table& table, blob_writes& blobs);

  /// Stores the turn row of `owner_id` with its diff in the row, or for a
  /// snapshot its blob (deduplicated, referenced from `save_id`), and notes
  /// the key use in `uses`. `sync_turns` > 0 makes the row the audit record
  /// of the sync up that stored it, which accepted that many turns (only in
  /// a table that has_sync_records).
  void insert(const std::string& owner_id, const std::string& save_id,
              const core::stored_turn& turn, key_use_counts& uses,
              std::int64_t sync_turns = 0);

private:
  database& db_;
  blob_writes& blobs_;
  std::string owner_id_, diff_hash_, chain_hash_, state_hash_, kind_, body_,
    device_id_, created_at_;
  soci::indicator body_ind_ = soci::i_null, device_ind_ = soci::i_null,
                  sync_turns_ind_ = soci::i_null;
  long long turn_id_ = 0, from_turn_ = 0, base_turn_ = 0, state_bytes_ = 0,
            sync_turns_ = 0;
  bool has_sync_records_;
  soci::statement insert_;
};

} // namespace awf::persistence::detail
