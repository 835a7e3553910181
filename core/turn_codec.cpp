#include "core/turn_codec.hpp"

#include <algorithm>

#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "core/json_budget.hpp"
#include "core/json_patch.hpp"
#include "core/sha256.hpp"
#include "core/zstd_codec.hpp"

namespace awf::core {

namespace {

constexpr std::string_view codec_zstd = "zstd";
constexpr std::string_view codec_raw = "raw";

// Seals an already encoded payload; the blob hash is the associated data so a
// ciphertext cannot be moved to another blob's row unnoticed.
result<stored_blob> seal_payload(std::string hash, std::string_view payload,
                                 const char* type, std::string_view codec,
                                 std::uint64_t plain_size, key_ring& keys,
                                 bool content_addressed = true) {
  auto sealed = keys.seal(payload, hash);
  if (!sealed)
    return sealed.error();
  return stored_blob{std::move(hash),    type,       std::string{codec},
                     std::move(*sealed), plain_size, content_addressed};
}

// Stored data was written under the limit in force then; a later, lower
// limit must not make it unreadable. The recorded size raises the bound, up
// to a hard ceiling that still stops a decompression bomb.
constexpr std::uint64_t hard_max_plain_bytes = std::uint64_t{2} << 30;

std::size_t read_limit(std::size_t configured, std::uint64_t recorded) {
  return static_cast<std::size_t>(std::min(
    hard_max_plain_bytes, std::max<std::uint64_t>(configured, recorded)));
}

error turn_error(errc code, std::int64_t turn_id, const std::string& what) {
  return {code, "turn " + std::to_string(turn_id) + ": " + what};
}

} // namespace

result<const nlohmann::json*> state_image::parsed() {
  if (!value) {
    // Stored or already checked bytes: bounded by the state limit they
    // passed, so only the depth is limited here (a state's tree may take up
    // to about 27 times its canonical bytes, see json_cost).
    auto budget = json_budget::unlimited();
    auto parsed_value = parse_json(canonical, budget);
    if (!parsed_value)
      return parsed_value.error();
    value = std::move(*parsed_value);
  }
  return &*value;
}

const char* to_string(turn_kind kind) noexcept {
  switch (kind) {
    case turn_kind::snapshot: return "snapshot";
    case turn_kind::json_patch: return "json_patch";
    case turn_kind::zstd_delta: return "zstd_delta";
  }
  return "snapshot";
}

std::optional<turn_kind> turn_kind_from_string(std::string_view text) noexcept {
  for (auto kind :
       {turn_kind::snapshot, turn_kind::json_patch, turn_kind::zstd_delta})
    if (text == to_string(kind))
      return kind;
  return std::nullopt;
}

compression_stats calculate_compression_stats(std::uint64_t original_bytes,
                                              std::uint64_t compressed_bytes,
                                              const char* algorithm) {
  compression_stats stats;
  stats.original_bytes = original_bytes;
  stats.compressed_bytes = compressed_bytes;
  stats.ratio = original_bytes == 0 ? 1.0
                                    : static_cast<double>(compressed_bytes) /
                                        static_cast<double>(original_bytes);
  stats.algorithm = algorithm;
  return stats;
}

result<stored_blob> seal_blob(std::string plaintext, const char* type, bool raw,
                              int zstd_level, key_ring& keys) {
  auto hash = sha256_hex(plaintext);
  if (raw)
    return seal_payload(std::move(hash), plaintext, type, codec_raw,
                        plaintext.size(), keys);
  auto compressed = zstd_compress(plaintext, zstd_level);
  return seal_payload(std::move(hash), compressed, type, codec_zstd,
                      plaintext.size(), keys);
}

result<std::string> open_blob(const stored_blob& blob, const key_ring& keys,
                              std::size_t max_plain_bytes) {
  max_plain_bytes = read_limit(max_plain_bytes, blob.plain_size);
  auto payload = keys.open(blob.bytes, blob.hash);
  if (!payload)
    return payload.error();
  std::string plain;
  if (blob.codec == codec_raw) {
    plain = std::move(*payload);
  } else if (blob.codec == codec_zstd) {
    auto inflated = zstd_decompress(*payload, max_plain_bytes);
    if (!inflated)
      return inflated.error();
    plain = std::move(*inflated);
  } else {
    return error{errc::corrupt_data, "unknown blob codec '" + blob.codec + "'"};
  }
  if (blob.content_addressed && sha256_hex(plain) != blob.hash)
    return error{errc::corrupt_data,
                 "blob " + blob.hash + " does not match its content hash"};
  return plain;
}

result<stored_turn> encode_turn(const previous_turn& previous,
                                state_image& next, const encode_options& opts,
                                key_ring& keys, const std::string* known_patch,
                                const std::string* known_state_hash) {
  stored_turn turn;
  turn.turn_id = previous.turn_id + 1;
  turn.state_hash = known_state_hash != nullptr ? *known_state_hash
                                                : state_hash(next.canonical);
  turn.chain_hash =
    chain_next(previous.chain_hash, turn.turn_id, turn.state_hash);
  turn.state_bytes = next.canonical.size();
  bool due_for_snapshot =
    previous.state == nullptr ||
    turn.turn_id - previous.base_turn >= opts.snapshot_every;
  if (!due_for_snapshot) {
    // A diff is small: a fast level loses a few bytes against level 10 and
    // saves most of the work (indexing the previous state).
    int level = std::min(opts.zstd_level, opts.diff_zstd_level);
    auto delta =
      zstd_delta_compress(next.canonical, previous.state->canonical, level);
    // A diff is unique to its turn: sealed under the turn's state hash and
    // checked by it on rebuild, not content-addressed.
    auto keep_diff = [&](turn_kind kind, std::string_view payload,
                         std::string_view codec,
                         std::size_t plain_size) -> result<stored_turn> {
      auto blob = seal_payload(turn.state_hash, payload, "diff", codec,
                               plain_size, keys, false);
      if (!blob)
        return blob.error();
      turn.kind = kind;
      turn.base_turn = previous.base_turn;
      turn.blob = std::move(*blob);
      return turn;
    };
    if (known_patch == nullptr) {
      // A whole state: the delta is the diff. A JSON diff would parse both
      // states (about 200 us for 16 KiB) to save a few bytes at best.
      if (delta.size() <= opts.max_diff_bytes)
        return keep_diff(turn_kind::zstd_delta, delta, codec_raw, delta.size());
    } else if (known_patch->size() <= opts.max_diff_bytes) {
      // zstd seldom shrinks a patch's text below a quarter: when the delta
      // is smaller than that, compressing the patch would be wasted work.
      std::string patch_frame;
      if (delta.size() * 4 > known_patch->size())
        patch_frame = zstd_compress(*known_patch, level);
      if (patch_frame.empty() || delta.size() < patch_frame.size())
        return keep_diff(turn_kind::zstd_delta, delta, codec_raw, delta.size());
      return keep_diff(turn_kind::json_patch, patch_frame, codec_zstd,
                       known_patch->size());
    }
  }
  turn.kind = turn_kind::snapshot;
  turn.base_turn = turn.turn_id;
  auto compressed = zstd_compress(next.canonical, opts.zstd_level);
  auto blob = seal_payload(turn.state_hash, compressed, "snapshot", codec_zstd,
                           next.canonical.size(), keys);
  if (!blob)
    return blob.error();
  turn.blob = std::move(*blob);
  return turn;
}

result<state_image> decode_turn(const stored_turn& turn, state_image* previous,
                                const key_ring& keys,
                                std::size_t max_state_bytes) {
  auto plain = open_blob(turn.blob, keys, max_state_bytes);
  if (!plain)
    return turn_error(plain.error().code, turn.turn_id, plain.error().message);
  state_image image;
  if (turn.kind == turn_kind::snapshot) {
    image.canonical = std::move(*plain);
  } else if (previous == nullptr) {
    return turn_error(errc::corrupt_data, turn.turn_id,
                      "a diff without the state before it");
  } else if (turn.kind == turn_kind::zstd_delta) {
    auto bytes =
      zstd_delta_decompress(*plain, previous->canonical,
                            read_limit(max_state_bytes, turn.state_bytes));
    if (!bytes)
      return turn_error(bytes.error().code, turn.turn_id,
                        bytes.error().message);
    image.canonical = std::move(*bytes);
  } else {
    auto before = previous->parsed();
    if (!before)
      return turn_error(errc::corrupt_data, turn.turn_id,
                        before.error().message);
    // The blob is authenticated and hash-checked: it was charged when the
    // device sent it, under the limit in force then, so only the depth
    // limit applies here.
    auto parse_budget = json_budget::unlimited();
    auto patch = parse_json(*plain, parse_budget);
    if (!patch)
      return turn_error(errc::corrupt_data, turn.turn_id,
                        patch.error().message);
    nlohmann::json after = **before;
    auto patch_budget = json_budget::unlimited();
    if (auto applied =
          apply_patch_in_place(after, *patch, max_state_bytes, patch_budget);
        !applied)
      return turn_error(errc::corrupt_data, turn.turn_id,
                        applied.error().message);
    image.canonical = canonicalize(after);
    image.value = std::move(after);
  }
  if (state_hash(image.canonical) != turn.state_hash)
    return turn_error(errc::corrupt_data, turn.turn_id,
                      "rebuilt state does not match its state hash");
  return image;
}

} // namespace awf::core
