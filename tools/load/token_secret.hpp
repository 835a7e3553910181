// User tokens for the simulated users: the secret is found the way
// `awfsync token` finds it (CLOUD_SYNC_HMAC_SECRET, else the server's data
// directory), and tokens are minted with core's mint_user_token.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "tools/load/load_options.hpp"

namespace awf::load {

/// The token secret: --hmac-secret; else with --data-dir the hmac_secret
/// file there; else CLOUD_SYNC_HMAC_SECRET, else the file in
/// CLOUD_SYNC_DATA_DIR (default ./var). Unlike awfsync, never creates the
/// file: a secret no server knows would only produce 401s.
core::result<std::string> resolve_token_secret(const load_options& options);

/// A user token for `user_id_hash`, valid for `ttl_s` seconds from now.
std::string mint_load_token(std::string_view secret,
                            std::string_view user_id_hash, std::int64_t ttl_s);

} // namespace awf::load
