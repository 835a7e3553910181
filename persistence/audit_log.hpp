// The append-only audit trail (awf_sync_audit): who did what to which save.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "persistence/database.hpp"

namespace awf::persistence {

struct audit_record {
  std::string audit_id;
  std::optional<std::string> save_id;
  std::optional<std::string> device_id;
  std::string operation;
  std::string details_json; ///< a JSON object, canonical
  std::int64_t created_at_ms = 0;
};

/// One record to append.
struct audit_entry {
  std::optional<std::string> save_id;
  std::optional<std::string> device_id;
  std::string operation;
  std::string details_json; ///< a JSON object; never secrets
};

/// The details of a "sync_up" record, the same wherever it is kept: how the
/// sync up ended (contract §5 status), the turns it accepted, the head turn
/// it left and the user who made it.
std::string sync_up_details(std::string_view status, std::int64_t turns,
                            std::int64_t head_turn,
                            const std::string& user_id_hash);

/// Which records `list` returns, newest first.
struct audit_filter {
  std::optional<std::string> save_id;
  std::optional<std::string> device_id;
  std::optional<std::int64_t> since_ms; ///< created at or after
  std::size_t limit = 100;
};

class audit_log {
public:
  explicit audit_log(database& db) : db_(db) {}

  /// Appends one record and returns its id. `details_json` must be a JSON
  /// object and must never hold secrets.
  stored<std::string> append(const std::optional<std::string>& save_id,
                             const std::optional<std::string>& device_id,
                             const std::string& operation,
                             const std::string& details_json);

  /// Appends many records in one transaction (all or none). A save_id
  /// that names no save is stored as NULL with the id kept in details under
  /// "save_id", so a rejected request for a missing save is still recorded.
  storage_status append_many(const std::vector<audit_entry>& entries);

  /// Returns the newest records first, optionally for one save.
  stored<std::vector<audit_record>>
  list(const std::optional<std::string>& save_id, std::size_t limit);

  /// Returns the newest records first that match `filter`: the rows of
  /// awf_sync_audit and the sync up records kept in turn rows (see
  /// detail/sync_records.hpp). The save filter matches the save column (a
  /// junk id matches nothing); the time filter agrees with the
  /// `created_at_ms` the records report. Records of the same millisecond
  /// keep their insertion order within each kind.
  stored<std::vector<audit_record>> list(const audit_filter& filter);

private:
  /// The records of awf_sync_audit that match `filter`, newest first.
  /// Throws on database errors (list guards).
  std::vector<audit_record> list_own(const audit_filter& filter);

  database& db_;
};

} // namespace awf::persistence
