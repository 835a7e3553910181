// Turns one parsed HTTP request into engine calls and one response:
// routing, authentication, body validation. Plain functions of a request;
// the session owns the socket.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "net/engine_bridge.hpp"
#include "net/http_types.hpp"

namespace awf::net {

/// What request handlers share.
struct api_context {
  engine_bridge* bridge;
  std::string hmac_secret;
  std::function<std::int64_t()> now_unix;
  /// Requests read but not yet answered (graceful shutdown waits on it).
  std::atomic<int> in_flight{0};
  /// Responses sent, by status code (for /metrics).
  std::array<std::atomic<std::uint64_t>, 600> responses_by_status{};
};

/// Answers `req` through `reply`, exactly once, possibly later and from
/// another thread.
void handle_request(api_context& ctx, http_request req, reply_fn reply);

} // namespace awf::net
