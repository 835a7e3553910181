#define CAF_SUITE key_ring

#include "core/key_ring.hpp"

#include "caf/test/unit_test.hpp"

#include <atomic>
#include <thread>

#include "core/base64.hpp"

using namespace awf::core;

namespace {

/// A deterministic 32-byte key, so failures reproduce.
std::string test_key(char fill) {
  return std::string(32, fill);
}

key_ring make_ring(std::vector<named_key> keys,
                   std::uint64_t limit = max_encryptions_per_key) {
  auto ring = key_ring::make(std::move(keys), limit);
  if (!ring.ok())
    CAF_FAIL("make failed: " << ring.error().message);
  return std::move(ring).value();
}

std::string spec_entry(std::string_view id, std::string_view key) {
  return std::string{id} + ":" + base64_encode(key);
}

void check_fails(const result<std::string>& opened, errc code) {
  CAF_REQUIRE(!opened.ok());
  CAF_CHECK_EQUAL(opened.error().code, code);
}

/// Checks that parsing `spec` fails with invalid_key and that the message
/// leaks none of `secret` (the base64 text given for a key).
void check_parse_fails(std::string_view spec, std::string_view secret = {}) {
  auto ring = key_ring::parse(spec);
  CAF_REQUIRE(!ring.ok());
  CAF_CHECK_EQUAL(ring.error().code, errc::invalid_key);
  CAF_MESSAGE("message: " << ring.error().message);
  if (!secret.empty())
    CAF_CHECK_EQUAL(ring.error().message.find(secret), std::string::npos);
}

} // namespace

CAF_TEST(sealed envelopes open to the plaintext) {
  auto ring = make_ring({{"k1", test_key('a')}});
  for (std::string plaintext :
       {std::string{}, std::string{"x"}, std::string(100000, 'y')}) {
    auto sealed = ring.seal(plaintext, "blob-hash");
    CAF_REQUIRE(sealed.ok());
    CAF_CHECK_EQUAL(sealed->size(), 4 + 1 + 2 + 12 + plaintext.size() + 16);
    CAF_CHECK_EQUAL(sealed->substr(0, 7), std::string("AWE1\x02k1", 7));
    auto opened = ring.open(*sealed, "blob-hash");
    CAF_REQUIRE(opened.ok());
    CAF_CHECK(*opened == plaintext);
  }
}

CAF_TEST(the ciphertext hides the plaintext) {
  auto ring = make_ring({{"k1", test_key('a')}});
  std::string plaintext(64, 'p');
  auto sealed = ring.seal(plaintext, "");
  CAF_REQUIRE(sealed.ok());
  CAF_CHECK_EQUAL(sealed->find("pppp"), std::string::npos);
}

CAF_TEST(two seals of the same plaintext differ) {
  auto ring = make_ring({{"k1", test_key('a')}});
  auto first = ring.seal("same", "ad");
  auto second = ring.seal("same", "ad");
  CAF_REQUIRE(first.ok() && second.ok());
  CAF_CHECK_NOT_EQUAL(*first, *second);
  CAF_CHECK_NOT_EQUAL(first->substr(7, 12), second->substr(7, 12));
}

CAF_TEST(rotated rings open envelopes of older keys) {
  auto ring_a = make_ring({{"k1", test_key('a')}});
  auto ring_b = make_ring({{"k2", test_key('b')}, {"k1", test_key('a')}});
  CAF_CHECK_EQUAL(ring_a.active_key_id(), "k1");
  CAF_CHECK_EQUAL(ring_b.active_key_id(), "k2");
  auto old_envelope = ring_a.seal("old", "ad");
  CAF_REQUIRE(old_envelope.ok());
  auto opened = ring_b.open(*old_envelope, "ad");
  CAF_REQUIRE(opened.ok());
  CAF_CHECK_EQUAL(*opened, "old");
  auto new_envelope = ring_b.seal("new", "ad");
  CAF_REQUIRE(new_envelope.ok());
  CAF_CHECK_EQUAL(key_ring::envelope_key_id(*new_envelope), "k2");
  check_fails(ring_a.open(*new_envelope, "ad"), errc::unknown_key);
}

CAF_TEST(tampering with any region fails) {
  auto ring = make_ring({{"k1", test_key('a')}});
  auto sealed = ring.seal("some plaintext", "ad");
  CAF_REQUIRE(sealed.ok());
  const std::size_t header = 7;
  const std::size_t nonce_end = header + 12;
  const std::size_t tag_start = sealed->size() - 16;
  for (std::size_t i = 0; i < sealed->size(); ++i) {
    auto damaged = *sealed;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x01);
    auto opened = ring.open(damaged, "ad");
    CAF_REQUIRE(!opened.ok());
    if (i >= header) {
      CAF_CHECK_EQUAL(opened.error().code, errc::authentication_failed);
    } else {
      CAF_MESSAGE("header byte " << i << ": "
                                 << to_string(opened.error().code));
    }
  }
  CAF_CHECK_LESS(nonce_end, tag_start); // every region was covered
}

CAF_TEST(header damage maps to its cause) {
  auto ring = make_ring({{"k1", test_key('a')}});
  auto sealed = *ring.seal("text", "ad");
  auto bad_magic = sealed;
  bad_magic[0] = 'X';
  check_fails(ring.open(bad_magic, "ad"), errc::corrupt_data);
  auto other_id = sealed;
  other_id[5] = 'j';
  check_fails(ring.open(other_id, "ad"), errc::unknown_key);
  auto bad_length = sealed;
  bad_length[4] = static_cast<char>(200);
  check_fails(ring.open(bad_length, "ad"), errc::corrupt_data);
}

CAF_TEST(a swapped key id fails authentication) {
  // Two ids, same key bytes: renaming the id must still break the tag.
  auto ring = make_ring({{"k1", test_key('a')}, {"k2", test_key('a')}});
  auto sealed = *ring.seal("text", "ad");
  sealed[6] = '2';
  check_fails(ring.open(sealed, "ad"), errc::authentication_failed);
}

CAF_TEST(truncated envelopes fail) {
  auto ring = make_ring({{"k1", test_key('a')}});
  auto sealed = *ring.seal("text", "ad");
  for (std::size_t size = 0; size < sealed.size(); ++size) {
    auto opened = ring.open(sealed.substr(0, size), "ad");
    CAF_REQUIRE(!opened.ok());
    if (size < 7 + 12 + 16)
      CAF_CHECK_EQUAL(opened.error().code, errc::corrupt_data);
    else
      CAF_CHECK_EQUAL(opened.error().code, errc::authentication_failed);
  }
  check_fails(ring.open(sealed + "x", "ad"), errc::authentication_failed);
}

CAF_TEST(wrong associated data fails authentication) {
  auto ring = make_ring({{"k1", test_key('a')}});
  auto sealed = *ring.seal("text", "hash-1");
  check_fails(ring.open(sealed, "hash-2"), errc::authentication_failed);
  check_fails(ring.open(sealed, ""), errc::authentication_failed);
}

CAF_TEST(a different key under the same id fails authentication) {
  auto ring = make_ring({{"k1", test_key('a')}});
  auto impostor = make_ring({{"k1", test_key('b')}});
  auto sealed = *ring.seal("text", "ad");
  check_fails(impostor.open(sealed, "ad"), errc::authentication_failed);
}

CAF_TEST(make validates keys) {
  auto code_of = [](std::vector<named_key> keys) {
    auto ring = key_ring::make(std::move(keys));
    return ring.ok() ? std::string{"ok"} : to_string(ring.error().code);
  };
  CAF_CHECK_EQUAL(code_of({}), "invalid_key");
  CAF_CHECK_EQUAL(code_of({{"k1", test_key('a')}}), "ok");
  CAF_CHECK_EQUAL(code_of({{"", test_key('a')}}), "invalid_key");
  CAF_CHECK_EQUAL(code_of({{"k 1", test_key('a')}}), "invalid_key");
  CAF_CHECK_EQUAL(code_of({{std::string(33, 'k'), test_key('a')}}),
                  "invalid_key");
  CAF_CHECK_EQUAL(code_of({{std::string(32, 'k'), test_key('a')}}), "ok");
  CAF_CHECK_EQUAL(code_of({{"A-z.0_9", test_key('a')}}), "ok");
  CAF_CHECK_EQUAL(code_of({{"k1", std::string(31, 'a')}}), "invalid_key");
  CAF_CHECK_EQUAL(code_of({{"k1", std::string(33, 'a')}}), "invalid_key");
  CAF_CHECK_EQUAL(code_of({{"k1", test_key('a')}, {"k1", test_key('b')}}),
                  "invalid_key");
}

CAF_TEST(parse reads comma separated entries) {
  auto spec = spec_entry("new", test_key('b')) + " , " +
              spec_entry("old", test_key('a')) + " ";
  auto ring = key_ring::parse(spec);
  CAF_REQUIRE(ring.ok());
  CAF_CHECK_EQUAL(ring->active_key_id(), "new");
  auto old_ring = make_ring({{"old", test_key('a')}});
  auto sealed = *old_ring.seal("text", "ad");
  auto opened = ring->open(sealed, "ad");
  CAF_REQUIRE(opened.ok());
  CAF_CHECK_EQUAL(*opened, "text");
}

CAF_TEST(parse errors never echo key material) {
  auto key = test_key('s');
  auto encoded = base64_encode(key);
  check_parse_fails("");
  check_parse_fails("   ");
  check_parse_fails(encoded, encoded);
  check_parse_fails("k1:" + encoded.substr(0, 43) + "!", encoded.substr(0, 20));
  check_parse_fails("k1:not base64 at all");
  check_parse_fails(spec_entry("k1", std::string(31, 's')),
                    base64_encode(std::string(31, 's')));
  check_parse_fails(spec_entry("k1", std::string(33, 's')),
                    base64_encode(std::string(33, 's')));
  check_parse_fails(spec_entry("k1", key) + "," + spec_entry("k1", key),
                    encoded);
  check_parse_fails(spec_entry("k/1", key), encoded);
  check_parse_fails(spec_entry(std::string(33, 'k'), key), encoded);
  check_parse_fails(":" + encoded, encoded);
  check_parse_fails(spec_entry("k1", key) + ",", encoded);
  check_parse_fails(spec_entry("k1", key) + ",," + spec_entry("k2", key),
                    encoded);
  // Key and id swapped: the would-be id is the key, so it must not echo.
  check_parse_fails(encoded + ":k1", encoded);
}

CAF_TEST(seal stops at the encryption limit) {
  auto ring = make_ring({{"k1", test_key('a')}}, 3);
  for (int i = 0; i < 3; ++i)
    CAF_CHECK(ring.seal("text", "ad").ok());
  CAF_CHECK_EQUAL(ring.encryptions("k1"), 3u);
  auto refused = ring.seal("text", "ad");
  CAF_REQUIRE(!refused.ok());
  CAF_CHECK_EQUAL(refused.error().code, errc::key_exhausted);
  CAF_CHECK_EQUAL(ring.encryptions("k1"), 3u);
}

CAF_TEST(exhausted keys still decrypt) {
  auto ring = make_ring({{"k1", test_key('a')}}, 1);
  auto sealed = *ring.seal("text", "ad");
  CAF_CHECK(!ring.seal("text", "ad").ok());
  auto opened = ring.open(sealed, "ad");
  CAF_REQUIRE(opened.ok());
  CAF_CHECK_EQUAL(*opened, "text");
}

CAF_TEST(prior use counts toward the limit) {
  auto ring = make_ring({{"k2", test_key('b')}, {"k1", test_key('a')}}, 3);
  ring.record_prior_use("k2", 2);
  ring.record_prior_use("k1", 10);
  ring.record_prior_use("absent", 10);
  CAF_CHECK_EQUAL(ring.encryptions("k2"), 2u);
  CAF_CHECK_EQUAL(ring.encryptions("k1"), 10u);
  CAF_CHECK_EQUAL(ring.encryptions("absent"), 0u);
  CAF_CHECK(ring.seal("text", "ad").ok());
  check_fails(ring.seal("text", "ad"), errc::key_exhausted);
  ring.record_prior_use("k1", UINT64_MAX);
  CAF_CHECK_EQUAL(ring.encryptions("k1"), UINT64_MAX);
}

CAF_TEST(concurrent seals never overshoot the limit) {
  constexpr int threads = 8;
  constexpr int attempts = 200;
  auto ring = make_ring({{"k1", test_key('a')}}, 1000);
  std::atomic<int> sealed{0};
  std::atomic<int> bad{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      auto plaintext = "thread " + std::to_string(t);
      for (int i = 0; i < attempts; ++i) {
        auto envelope = ring.seal(plaintext, "ad");
        if (!envelope.ok())
          continue;
        ++sealed;
        auto opened = ring.open(*envelope, "ad");
        if (!opened.ok() || *opened != plaintext)
          ++bad;
      }
    });
  for (auto& worker : workers)
    worker.join();
  CAF_CHECK_EQUAL(sealed.load(), 1000);
  CAF_CHECK_EQUAL(bad.load(), 0);
  CAF_CHECK_EQUAL(ring.encryptions("k1"), 1000u);
}

CAF_TEST(seals are reserved in blocks before they encrypt) {
  auto ring = make_ring({{"k1", test_key('a')}});
  ring.record_prior_use("k1", 5);
  std::vector<std::pair<std::string, std::uint64_t>> calls;
  ring.reserve_nonces_with(
    [&](const std::string& key_id, std::uint64_t count) {
      calls.emplace_back(key_id, count);
      return true;
    },
    4);
  CAF_CHECK(calls.empty()); // nothing reserved before the first seal
  for (int i = 0; i < 9; ++i)
    CAF_REQUIRE(ring.seal("text", "ad").ok());
  // Seals 6-9, 10-13 and 14: three blocks, each reserved before its first
  // seal, so the durable total (5 + 12) covers all 14.
  using call = std::pair<std::string, std::uint64_t>;
  CAF_CHECK_EQUAL(calls, (std::vector<call>{{"k1", 4}, {"k1", 4}, {"k1", 4}}));
  CAF_CHECK_EQUAL(ring.encryptions("k1"), 14u);
}

CAF_TEST(reservations stop at the encryption limit) {
  auto ring = make_ring({{"k1", test_key('a')}}, 6);
  std::vector<std::uint64_t> counts;
  ring.reserve_nonces_with(
    [&](const std::string&, std::uint64_t count) {
      counts.push_back(count);
      return true;
    },
    4);
  for (int i = 0; i < 6; ++i)
    CAF_REQUIRE(ring.seal("text", "ad").ok());
  check_fails(ring.seal("text", "ad"), errc::key_exhausted);
  CAF_CHECK_EQUAL(counts, (std::vector<std::uint64_t>{4, 2}));
}

CAF_TEST(a seal whose reservation fails encrypts nothing) {
  auto ring = make_ring({{"k1", test_key('a')}});
  bool available = false;
  ring.reserve_nonces_with(
    [&](const std::string&, std::uint64_t) { return available; }, 2);
  check_fails(ring.seal("text", "ad"), errc::io_failure);
  // Counted anyway: counting a nonce too many is safe, one too few is not.
  CAF_CHECK_EQUAL(ring.encryptions("k1"), 1u);
  available = true;
  CAF_CHECK(ring.seal("text", "ad").ok());
}

CAF_TEST(concurrent seals stay within their reservations) {
  constexpr int threads = 8;
  constexpr int attempts = 200;
  auto ring = make_ring({{"k1", test_key('a')}});
  std::atomic<std::uint64_t> reserved{0};
  ring.reserve_nonces_with(
    [&](const std::string&, std::uint64_t count) {
      reserved += count;
      return true;
    },
    7);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&] {
      for (int i = 0; i < attempts; ++i)
        (void)ring.seal("text", "ad");
    });
  for (auto& worker : workers)
    worker.join();
  CAF_CHECK_EQUAL(ring.encryptions("k1"), std::uint64_t{threads * attempts});
  CAF_CHECK_GREATER_OR_EQUAL(reserved.load(), ring.encryptions("k1"));
  CAF_CHECK_LESS(reserved.load(), ring.encryptions("k1") + 7);
}

CAF_TEST(envelope key id) {
  auto ring = make_ring({{"key.2024-01", test_key('a')}});
  auto sealed = *ring.seal("text", "ad");
  CAF_CHECK_EQUAL(key_ring::envelope_key_id(sealed), "key.2024-01");
  CAF_CHECK_EQUAL(key_ring::envelope_key_id(""), "");
  CAF_CHECK_EQUAL(key_ring::envelope_key_id("AWE1"), "");
  CAF_CHECK_EQUAL(key_ring::envelope_key_id(sealed.substr(0, 20)), "");
  CAF_CHECK_EQUAL(key_ring::envelope_key_id("XXXX" + sealed.substr(4)), "");
}

CAF_TEST(random keys are 32 fresh bytes) {
  auto first = key_ring::random_key();
  auto second = key_ring::random_key();
  CAF_CHECK_EQUAL(first.size(), 32u);
  CAF_CHECK_NOT_EQUAL(first, second);
  auto ring = make_ring({{"k1", first}});
  CAF_CHECK(ring.seal("text", "ad").ok());
}
