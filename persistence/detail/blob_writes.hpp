// Private to persistence/: how every writer stores sealed blobs, so head
// turns and archived turns store blobs, references and key usage alike.
#pragma once

#include <map>
#include <string>

#include "core/turn_codec.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence::detail {

/// Encryptions per key id, counted while a transaction stores blobs.
using key_use_counts = std::map<std::string, long long>;

/// The blob statements, prepared once per connection and bound by reference
/// to the fields below. Every call throws on database errors: callers run
/// inside a transaction under `guarded`.
class blob_writes {
public:
  explicit blob_writes(database& db);

  /// Stores `blob` unless a blob of the same hash exists (content addressing
  /// deduplicates across saves) and references it from `save_id`.
  void store(const std::string& save_id, const core::stored_blob& blob);

  /// Notes in `uses` the encryption that sealed `blob`: every stored turn
  /// was sealed once and spent a nonce, whether its blob was new or not.
  static void note_key_use(key_use_counts& uses, const core::stored_blob& blob);

  /// Adds `uses` to awf_key_usage (the nonce budget survives restarts).
  void count_key_use(const key_use_counts& uses);

private:
  database& db_;
  std::string save_id_, blob_hash_, blob_type_, blob_bytes_, codec_, key_id_,
    created_at_;
  long long plain_size_ = 0, stored_size_ = 0, key_count_ = 0;
  soci::statement insert_blob_;
  soci::statement insert_ref_;
  soci::statement add_key_use_;
};

} // namespace awf::persistence::detail
