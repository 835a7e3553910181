#define CAF_SUITE turn_codec

#include "core/turn_codec.hpp"

#include "caf/test/unit_test.hpp"

#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "core/chain_verifier.hpp"

using namespace awf::core;

namespace {

key_ring make_ring() {
  auto ring = key_ring::make({{"k1", key_ring::random_key()}});
  if (!ring)
    throw std::runtime_error(ring.error().message);
  return std::move(*ring);
}

state_image image_of(const nlohmann::json& value) {
  return {canonicalize(value), value};
}

nlohmann::json inventory(int n, int changed) {
  auto items = nlohmann::json::array();
  for (int i = 0; i < n; ++i)
    items.push_back({{"id", i}, {"qty", i == changed ? 999 : i % 7}});
  return {{"items", items}, {"name", "Ada"}};
}

struct fixture {
  key_ring ring = make_ring();
  encode_options opts;
  std::vector<stored_turn> turns;
  std::vector<std::string> canonicals;
  std::optional<state_image> head;

  /// Encodes `value` as the next turn and keeps it; `patch`, when given, is
  /// the canonical bytes of the device's patch that led to it.
  const stored_turn& push(const nlohmann::json& value,
                          const std::string* patch = nullptr) {
    previous_turn prev{
      head ? &*head : nullptr, static_cast<std::int64_t>(turns.size()),
      turns.empty() ? 0 : turns.back().base_turn,
      turns.empty() ? chain_genesis("s") : turns.back().chain_hash};
    auto next = image_of(value);
    auto encoded = encode_turn(prev, next, opts, ring, patch);
    if (!encoded)
      throw std::runtime_error(encoded.error().message);
    turns.push_back(std::move(*encoded));
    canonicals.push_back(next.canonical);
    head = std::move(next);
    return turns.back();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(turn_codec_tests, fixture)

CAF_TEST(the first turn is a snapshot whose blob hash is the state hash) {
  auto& t = push({{"hp", 10}});
  CAF_CHECK_EQUAL(std::string{to_string(t.kind)}, std::string{"snapshot"});
  CAF_CHECK_EQUAL(t.base_turn, 1);
  CAF_CHECK_EQUAL(t.blob.hash, t.state_hash);
  CAF_CHECK_EQUAL(t.state_hash, state_hash(R"({"hp":10})"));
  CAF_CHECK_EQUAL(t.chain_hash,
                  chain_next(chain_genesis("s"), 1, t.state_hash));
  CAF_CHECK_EQUAL(key_ring::envelope_key_id(t.blob.bytes), "k1");
}

CAF_TEST(small edits become diffs that rebuild exactly) {
  push(inventory(300, -1));
  for (int i = 0; i < 10; ++i)
    push(inventory(300, i * 13));
  for (std::size_t i = 1; i < turns.size(); ++i)
    CAF_CHECK_NOT_EQUAL(std::string{to_string(turns[i].kind)},
                        std::string{"snapshot"});
  auto rebuilt = rebuild_state(turns, ring, 1 << 20);
  CAF_REQUIRE(rebuilt);
  CAF_CHECK_EQUAL(rebuilt->canonical, canonicals.back());
  // A diff stores far less than its state.
  CAF_CHECK_LESS(turns.back().blob.bytes.size(), turns.back().state_bytes / 10);
}

CAF_TEST(snapshots return every snapshot_every turns) {
  opts.snapshot_every = 4;
  for (int i = 0; i < 9; ++i)
    push(inventory(50, i));
  std::string kinds;
  for (const auto& t : turns)
    kinds += t.kind == turn_kind::snapshot ? 'S' : 'd';
  CAF_CHECK_EQUAL(kinds, "SdddSdddS");
  CAF_CHECK_EQUAL(turns[6].base_turn, 5);
}

CAF_TEST(a whole state is stored as its zstd delta) {
  push(inventory(300, -1));
  for (int i = 0; i < 5; ++i)
    CAF_CHECK_EQUAL(std::string{to_string(push(inventory(300, i * 7)).kind)},
                    std::string{"zstd_delta"});
  auto rebuilt = rebuild_state(turns, ring, 1 << 20);
  CAF_REQUIRE(rebuilt);
  CAF_CHECK_EQUAL(rebuilt->canonical, canonicals.back());
}

CAF_TEST(a delta larger than the limit becomes a snapshot) {
  // Hex digits do not compress below half their size: the delta of a new
  // 512-digit text is larger than 100 bytes.
  auto digits = [](const std::string& seed) {
    std::string text;
    for (int i = 0; i < 8; ++i)
      text += state_hash(seed + std::to_string(i));
    return text;
  };
  opts.max_diff_bytes = 100;
  push({{"text", digits("a")}});
  auto& t = push({{"text", digits("b")}});
  CAF_CHECK_EQUAL(std::string{to_string(t.kind)}, std::string{"snapshot"});
  CAF_CHECK_EQUAL(t.base_turn, 2);
}

CAF_TEST(a device patch larger than the limit becomes a snapshot) {
  // The patch's text decides, although its delta would be tiny.
  opts.max_diff_bytes = 100;
  push({{"text", std::string(500, 'a')}});
  auto text_of = [](char c) {
    return nlohmann::json{{"text", std::string(500, c)}};
  };
  auto patch_to = [&](char c) {
    return canonicalize(nlohmann::json::array(
      {{{"op", "replace"}, {"path", "/text"}, {"value", text_of(c)["text"]}}}));
  };
  auto to_b = patch_to('b');
  auto& t = push(text_of('b'), &to_b);
  CAF_CHECK_EQUAL(std::string{to_string(t.kind)}, std::string{"snapshot"});
  // Under the limit the same kind of step is a diff.
  opts.max_diff_bytes = 1024;
  auto to_a = patch_to('a');
  auto& d = push(text_of('a'), &to_a);
  CAF_CHECK_NOT_EQUAL(std::string{to_string(d.kind)}, std::string{"snapshot"});
  auto rebuilt = rebuild_state(turns, ring, 1 << 20);
  CAF_REQUIRE(rebuilt);
  CAF_CHECK_EQUAL(rebuilt->canonical, canonicalize(text_of('a')));
}

CAF_TEST(decoding checks blob and state hashes) {
  push(inventory(100, -1));
  push(inventory(100, 5));
  auto damaged = turns;
  damaged[1].state_hash = state_hash("something else");
  CAF_CHECK(!rebuild_state(damaged, ring, 1 << 20));
  damaged = turns;
  damaged[1].blob.bytes[damaged[1].blob.bytes.size() / 2] ^= 1;
  auto failed = rebuild_state(damaged, ring, 1 << 20);
  CAF_REQUIRE(!failed);
  CAF_CHECK_EQUAL(failed.error().code, errc::authentication_failed);
  // A blob sealed for another address does not open under this one.
  damaged = turns;
  damaged[1].blob.hash = turns[0].blob.hash;
  CAF_CHECK(!rebuild_state(damaged, ring, 1 << 20));
  // Decompression is bounded by the larger of the configured limit and the
  // recorded size: a row that understates its size cannot make it allocate
  // more, and a limit lowered later does not lock out stored turns.
  damaged = turns;
  damaged[0].blob.plain_size = 10;
  auto capped = rebuild_state(damaged, ring, 64);
  CAF_REQUIRE(!capped);
  CAF_CHECK_EQUAL(capped.error().code, errc::payload_too_large);
  CAF_CHECK(rebuild_state(turns, ring, 64));
}

CAF_TEST(the chain verifier names the first bad turn) {
  for (int i = 0; i < 6; ++i)
    push(inventory(40, i));
  chain_verifier ok{chain_genesis("s"), ring, 1 << 20};
  for (const auto& t : turns)
    CAF_CHECK(ok.feed(t, true));
  CAF_CHECK(!ok.first_bad_turn());
  CAF_CHECK_EQUAL(ok.head().turn_id, 6);
  CAF_REQUIRE(ok.last_state() != nullptr);
  CAF_CHECK_EQUAL(ok.last_state()->canonical, canonicals.back());
  auto damaged = turns;
  damaged[3].chain_hash = turns[2].chain_hash;
  chain_verifier bad{chain_genesis("s"), ring, 1 << 20};
  for (const auto& t : damaged)
    bad.feed(t, false);
  CAF_CHECK_EQUAL(bad.first_bad_turn().value_or(0), 4);
  CAF_CHECK_EQUAL(bad.checked_turns(), 4);
  // A gap is named at the missing turn.
  damaged = turns;
  damaged.erase(damaged.begin() + 2);
  chain_verifier gap{chain_genesis("s"), ring, 1 << 20};
  for (const auto& t : damaged)
    gap.feed(t, true);
  CAF_CHECK_EQUAL(gap.first_bad_turn().value_or(0), 3);
}

CAF_TEST(compression statistics follow the spec) {
  auto stats = calculate_compression_stats(1000, 250, "zstd");
  CAF_CHECK_EQUAL(stats.original_bytes, 1000u);
  CAF_CHECK_EQUAL(stats.compressed_bytes, 250u);
  CAF_CHECK_EQUAL(stats.ratio, 0.25);
  CAF_CHECK_EQUAL(std::string{stats.algorithm}, "zstd");
  CAF_CHECK_EQUAL(calculate_compression_stats(0, 0, "zstd").ratio, 1.0);
}

CAF_TEST_FIXTURE_SCOPE_END()
