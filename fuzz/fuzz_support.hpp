// Shared by the fuzz targets: the limits they run with and a check that
// aborts (so libFuzzer records a crash) when an invariant breaks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/key_ring.hpp"

namespace awf::fuzz {

/// The state limit the targets run with: small, so an input that passes a
/// limit is found in seconds; the same code runs with 200 MiB in production.
inline constexpr std::size_t max_state_bytes = std::size_t{64} << 10;

/// Aborts with `what` unless `condition` holds.
inline void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

/// Whether `body` has the contract's error form, exactly:
/// {"error": {"code": string, "message": string, "details": object}}.
inline bool is_error_body(const nlohmann::json& body) {
  if (!body.is_object() || body.size() != 1 || !body.contains("error"))
    return false;
  const auto& error = body["error"];
  return error.is_object() && error.size() == 3 && error.contains("code") &&
         error["code"].is_string() && error.contains("message") &&
         error["message"].is_string() && error.contains("details") &&
         error["details"].is_object();
}

/// The fuzz input as text.
inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// The key ring of the turn targets and of the seed generator: fixed keys,
/// so sealed seeds open again.
inline core::key_ring fixed_key_ring() {
  auto ring = core::key_ring::make(
    {{"k1", std::string(32, '\x01')}, {"k2", std::string(32, '\x02')}});
  require(ring.ok(), "the fixed key ring is valid");
  return std::move(*ring);
}

/// The state before the turns the turn targets decode.
inline constexpr std::string_view previous_state =
  R"({"gold":10,"inventory":[{"id":"sword","qty":1}],"name":"ada"})";

/// The token secret of the in-process server of the http_request target;
/// its seeds carry user tokens minted with it.
inline constexpr std::string_view hmac_secret =
  "fuzz-secret-0123456789abcdef0123456789abcdef";

/// A save id the http_request target replaces, wherever it occurs in an
/// input, with the id of a save it created at start (same length, so a
/// Content-Length stays right): seeds can name a save that exists.
inline constexpr std::string_view placeholder_save_id =
  "00000000-0000-4000-8000-000000000000";

} // namespace awf::fuzz
