// How one turn is stored: as a snapshot of its canonical bytes or as a diff
// against the turn before (a JSON Patch or a zstd binary delta), compressed
// and sealed. Encoding and decoding are pure; the store only moves bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/canonical_patch.hpp"
#include "core/key_ring.hpp"
#include "core/result.hpp"

namespace awf::core {

/// A materialized state: its canonical bytes and, once needed, its value.
struct state_image {
  std::string canonical;
  std::optional<nlohmann::json> value;
  /// The index of `canonical`'s containers, when a patch made it: the next
  /// patch starts from it instead of a pass over the bytes.
  std::optional<canonical_brackets> brackets;

  /// Parses `canonical` on first use.
  result<const nlohmann::json*> parsed();
};

/// How a turn's blob rebuilds the state.
enum class turn_kind : std::uint8_t {
  snapshot,   ///< the blob is the canonical bytes
  json_patch, ///< the blob is the canonical bytes of an RFC 6902 patch
  zstd_delta, ///< the blob is a zstd frame against the previous bytes
};

const char* to_string(turn_kind kind) noexcept;
std::optional<turn_kind> turn_kind_from_string(std::string_view text) noexcept;

/// The sealed bytes of a turn. A snapshot is content-addressed: `hash` is
/// the SHA-256 of its plaintext (the state hash), checked on open, and one
/// copy serves every turn and save with that state. A diff is unique to its
/// turn and lives in the turn's own row: it is sealed with the turn's state
/// hash as associated data (so it cannot be moved to another turn unnoticed)
/// and checked by the state hash of the rebuilt state.
struct stored_blob {
  std::string hash;            ///< the associated data of the seal
  std::string type;            ///< "snapshot", "diff" or "meta"
  std::string codec;           ///< "zstd" (compressed plaintext) or "raw"
  std::string bytes;           ///< the sealed envelope
  std::uint64_t plain_size{0}; ///< bytes of plaintext
  /// `hash` is the SHA-256 of the plaintext, checked on open (snapshots, and
  /// diffs written before diffs moved into their rows); false: `hash` is
  /// the turn's state hash.
  bool content_addressed{true};
};

/// One turn as stored.
struct stored_turn {
  std::int64_t turn_id{0};
  turn_kind kind{turn_kind::snapshot};
  std::int64_t base_turn{0}; ///< the snapshot turn this turn rebuilds from
  std::string state_hash;
  std::string chain_hash;
  std::uint64_t state_bytes{0}; ///< canonical size of the state
  stored_blob blob;
  std::string device_id; ///< the device that made the turn; empty: unknown
};

/// Knobs of `encode_turn`.
struct encode_options {
  int zstd_level = 10; ///< snapshots
  /// Diffs (JSON Patch frames and zstd deltas) use the lower of this and
  /// zstd_level: indexing the previous state at level 10 costs about 80 us
  /// per 16 KiB turn for a few bytes less.
  int diff_zstd_level = 3;
  std::int64_t snapshot_every = 25;
  std::size_t max_diff_bytes = 128 * 1024;
};

/// Sizes of one encoding, for the spec's compression statistics.
struct compression_stats {
  std::uint64_t original_bytes{0};
  std::uint64_t compressed_bytes{0};
  double ratio{0}; ///< compressed / original
  const char* algorithm{"zstd"};
};

/// Computes the spec's DiffEngine compression statistics.
compression_stats calculate_compression_stats(std::uint64_t original_bytes,
                                              std::uint64_t compressed_bytes,
                                              const char* algorithm);

/// The state before the turn being encoded.
struct previous_turn {
  state_image* state; ///< nullptr before turn 1
  std::int64_t turn_id{0};
  std::int64_t base_turn{0};
  std::string chain_hash;
};

/// Encodes the step from `previous` to `next` as turn previous.turn_id + 1:
/// a snapshot every `snapshot_every` turns (and at turn 1), or when the diff
/// exceeds `max_diff_bytes`; otherwise a diff.
/// `known_patch`, when given, is the canonical bytes of a JSON Patch already
/// checked to turn the previous state into `next` (a device's patch): the
/// diff is the smaller of that patch compressed and the zstd delta against
/// the previous canonical bytes (the patch is not compressed when the delta
/// is under a quarter of its text: zstd seldom shrinks a patch that far).
/// Without it (a whole state) the diff is the zstd delta: no JSON diff is
/// computed, so neither state needs its parsed value.
/// `known_state_hash`, when given, is the state hash of `next`, already
/// computed by the caller.
result<stored_turn> encode_turn(const previous_turn& previous,
                                state_image& next, const encode_options& opts,
                                key_ring& keys,
                                const std::string* known_patch = nullptr,
                                const std::string* known_state_hash = nullptr);

/// Rebuilds the state of `turn` from the state before it (ignored for
/// snapshots; required otherwise). Checks the blob's content hash and the
/// state hash, so corruption surfaces as `errc::corrupt_data` or
/// `errc::authentication_failed`, never as a wrong state.
result<state_image> decode_turn(const stored_turn& turn, state_image* previous,
                                const key_ring& keys,
                                std::size_t max_state_bytes);

/// Reads the plaintext of a stored blob (open, decompress, check the hash).
result<std::string> open_blob(const stored_blob& blob, const key_ring& keys,
                              std::size_t max_plain_bytes);

/// Seals `plaintext` as a blob of `type`, compressing it unless `raw`.
result<stored_blob> seal_blob(std::string plaintext, const char* type, bool raw,
                              int zstd_level, key_ring& keys);

} // namespace awf::core
