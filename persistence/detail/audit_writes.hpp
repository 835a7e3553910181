// Private to persistence/: how every writer appends audit records, so the
// audit log and the turn writer's group commit store them alike.
#pragma once

#include <string>

#include "persistence/audit_log.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence::detail {

/// Largest details text an audit record keeps; a larger one is replaced by
/// {"truncated": true, "bytes": N}. Records hold ids and counts, never
/// client payloads, so only a bug or a hostile id could get near it.
inline constexpr std::size_t max_audit_details_bytes = 16 * 1024;

/// Longest save or device id an audit record keeps (UUIDs have 36 bytes,
/// device ids at most 64).
inline constexpr std::size_t max_audit_id_bytes = 64;

/// Bounds what `entry` may store: details over max_audit_details_bytes are
/// replaced, a device id over max_audit_id_bytes is dropped (its length
/// noted in the details). Throws std::invalid_argument unless the details
/// are a JSON object (empty text stands for `{}`).
audit_entry bounded(const audit_entry& entry);

/// The audit insert, prepared once per connection and bound by reference to
/// the fields below. Calls throw on errors: callers run inside a transaction
/// under `guarded`.
class audit_writes {
public:
  explicit audit_writes(database& db);

  /// Appends `entry` and returns its id. A save id that names no save is
  /// stored as NULL and kept in the details under "save_id" (one statement
  /// decides, so a batch never fails on a save deleted meanwhile). Throws
  /// std::invalid_argument unless the details are a JSON object (empty
  /// text stands for `{}`), so both dialects accept the same records.
  std::string insert(const audit_entry& entry);

private:
  database& db_;
  std::string id_, save_key_, device_, operation_, details_found_,
    details_missing_, created_at_;
  soci::indicator save_ind_ = soci::i_null, device_ind_ = soci::i_null;
  soci::statement insert_;
};

} // namespace awf::persistence::detail
