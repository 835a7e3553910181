// SQL for registered devices (awf_devices): each holds the SHA-256 of its
// sync token, never the token itself.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "persistence/database.hpp"

namespace awf::persistence {

/// One row of awf_devices.
struct device_record {
  std::string device_id;
  std::string user_id_hash;
  std::string label;
  std::string token_hash; ///< sha256 hex of the sync token
  std::int64_t expires_at_ms = 0;
  bool revoked = false;
  std::int64_t last_turn_seen = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

class device_store {
public:
  explicit device_store(database& db) : db_(db) {}

  /// Registers `device_id` for `user_id_hash`, or re-registers it (new token
  /// hash, label and expiry; revocation lifted) when that user already owns
  /// it. Answers `conflict` when another user owns the id (revoked or
  /// not), and `failure` when another device holds `token_hash`.
  stored<device_record> register_device(const std::string& user_id_hash,
                                        const std::string& device_id,
                                        const std::string& label,
                                        const std::string& token_hash,
                                        std::int64_t expires_at_ms);

  /// The device whose current token hash is `token_hash` (revoked or
  /// expired ones too: the caller decides), or not_found.
  stored<device_record> find_by_token_hash(const std::string& token_hash);

  /// One device, or not_found.
  stored<device_record> find_device(const std::string& device_id);

  /// A user's devices, oldest first.
  stored<std::vector<device_record>>
  list_devices(const std::string& user_id_hash);

  /// Replaces the token hash, only while it is still `old_token_hash` and
  /// the device is not revoked; not_found otherwise.
  stored<device_record> rotate(const std::string& device_id,
                               const std::string& old_token_hash,
                               const std::string& new_token_hash,
                               std::int64_t expires_at_ms);

  /// Marks the device revoked; its token no longer authenticates.
  /// not_found when there is no such device.
  storage_status revoke(const std::string& device_id);

  /// Records the last turn the device synced (never moves backwards).
  /// not_found when there is no such device.
  storage_status note_turn_seen(const std::string& device_id,
                                std::int64_t turn_id);

  /// note_turn_seen for many devices in one transaction; devices that do
  /// not exist (any more) are skipped.
  storage_status
  note_turns_seen(const std::map<std::string, std::int64_t>& turns);

private:
  database& db_;
};

} // namespace awf::persistence
