// Fuzzes the turn and blob decoders with a real key ring. The first byte
// picks what the rest is:
//   0: a stored turn as the store returns it: kind byte, codec byte, the
//      64-character blob hash, then the sealed envelope;
//   1: a turn's payload before sealing: kind byte, codec byte, then the
//      payload (the target seals it, so decompression, JSON Patch and zstd
//      delta decoding run on authenticated but hostile data);
//   2: an envelope opened with a fuzzed associated data: a length byte,
//      that many bytes of associated data, then the envelope.
// Whatever decodes must be canonical bytes with the hash the turn claims.
#include <cstddef>
#include <cstdint>

#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "core/json_budget.hpp"
#include "core/sha256.hpp"
#include "core/turn_codec.hpp"
#include "core/zstd_codec.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace awf;

namespace {

core::key_ring& keys() {
  static core::key_ring ring = fuzz::fixed_key_ring();
  return ring;
}

core::turn_kind kind_of(std::uint8_t byte) {
  switch (byte % 3) {
    case 0: return core::turn_kind::snapshot;
    case 1: return core::turn_kind::json_patch;
    default: return core::turn_kind::zstd_delta;
  }
}

/// Decodes `turn` on top of the fixed previous state and checks the result.
void decode_and_check(const core::stored_turn& turn) {
  core::state_image previous{std::string{fuzz::previous_state}, {}};
  auto image =
    core::decode_turn(turn, &previous, keys(), fuzz::max_state_bytes);
  if (!image)
    return;
  fuzz::require(core::state_hash(image->canonical) == turn.state_hash,
                "a decoded state has the hash its turn claims");
  auto budget = core::json_budget::unlimited();
  auto parsed = core::parse_json(image->canonical, budget);
  if (turn.kind == core::turn_kind::json_patch) {
    // Rebuilt from a value, so always canonical I-JSON.
    fuzz::require(parsed.ok() &&
                    core::canonicalize(*parsed) == image->canonical,
                  "a patched state is canonical");
  }
}

/// Seals `payload` as the blob of a turn of `kind`: the blob hash is that
/// of the plaintext the codec yields, as the encoder writes it.
void seal_and_decode(core::turn_kind kind, bool zstd,
                     std::string_view payload) {
  std::string plain{payload};
  if (zstd) {
    auto inflated = core::zstd_decompress(payload, fuzz::max_state_bytes);
    if (!inflated)
      return;
    plain = std::move(*inflated);
  }
  core::stored_turn turn;
  turn.turn_id = 2;
  turn.kind = kind;
  turn.base_turn = kind == core::turn_kind::snapshot ? 2 : 1;
  turn.blob.hash = core::sha256_hex(plain);
  turn.blob.type = kind == core::turn_kind::snapshot ? "snapshot" : "diff";
  turn.blob.codec = zstd ? "zstd" : "raw";
  turn.blob.plain_size = plain.size();
  auto sealed = keys().seal(payload, turn.blob.hash);
  fuzz::require(sealed.ok(), "sealing works");
  turn.blob.bytes = std::move(*sealed);
  // A snapshot rebuilds its plaintext; for diffs the state is what is being
  // decoded, so the hash is left unknown: every step but the final hash
  // check still runs.
  turn.state_hash =
    kind == core::turn_kind::snapshot ? turn.blob.hash : std::string(64, '0');
  decode_and_check(turn);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  if (size < 3)
    return 0;
  auto text = fuzz::as_text(data, size);
  auto mode = static_cast<std::uint8_t>(text[0]) % 3;
  auto kind = kind_of(static_cast<std::uint8_t>(text[1]));
  bool zstd = static_cast<std::uint8_t>(text[2]) % 2 == 0;
  if (mode == 0) {
    if (size < 3 + 64)
      return 0;
    core::stored_turn turn;
    turn.turn_id = 2;
    turn.kind = kind;
    turn.base_turn = kind == core::turn_kind::snapshot ? 2 : 1;
    turn.blob.hash = std::string{text.substr(3, 64)};
    turn.blob.codec = zstd ? "zstd" : "raw";
    turn.blob.bytes = std::string{text.substr(3 + 64)};
    turn.state_hash = turn.blob.hash;
    decode_and_check(turn);
    core::stored_blob blob = turn.blob;
    auto plain = core::open_blob(blob, keys(), fuzz::max_state_bytes);
    if (plain)
      fuzz::require(core::sha256_hex(*plain) == blob.hash,
                    "an opened blob has its content hash");
  } else if (mode == 1) {
    seal_and_decode(kind, zstd, text.substr(3));
  } else {
    auto aad_size = static_cast<std::uint8_t>(text[1]);
    auto rest = text.substr(2);
    if (rest.size() < aad_size)
      return 0;
    auto opened = keys().open(rest.substr(aad_size), rest.substr(0, aad_size));
    (void)opened;
    (void)core::key_ring::envelope_key_id(rest.substr(aad_size));
  }
  return 0;
}
