// Private to persistence/: the audit records of sync ups that appended turns
// to the head. Such a record is not a row of awf_sync_audit: it is the last
// turn row the sync up stored, marked by `sync_turns` (the turns the sync up
// accepted), so it costs no write of its own. It lists like any other record,
// with an id named by its turn row. When its turn leaves the head (a
// conflict or a restore replaces it), the record moves into awf_sync_audit
// with the same id, time and details.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "persistence/audit_log.hpp"

namespace awf::persistence::detail {

/// What names a kept record: its turn row. A turn id alone is not enough,
/// as a turn dropped from the head is followed by another of the same id.
struct sync_record_key {
  std::string save_id;
  std::int64_t turn_id = 0;
  std::string chain_hash;
  std::string created_at; ///< the row's time as text, as the database gives it
};

/// The id of the record kept in the turn row `key` names.
std::string sync_record_id(const sync_record_key& key);

/// The records kept in turn rows that match `filter`, newest first, at most
/// `filter.limit`. Throws on database errors (callers guard).
std::vector<audit_record> list_sync_records(database& db,
                                            const audit_filter& filter);

/// Copies the records kept in the turns after `keep_through` of `save_id`
/// into awf_sync_audit, before those turn rows are deleted. Throws on
/// database errors: callers run inside the transaction that deletes them.
void keep_sync_records(database& db, const std::string& save_id,
                       std::int64_t keep_through);

} // namespace awf::persistence::detail
