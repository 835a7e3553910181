// Device sync tokens (contract §2): 256 random bits, shown to the device
// once; the server keeps only their SHA-256.
#pragma once

#include <string>
#include <string_view>

namespace awf::core {

/// Every sync token starts with this, so it is never mistaken for a user
/// token (`awf1.`).
inline constexpr std::string_view sync_token_prefix = "awfd1.";

/// Longest sync token text accepted (a valid one is 49 bytes).
inline constexpr std::size_t max_sync_token_bytes = 128;

/// A new token: the prefix and 32 random bytes from the OS's cryptographic
/// generator, base64url.
std::string mint_sync_token();

/// What the store keeps: sha256 hex of the whole token text.
std::string sync_token_hash(std::string_view token);

} // namespace awf::core
