// Private to persistence/: reads stored turns from the tables laid out like
// awf_save_diffs (a save's head chain, an archive's branch).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/turn_codec.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence::detail {

/// Where a table keeps its turns.
struct turn_table {
  const char* name;         ///< the table
  const char* owner_column; ///< the save or archive the turns belong to
  const char* turn_column;  ///< the turn id
};

inline constexpr turn_table save_turn_table{"awf_save_diffs", "save_id",
                                            "to_turn"};
inline constexpr turn_table archive_turn_table{"awf_archive_turns",
                                               "archive_id", "turn_id"};

/// Returns the turns `from`..`to` (inclusive) of `owner_id` in order, with
/// their blobs when `with_blobs`. `owner_id` must be a UUID. Throws on
/// database errors (callers guard); a row of unknown kind is `corrupt`.
stored<std::vector<core::stored_turn>>
load_turn_rows(database& db, const turn_table& table,
               const std::string& owner_id, std::int64_t from, std::int64_t to,
               bool with_blobs);

} // namespace awf::persistence::detail
