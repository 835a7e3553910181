#define CAF_SUITE zstd_codec

#include "core/zstd_codec.hpp"

#include "caf/test/unit_test.hpp"

#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace awf::core;

namespace {

constexpr std::size_t mib = 1024 * 1024;

std::string random_bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 gen{seed};
  std::string out(size, '\0');
  for (auto& c : out)
    c = static_cast<char>(gen() & 0xFF);
  return out;
}

std::string repetitive_bytes(std::size_t size) {
  std::string pattern = R"({"hp":100,"name":"knight","pos":[1,2,3]},)";
  std::string out;
  while (out.size() < size)
    out += pattern;
  out.resize(size);
  return out;
}

/// A ~16 KiB canonical-JSON-like game state.
std::string game_state(std::uint32_t seed) {
  std::mt19937 gen{seed};
  std::string out = "{\"units\":[";
  for (int i = 0; out.size() < 16 * 1024; ++i) {
    if (i > 0)
      out += ',';
    out += "{\"hp\":" + std::to_string(gen() % 1000) +
           ",\"id\":" + std::to_string(i) + ",\"kind\":\"unit" +
           std::to_string(gen() % 50) +
           "\",\"x\":" + std::to_string(gen() % 64) +
           ",\"y\":" + std::to_string(gen() % 64) + "}";
  }
  out += "]}";
  return out;
}

/// Changes about 1% of the digits of `state`, as one turn of play would.
std::string edit_state(std::string state, std::uint32_t seed) {
  std::mt19937 gen{seed};
  for (std::size_t edits = state.size() / 100; edits > 0;) {
    auto& c = state[gen() % state.size()];
    if (c >= '0' && c <= '9') {
      c = static_cast<char>('0' + (c - '0' + 1) % 10);
      --edits;
    }
  }
  return state;
}

void check_round_trip(const std::string& data, int level) {
  auto frame = zstd_compress(data, level);
  auto back = zstd_decompress(frame, data.size());
  CAF_REQUIRE(back.ok());
  CAF_CHECK(*back == data);
}

// Hand-built frames per RFC 8878, for the streamed path (no content size),
// which zstd_compress never produces.

/// Frame header: magic, descriptor without content size or single segment,
/// window descriptor for 2^window_log bytes.
std::string streamed_header(int window_log) {
  std::string out = "\x28\xB5\x2F\xFD";
  out += '\0';
  out += static_cast<char>((window_log - 10) << 3);
  return out;
}

std::string block_header(bool last, int type, std::uint32_t size) {
  auto bits =
    (size << 3) | (static_cast<std::uint32_t>(type) << 1) | (last ? 1u : 0u);
  std::string out;
  for (int i = 0; i < 3; ++i)
    out += static_cast<char>((bits >> (8 * i)) & 0xFF);
  return out;
}

/// A streamed frame of `blocks` RLE blocks, each 128 KiB of 'x'.
std::string streamed_rle_frame(int blocks) {
  auto out = streamed_header(17);
  for (int i = 0; i < blocks; ++i)
    out += block_header(i + 1 == blocks, 1, 128 * 1024) + "x";
  return out;
}

} // namespace

CAF_TEST(round trips at several levels) {
  for (int level : {1, 3, 9, 19}) {
    CAF_MESSAGE("level " << level);
    check_round_trip("", level);
    check_round_trip("a", level);
    check_round_trip("{\"turn\":1}", level);
    check_round_trip(random_bytes(mib, 7), level);
    check_round_trip(repetitive_bytes(mib), level);
  }
}

CAF_TEST(out of range levels are clamped) {
  check_round_trip(repetitive_bytes(4096), 0);
  check_round_trip(repetitive_bytes(4096), -5);
  check_round_trip(repetitive_bytes(4096), 99);
}

CAF_TEST(repetitive data shrinks) {
  auto data = repetitive_bytes(mib);
  CAF_CHECK_LESS(zstd_compress(data, 3).size(), data.size() / 100);
}

CAF_TEST(max size is inclusive) {
  auto data = repetitive_bytes(1000);
  auto frame = zstd_compress(data, 3);
  CAF_CHECK(zstd_decompress(frame, 1000).ok());
  auto short_by_one = zstd_decompress(frame, 999);
  CAF_REQUIRE(!short_by_one.ok());
  CAF_CHECK_EQUAL(short_by_one.error().code, errc::payload_too_large);
}

CAF_TEST(a decompression bomb is refused) {
  auto frame = zstd_compress(std::string(64 * mib, '\0'), 3);
  CAF_CHECK_LESS(frame.size(), 64 * 1024u);
  auto back = zstd_decompress(frame, mib);
  CAF_REQUIRE(!back.ok());
  CAF_CHECK_EQUAL(back.error().code, errc::payload_too_large);
}

CAF_TEST(flipped bytes are corrupt data) {
  auto data = repetitive_bytes(2000) + random_bytes(2000, 3);
  auto frame = zstd_compress(data, 3);
  for (std::size_t i = 0; i < frame.size(); ++i) {
    auto damaged = frame;
    damaged[i] = static_cast<char>(damaged[i] ^ 0xFF);
    auto back = zstd_decompress(damaged, 10 * mib);
    CAF_REQUIRE(!back.ok());
    // Past the header (magic, descriptor, content size) damage can only
    // read as corruption; in it, it may also claim a bigger size.
    if (i >= 8)
      CAF_CHECK_EQUAL(back.error().code, errc::corrupt_data);
  }
}

CAF_TEST(truncated frames are corrupt data) {
  auto frame = zstd_compress(random_bytes(5000, 4), 3);
  for (std::size_t size = 0; size < frame.size(); ++size) {
    auto back = zstd_decompress(frame.substr(0, size), mib);
    CAF_REQUIRE(!back.ok());
    CAF_CHECK_EQUAL(back.error().code, errc::corrupt_data);
  }
}

CAF_TEST(trailing bytes are corrupt data) {
  auto frame = zstd_compress("hello", 3);
  for (const auto& tail : {std::string{"\0", 1}, std::string{"junk"}, frame}) {
    auto back = zstd_decompress(frame + tail, mib);
    CAF_REQUIRE(!back.ok());
    CAF_CHECK_EQUAL(back.error().code, errc::corrupt_data);
  }
}

CAF_TEST(garbage is corrupt data) {
  for (const auto& text : {std::string{}, std::string{"{}"},
                           std::string{"not a zstd frame at all"}}) {
    auto back = zstd_decompress(text, mib);
    CAF_REQUIRE(!back.ok());
    CAF_CHECK_EQUAL(back.error().code, errc::corrupt_data);
  }
}

CAF_TEST(streamed frames without content size decompress) {
  auto frame = streamed_header(10) + block_header(true, 0, 5) + "hello";
  auto back = zstd_decompress(frame, 5);
  CAF_REQUIRE(back.ok());
  CAF_CHECK_EQUAL(*back, "hello");
  auto rle = zstd_decompress(streamed_rle_frame(20), 4 * mib);
  CAF_REQUIRE(rle.ok());
  CAF_CHECK(*rle == std::string(20 * 128 * 1024, 'x'));
}

CAF_TEST(streamed bombs stop at max size) {
  // 20 blocks of 128 KiB: 2.5 MiB from under 100 bytes.
  auto frame = streamed_rle_frame(20);
  CAF_CHECK_LESS(frame.size(), 100u);
  auto back = zstd_decompress(frame, mib);
  CAF_REQUIRE(!back.ok());
  CAF_CHECK_EQUAL(back.error().code, errc::payload_too_large);
  auto exact = zstd_decompress(frame, 20 * 128 * 1024 - 1);
  CAF_REQUIRE(!exact.ok());
  CAF_CHECK_EQUAL(exact.error().code, errc::payload_too_large);
}

CAF_TEST(streamed frames with a window beyond max size are refused) {
  // Decoding would allocate the declared 1 GiB window up front.
  auto frame = streamed_header(30) + block_header(true, 0, 5) + "hello";
  auto back = zstd_decompress(frame, mib);
  CAF_REQUIRE(!back.ok());
  CAF_CHECK_EQUAL(back.error().code, errc::payload_too_large);
}

CAF_TEST(truncated streamed frames are corrupt data) {
  auto frame = streamed_header(10) + block_header(true, 0, 5) + "hello";
  auto back = zstd_decompress(frame.substr(0, frame.size() - 1), mib);
  CAF_REQUIRE(!back.ok());
  CAF_CHECK_EQUAL(back.error().code, errc::corrupt_data);
}

CAF_TEST(delta frames are far smaller for similar states) {
  auto previous = game_state(1);
  auto next = edit_state(previous, 2);
  CAF_REQUIRE_NOT_EQUAL(previous, next);
  for (int level : {1, 3, 9}) {
    auto plain = zstd_compress(next, level);
    auto delta = zstd_delta_compress(next, previous, level);
    CAF_MESSAGE("level " << level << ": plain " << plain.size() << " bytes, "
                         << "delta " << delta.size() << " bytes");
    CAF_CHECK_LESS(delta.size(), plain.size() / 4);
    auto back = zstd_delta_decompress(delta, previous, next.size());
    CAF_REQUIRE(back.ok());
    CAF_CHECK(*back == next);
  }
}

CAF_TEST(delta round trips edge cases) {
  auto state = game_state(3);
  for (const auto& [data, prefix] :
       {std::pair{std::string{}, state}, std::pair{state, std::string{}},
        std::pair{state, state}, std::pair{random_bytes(mib, 5), state}}) {
    auto delta = zstd_delta_compress(data, prefix, 3);
    auto back = zstd_delta_decompress(delta, prefix, data.size());
    CAF_REQUIRE(back.ok());
    CAF_CHECK(*back == data);
  }
}

CAF_TEST(delta frames against a large prefix) {
  auto prefix = random_bytes(8 * mib, 6);
  auto data = prefix.substr(mib, 4 * mib) + "tail";
  auto delta = zstd_delta_compress(data, prefix, 3);
  CAF_CHECK_LESS(delta.size(), 64 * 1024u);
  auto back = zstd_delta_decompress(delta, prefix, data.size());
  CAF_REQUIRE(back.ok());
  CAF_CHECK(*back == data);
}

CAF_TEST(delta with the wrong prefix never returns the data) {
  auto previous = game_state(1);
  auto next = edit_state(previous, 2);
  auto delta = zstd_delta_compress(next, previous, 3);
  for (const auto& wrong :
       {game_state(9), edit_state(previous, 4), std::string{}}) {
    auto back = zstd_delta_decompress(delta, wrong, mib);
    CAF_CHECK(!back.ok() || *back != next);
    if (!back.ok())
      CAF_CHECK_EQUAL(back.error().code, errc::corrupt_data);
  }
  CAF_CHECK(!zstd_decompress(delta, mib).ok());
}

CAF_TEST(delta frames honor max size) {
  auto previous = game_state(1);
  auto next = edit_state(previous, 2);
  auto delta = zstd_delta_compress(next, previous, 3);
  auto back = zstd_delta_decompress(delta, previous, next.size() - 1);
  CAF_REQUIRE(!back.ok());
  CAF_CHECK_EQUAL(back.error().code, errc::payload_too_large);
}

CAF_TEST(plain frames decompress with any prefix) {
  auto frame = zstd_compress("hello", 3);
  auto back = zstd_delta_decompress(frame, "unrelated prefix", 5);
  CAF_REQUIRE(back.ok());
  CAF_CHECK_EQUAL(*back, "hello");
}

CAF_TEST(threads each keep their own contexts) {
  auto previous = game_state(1);
  std::vector<std::thread> workers;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto next =
          edit_state(previous, static_cast<std::uint32_t>(t * 100 + i));
        auto delta = zstd_delta_compress(next, previous, 1 + t);
        auto plain = zstd_compress(next, 1 + t);
        auto from_delta = zstd_delta_decompress(delta, previous, mib);
        auto from_plain = zstd_decompress(plain, mib);
        if (!from_delta.ok() || *from_delta != next || !from_plain.ok() ||
            *from_plain != next)
          ++bad;
      }
    });
  for (auto& worker : workers)
    worker.join();
  CAF_CHECK_EQUAL(bad.load(), 0);
}
