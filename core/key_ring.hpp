// AES-256-GCM envelopes for blobs at rest, under a ring of named keys: the
// first key encrypts, every key decrypts, so keys rotate without rewrites.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace awf::core {

/// NIST SP 800-38D allows at most 2^32 encryptions under one key with random
/// 96-bit nonces.
inline constexpr std::uint64_t max_encryptions_per_key = std::uint64_t{1} << 32;

/// Durably adds `count` to the nonces reserved for `key_id` (committed before
/// it returns); false when that could not be recorded.
using nonce_reserver =
  std::function<bool(const std::string& key_id, std::uint64_t count)>;

/// One named 256-bit key.
struct named_key {
  std::string id;    ///< [A-Za-z0-9._-]{1,32}
  std::string bytes; ///< exactly 32 bytes
};

/// A set of keys; thread-safe for concurrent seal and open.
class key_ring {
public:
  /// Builds a ring; the first key encrypts. Fails with `errc::invalid_key`
  /// for an empty list, a bad id, a duplicate id or a key not 32 bytes long.
  static result<key_ring>
  make(std::vector<named_key> keys,
       std::uint64_t encryption_limit = max_encryptions_per_key);

  /// Parses `CLOUD_SYNC_ENC_KEYS` syntax: `kid:base64key,kid:base64key`.
  static result<key_ring>
  parse(std::string_view spec,
        std::uint64_t encryption_limit = max_encryptions_per_key);

  /// Returns a fresh random 32-byte key.
  static std::string random_key();

  /// Encrypts `plaintext` under the first key with a random 96-bit nonce,
  /// binding `associated_data` (not stored). Envelope layout:
  /// "AWE1" | u8 id length | id | 12-byte nonce | ciphertext | 16-byte tag.
  /// Fails with `errc::key_exhausted` once the key's budget is spent.
  result<std::string> seal(std::string_view plaintext,
                           std::string_view associated_data);

  /// Decrypts an envelope made by `seal` with any key of the ring. Fails with
  /// `errc::unknown_key`, `errc::corrupt_data` (malformed envelope) or
  /// `errc::authentication_failed` (tampered bytes, wrong key or wrong
  /// associated data).
  result<std::string> open(std::string_view envelope,
                           std::string_view associated_data) const;

  /// Returns the key id an envelope names, or an empty string if malformed.
  static std::string envelope_key_id(std::string_view envelope);

  /// The id of the key that encrypts.
  const std::string& active_key_id() const;

  /// How many encryptions the active key has done, including those recorded
  /// before this process started (see `record_prior_use`).
  std::uint64_t encryptions(std::string_view key_id) const;

  /// Adds `count` encryptions done by earlier runs under `key_id`.
  void record_prior_use(std::string_view key_id, std::uint64_t count);

  /// From now on every seal is covered by a durable reservation before it
  /// encrypts, so no nonce use is forgotten, whatever happens to the request
  /// that made it: when the active key has used what this run reserved,
  /// `reserve` records `block` more (hi-lo style; one call per `block`
  /// seals, under a lock) and a seal it could not cover fails with
  /// `errc::io_failure`. A restart counts every reserved nonce as spent.
  /// Without a reserver (tools, tests) seals are counted in memory only.
  void reserve_nonces_with(nonce_reserver reserve, std::uint64_t block);

  key_ring(key_ring&&) noexcept;
  key_ring& operator=(key_ring&&) noexcept;
  ~key_ring();

private:
  struct impl;
  explicit key_ring(std::unique_ptr<impl> ptr);
  std::unique_ptr<impl> impl_;
};

} // namespace awf::core
