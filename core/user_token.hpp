// User tokens (contract §2): minting and verifying
// `awf1.<b64url(payload)>.<b64url(HMAC-SHA256(secret, "awf1." +
// b64url(payload)))>`. Pure functions: the caller supplies the secret and the
// clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace awf::core {

/// The version prefix every user token starts with; it is signed too.
inline constexpr std::string_view user_token_prefix = "awf1.";

/// Longest `sub` a token may carry, in bytes (a user id hash is 64).
inline constexpr std::size_t max_token_sub_bytes = 256;

/// Longest token text accepted; a valid one is far shorter, and the bound
/// keeps a hostile header from costing more than one small HMAC.
inline constexpr std::size_t max_user_token_bytes = 2048;

/// The signed claims of a user token.
struct user_claims {
  std::string sub;  ///< The user id hash.
  std::string role; ///< "user" or "admin".
  std::int64_t exp; ///< Expiry, Unix seconds; the token is dead at `exp`.
};

/// Why a token was refused.
enum class token_error {
  malformed,      ///< Not `awf1.<payload>.<signature>`, or an undecodable part.
  bad_signature,  ///< The HMAC does not match: tampered or another secret.
  expired,        ///< Correctly signed, but `exp` is not after now.
  invalid_claims, ///< Correctly signed, but the claims break the contract.
};

/// Returns the snake_case name of `code`.
const char* to_string(token_error code) noexcept;

/// A token error plus a sentence for humans. The sentence never quotes the
/// token or the secret.
struct token_failure {
  token_error code;
  std::string message;
};

/// Returns the raw 32-byte HMAC-SHA256 (RFC 2104) of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// Checks the claims a valid token must carry: `sub` non-empty and at most
/// `max_token_sub_bytes`, `role` "user" or "admin". `exp` is not checked
/// here because only the verifier knows the time.
result<user_claims, token_failure> check_claims(user_claims claims);

/// Returns the token for `claims` signed with `secret`. The payload is the
/// canonical JSON (RFC 8785) of {"sub", "role", "exp"}, so every minter
/// produces the same bytes for the same claims. Does not validate `claims`:
/// call `check_claims` first when they come from outside.
std::string mint_user_token(std::string_view secret, const user_claims& claims);

/// Verifies `token` against `secret` at time `now_unix`. The signature is
/// compared in constant time before the payload is decoded, so unsigned
/// bytes are never parsed. Fails with `malformed` for a broken layout or an
/// undecodable part, `bad_signature`, `invalid_claims` (see `check_claims`;
/// also a missing member or an `exp` that is not an integer) or `expired`
/// when `exp <= now_unix`.
result<user_claims, token_failure> verify_user_token(std::string_view secret,
                                                     std::string_view token,
                                                     std::int64_t now_unix);

} // namespace awf::core
