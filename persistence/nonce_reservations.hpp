// Durable nonce reservations of the blob keys (awf_key_usage.reserved): the
// key ring reserves nonces in blocks here before it uses them, so every
// encryption is accounted for across restarts, even one whose request failed.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "persistence/database.hpp"

namespace awf::persistence {

/// Owns a connection of its own: reservations commit on their own, never
/// inside (or waiting behind) a storage worker's transaction. Thread-safe.
class nonce_reservations {
public:
  explicit nonce_reservations(std::unique_ptr<database> db);
  ~nonce_reservations();

  /// Adds `count` to the nonces reserved for `key_id` and commits. A key
  /// known only from the encryptions of its stored blobs (before migration
  /// 5) starts from that count. Returns the new total.
  stored<std::uint64_t> reserve(const std::string& key_id, std::uint64_t count);

private:
  std::mutex mutex_;
  std::unique_ptr<database> db_;
};

} // namespace awf::persistence
