// The secret that signs user tokens (contract §2): CLOUD_SYNC_HMAC_SECRET,
// or one generated once into the data directory for development.
#pragma once

#include <cstddef>
#include <string>

#include "config/settings.hpp"
#include "core/result.hpp"

namespace awf::config {

/// Shortest secret accepted, in bytes (contract §2).
inline constexpr std::size_t min_hmac_secret_bytes = 32;

/// The placeholder value that means "no secret configured".
inline constexpr const char* placeholder_hmac_secret = "change-me";

/// Returns the token secret for `s`. A configured `hmac_secret` (set, not
/// empty and not "change-me") must have at least `min_hmac_secret_bytes`;
/// otherwise fails with `errc::invalid_setting` naming
/// CLOUD_SYNC_HMAC_SECRET. Without one, reads <data_dir>/hmac_secret,
/// creating it (mode 0600) from 32 random bytes on first use. `generated`,
/// when not null, tells whether the secret came from the data directory:
/// the server then warns and stays on loopback. Messages never include the
/// secret.
core::result<std::string> resolve_hmac_secret(const settings& s,
                                              bool* generated = nullptr);

} // namespace awf::config
