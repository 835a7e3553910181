#include "core/user_token.hpp"

#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/base64.hpp"
#include "core/canonical_json.hpp"
#include "core/sha256.hpp"

namespace awf::core {

namespace {

using json = nlohmann::json;

token_failure fail(token_error code, std::string message) {
  return {code, std::move(message)};
}

/// The two base64url parts of a token, still undecoded.
struct token_parts {
  std::string_view
    signed_text; ///< "awf1." + payload part: what the HMAC covers
  std::string_view payload;
  std::string_view signature;
};

/// Returns the bytes of `text`, never nullptr: OpenSSL reads a null key as
/// "no key", but an empty key must still be a real, zero-length key.
const unsigned char* non_null_bytes(std::string_view text) {
  static const unsigned char empty = 0;
  return text.empty() ? &empty
                      : reinterpret_cast<const unsigned char*>(text.data());
}

/// Splits `token` into its parts without decoding anything.
std::optional<token_parts> split(std::string_view token) {
  if (token.size() > max_user_token_bytes ||
      !token.starts_with(user_token_prefix))
    return std::nullopt;
  auto rest = token.substr(user_token_prefix.size());
  auto dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0)
    return std::nullopt;
  auto signature = rest.substr(dot + 1);
  if (signature.empty() || signature.find('.') != std::string_view::npos)
    return std::nullopt;
  return token_parts{token.substr(0, user_token_prefix.size() + dot),
                     rest.substr(0, dot), signature};
}

/// Converts a JSON number to seconds if it is an integer a int64 holds.
/// Numbers arrive as doubles (see parse_json), so integral means no fraction.
std::optional<std::int64_t> to_seconds(const json& value) {
  if (!value.is_number())
    return std::nullopt;
  auto number = value.get<double>();
  // 2^63 is exactly representable; every integral double below it fits.
  constexpr double limit = 9223372036854775808.0;
  if (!std::isfinite(number) || std::trunc(number) != number ||
      number < -limit || number >= limit)
    return std::nullopt;
  return static_cast<std::int64_t>(number);
}

/// Reads the claims from an already authenticated payload.
result<user_claims, token_failure> read_claims(std::string_view payload) {
  auto document = parse_json(payload);
  if (!document || !document->is_object())
    return fail(token_error::malformed, "token payload is not a JSON object");
  const auto& object = *document;
  auto sub = object.find("sub");
  auto role = object.find("role");
  auto exp = object.find("exp");
  if (sub == object.end() || !sub->is_string() || role == object.end() ||
      !role->is_string() || exp == object.end())
    return fail(token_error::invalid_claims,
                "token payload needs string sub and role and a numeric exp");
  auto seconds = to_seconds(*exp);
  if (!seconds)
    return fail(token_error::invalid_claims, "token exp is not an integer");
  return check_claims(
    user_claims{sub->get<std::string>(), role->get<std::string>(), *seconds});
}

} // namespace

const char* to_string(token_error code) noexcept {
  switch (code) {
    case token_error::malformed: return "malformed";
    case token_error::bad_signature: return "bad_signature";
    case token_error::expired: return "expired";
    case token_error::invalid_claims: return "invalid_claims";
  }
  return "unknown";
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), non_null_bytes(key), static_cast<int>(key.size()),
       non_null_bytes(data), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

result<user_claims, token_failure> check_claims(user_claims claims) {
  if (claims.sub.empty() || claims.sub.size() > max_token_sub_bytes)
    return fail(token_error::invalid_claims,
                "token sub must have 1 to " +
                  std::to_string(max_token_sub_bytes) + " bytes");
  if (claims.role != "user" && claims.role != "admin")
    return fail(token_error::invalid_claims,
                "token role must be user or admin");
  return claims;
}

std::string mint_user_token(std::string_view secret,
                            const user_claims& claims) {
  // Numbers are doubles in the save model; canonicalize formats them the
  // same way verify_user_token's parser reads them back.
  json payload = {{"sub", claims.sub},
                  {"role", claims.role},
                  {"exp", static_cast<double>(claims.exp)}};
  std::string token{user_token_prefix};
  token += base64url_encode(canonicalize(payload));
  auto signature = base64url_encode(hmac_sha256(secret, token));
  token += '.';
  token += signature;
  return token;
}

result<user_claims, token_failure> verify_user_token(std::string_view secret,
                                                     std::string_view token,
                                                     std::int64_t now_unix) {
  auto parts = split(token);
  if (!parts)
    return fail(token_error::malformed,
                "token is not awf1.<payload>.<signature>");
  auto signature = base64url_decode(parts->signature);
  if (!signature)
    return fail(token_error::malformed, "token signature is not base64url");
  // Authenticate first: nothing below parses bytes an attacker chose freely.
  if (!constant_time_equal(hmac_sha256(secret, parts->signed_text), *signature))
    return fail(token_error::bad_signature, "token signature does not match");
  auto payload = base64url_decode(parts->payload);
  if (!payload)
    return fail(token_error::malformed, "token payload is not base64url");
  auto claims = read_claims(*payload);
  if (claims && claims->exp <= now_unix)
    return fail(token_error::expired, "token expired");
  return claims;
}

} // namespace awf::core
