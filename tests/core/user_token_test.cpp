#define CAF_SUITE user_token

#include "core/user_token.hpp"

#include "caf/test/unit_test.hpp"

#include <string>

#include "core/base64.hpp"
#include "core/sha256.hpp"

using namespace awf::core;

namespace {

constexpr std::string_view secret = "0123456789abcdef0123456789abcdef";

constexpr std::int64_t now = 1'700'000'000;

user_claims alice() {
  return {"u1", "user", now + 3600};
}

/// The error of a refused token, or "accepted", so failures print readably.
std::string outcome(const result<user_claims, token_failure>& verified) {
  return verified ? "accepted" : to_string(verified.error().code);
}

std::string verify(std::string_view token, std::string_view key = secret) {
  return outcome(verify_user_token(key, token, now));
}

/// Builds a token by the contract's formula from a raw payload, so tests
/// can sign payloads the minter would never produce.
std::string sign_payload(std::string_view payload_b64,
                         std::string_view key = secret) {
  std::string signed_text = "awf1." + std::string{payload_b64};
  return signed_text + "." + base64url_encode(hmac_sha256(key, signed_text));
}

std::string sign_json(std::string_view payload) {
  return sign_payload(base64url_encode(payload));
}

/// Replaces the character at `index` with another base64url character.
std::string flip(std::string text, std::size_t index) {
  text[index] = text[index] == 'A' ? 'B' : 'A';
  return text;
}

} // namespace

CAF_TEST(hmac sha256 matches rfc 4231 test case 2) {
  CAF_CHECK_EQUAL(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
                  "5bdcc146bf60754e6a042426089575c7"
                  "5a003f089d2739839dec58b964ec3843");
}

CAF_TEST(hmac sha256 accepts an empty key and empty data) {
  // RFC 2104 with a zero-length key; value from Python's hmac module.
  CAF_CHECK_EQUAL(to_hex(hmac_sha256("", "")),
                  "b613679a0814d9ec772f95d778c35fc5"
                  "ff1697c493715653c6c712144292c5ad");
}

CAF_TEST(minted token follows the contract formula) {
  auto payload = std::string{R"({"exp":1700003600,"role":"user","sub":"u1"})"};
  CAF_CHECK_EQUAL(mint_user_token(secret, alice()), sign_json(payload));
}

CAF_TEST(round trip returns the claims) {
  auto verified =
    verify_user_token(secret, mint_user_token(secret, alice()), now);
  CAF_REQUIRE(verified);
  CAF_CHECK_EQUAL(verified->sub, "u1");
  CAF_CHECK_EQUAL(verified->role, "user");
  CAF_CHECK_EQUAL(verified->exp, now + 3600);
  auto admin = mint_user_token(secret, {"ops", "admin", now + 1});
  CAF_CHECK_EQUAL(verify(admin), "accepted");
}

CAF_TEST(tampering with either part breaks the signature) {
  auto token = mint_user_token(secret, alice());
  auto second_dot = token.rfind('.');
  CAF_CHECK_EQUAL(verify(flip(token, 5)), "bad_signature");
  CAF_CHECK_EQUAL(verify(flip(token, second_dot - 3)), "bad_signature");
  CAF_CHECK_EQUAL(verify(flip(token, second_dot + 1)), "bad_signature");
  CAF_CHECK_EQUAL(verify(flip(token, second_dot + 20)), "bad_signature");
}

CAF_TEST(another secret breaks the signature) {
  auto token = mint_user_token(secret, alice());
  CAF_CHECK_EQUAL(verify(token, "another secret of at least 32 bytes"),
                  "bad_signature");
}

CAF_TEST(a token dies at exp) {
  auto token = mint_user_token(secret, {"u1", "user", now});
  CAF_CHECK_EQUAL(verify(token), "expired");
  CAF_CHECK_EQUAL(outcome(verify_user_token(secret, token, now - 1)),
                  "accepted");
}

CAF_TEST(broken layout is malformed) {
  auto token = mint_user_token(secret, alice());
  auto second_dot = token.rfind('.');
  CAF_CHECK_EQUAL(verify(""), "malformed");
  CAF_CHECK_EQUAL(verify("awf1."), "malformed");
  CAF_CHECK_EQUAL(verify(token.substr(0, second_dot)), "malformed");
  CAF_CHECK_EQUAL(verify(token.substr(0, second_dot + 1)), "malformed");
  CAF_CHECK_EQUAL(verify("awf2" + token.substr(4)), "malformed");
  CAF_CHECK_EQUAL(verify(token + ".x"), "malformed");
  CAF_CHECK_EQUAL(verify("awf1." + token.substr(second_dot)), "malformed");
  CAF_CHECK_EQUAL(verify(token.substr(0, second_dot) + ".!!!"), "malformed");
  CAF_CHECK_EQUAL(verify(std::string(max_user_token_bytes + 1, 'a')),
                  "malformed");
}

CAF_TEST(signed but undecodable payload is malformed) {
  CAF_CHECK_EQUAL(verify(sign_payload("not*base64")), "malformed");
  CAF_CHECK_EQUAL(verify(sign_json("not json")), "malformed");
  CAF_CHECK_EQUAL(verify(sign_json(R"(["u1","user",1800000000])")),
                  "malformed");
  CAF_CHECK_EQUAL(
    verify(
      sign_json(R"({"sub":"u1","sub":"u2","role":"user","exp":1800000000})")),
    "malformed");
}

CAF_TEST(signed but wrong claims are invalid) {
  auto check = [](std::string_view payload) {
    return verify(sign_json(payload));
  };
  CAF_CHECK_EQUAL(check(R"({"sub":"u1","role":"user","exp":1800000000})"),
                  "accepted");
  CAF_CHECK_EQUAL(check(R"({"sub":"u1","role":"root","exp":1800000000})"),
                  "invalid_claims");
  CAF_CHECK_EQUAL(check(R"({"role":"user","exp":1800000000})"),
                  "invalid_claims");
  CAF_CHECK_EQUAL(check(R"({"sub":"","role":"user","exp":1800000000})"),
                  "invalid_claims");
  CAF_CHECK_EQUAL(check(R"({"sub":7,"role":"user","exp":1800000000})"),
                  "invalid_claims");
  CAF_CHECK_EQUAL(check(R"({"sub":"u1","exp":1800000000})"), "invalid_claims");
  CAF_CHECK_EQUAL(check(R"({"sub":"u1","role":"user"})"), "invalid_claims");
  CAF_CHECK_EQUAL(check(R"({"sub":"u1","role":"user","exp":"1800000000"})"),
                  "invalid_claims");
  CAF_CHECK_EQUAL(check(R"({"sub":"u1","role":"user","exp":1800000000.5})"),
                  "invalid_claims");
  CAF_CHECK_EQUAL(check(R"({"sub":"u1","role":"user","exp":1e300})"),
                  "invalid_claims");
  auto long_sub = std::string(max_token_sub_bytes + 1, 'a');
  CAF_CHECK_EQUAL(
    check(R"({"sub":")" + long_sub + R"(","role":"user","exp":1800000000})"),
    "invalid_claims");
}

CAF_TEST(claims are checked before minting) {
  CAF_CHECK(check_claims(alice()));
  CAF_CHECK(check_claims({std::string(max_token_sub_bytes, 'a'), "admin", 0}));
  CAF_CHECK(!check_claims({"", "user", now}));
  CAF_CHECK(!check_claims({"u1", "root", now}));
  CAF_CHECK(
    !check_claims({std::string(max_token_sub_bytes + 1, 'a'), "user", now}));
}
