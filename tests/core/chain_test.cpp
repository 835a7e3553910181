#define CAF_SUITE chain

#include "core/chain.hpp"

#include "caf/test/unit_test.hpp"

#include "core/sha256.hpp"

using namespace awf::core;

CAF_TEST(sha256 of the empty string is the published vector) {
  CAF_CHECK_EQUAL(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb924"
                                  "27ae41e4649b934ca495991b7852b855");
  CAF_CHECK_EQUAL(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223"
                                     "b00361a396177a9cb410ff61f20015ad");
}

CAF_TEST(hex reads back what to_hex wrote in either case) {
  const std::string raw = sha256_raw("abc");
  auto back = from_hex(to_hex(raw));
  CAF_REQUIRE(back);
  CAF_CHECK_EQUAL(*back, raw);
  auto upper = from_hex("00FFa0");
  CAF_REQUIRE(upper);
  CAF_CHECK_EQUAL(*upper, std::string("\x00\xff\xa0", 3));
  auto empty = from_hex("");
  CAF_REQUIRE(empty);
  CAF_CHECK_EQUAL(*empty, "");
  CAF_CHECK(!from_hex("abc")); // odd length
  CAF_CHECK(!from_hex("0g"));  // not a digit
  CAF_CHECK(!from_hex("x"));
  CAF_CHECK_EQUAL(hex_digit_value('7'), 7);
  CAF_CHECK_EQUAL(hex_digit_value('F'), 15);
  CAF_CHECK_EQUAL(hex_digit_value('/'), -1);
}

CAF_TEST(genesis hashes the prefixed session id) {
  CAF_CHECK_EQUAL(chain_genesis("s1"), sha256_hex("awf-chain-v1:s1"));
  CAF_CHECK_NOT_EQUAL(chain_genesis("s1"), chain_genesis("s2"));
}

CAF_TEST(each link hashes previous colon turn colon state hash) {
  auto c0 = chain_genesis("s");
  auto h1 = state_hash("{}");
  auto c1 = chain_next(c0, 1, h1);
  CAF_CHECK_EQUAL(c1, sha256_hex(c0 + ":1:" + h1));
  auto c12 = chain_next(c1, 12, h1);
  CAF_CHECK_EQUAL(c12, sha256_hex(c1 + ":12:" + h1));
  CAF_CHECK_NOT_EQUAL(chain_next(c0, 2, h1), c1);
}

CAF_TEST(constant time comparison) {
  CAF_CHECK(constant_time_equal("abc", "abc"));
  CAF_CHECK(!constant_time_equal("abc", "abd"));
  CAF_CHECK(!constant_time_equal("abc", "abcd"));
}
