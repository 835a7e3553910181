// The append-only audit trail (awf_sync_audit): who did what to which save.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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

class audit_log {
public:
  explicit audit_log(database& db) : db_(db) {}

  /// Appends one record and returns its id. `details_json` must be a JSON
  /// object and must never hold secrets.
  stored<std::string> append(const std::optional<std::string>& save_id,
                             const std::optional<std::string>& device_id,
                             const std::string& operation,
                             const std::string& details_json);

  /// Returns the newest records first, optionally for one save.
  stored<std::vector<audit_record>>
  list(const std::optional<std::string>& save_id, std::size_t limit);

private:
  database& db_;
};

} // namespace awf::persistence
