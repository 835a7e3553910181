// What the request handlers of both transports share: the bridge to the
// save engine, the token secret, the subscription hub, limits and counters.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "net/engine_bridge.hpp"
#include "net/expensive_work.hpp"
#include "net/outgoing_frames.hpp"
#include "net/rate_limiter.hpp"
#include "net/subscription_hub.hpp"
#include "net/sync_metrics.hpp"

namespace awf::net {

/// Bounds of the sync API (contract §3), from config.
struct sync_limits {
  std::size_t max_turns_per_sync = 1000;
  /// A state's canonical bytes, at most (CLOUD_SYNC_MAX_SAVE_BYTES_MB).
  std::size_t max_state_bytes = std::size_t{200} << 20;
  /// The body of a sync up (REST) and a WebSocket message, at most.
  std::size_t max_message_bytes = (std::size_t{200} << 20) + (1 << 20);
  /// The body of every other request, at most (their bodies name a save,
  /// a device or a turn; none carries a state).
  std::size_t max_body_bytes = 64 * 1024;
  std::int64_t sync_down_page_turns = 100;  ///< turns per sync down page
  std::int64_t sync_down_max_behind = 1000; ///< further behind: a snapshot
  std::chrono::seconds ws_idle_timeout{60};
  std::size_t ws_max_queued_messages = 256; ///< then the reader is too slow
  std::size_t ws_max_queued_bytes = std::size_t{64} << 20;
  std::size_t ws_max_pending_requests = 64; ///< sync ups in flight per socket
  /// Bytes of frames queued for all WebSocket readers together
  /// (CLOUD_SYNC_WS_QUEUED_MB); past it the socket with the most queued is
  /// closed as too slow.
  std::size_t ws_max_total_queued_bytes = std::size_t{256} << 20;
  std::size_t max_connections = 10000;
  /// Open connections per client address (0: no cap).
  std::size_t max_connections_per_address = 64;
};

/// Why the token that opened a WebSocket stopped working; its sockets close
/// with policy code 1008 and this reason ("token_revoked", …).
enum class token_end { revoked, replaced, expired };

struct api_context {
  engine_bridge* bridge;
  std::string hmac_secret;
  std::function<std::int64_t()> now_unix;
  sync_limits limits;
  /// CLOUD_SYNC_ENABLED: false turns sync up away (read-only maintenance).
  bool sync_enabled = true;
  subscription_hub hub;
  /// The frames queued for WebSocket readers, counted once each (bounded by
  /// limits.ws_max_total_queued_bytes).
  outgoing_frames ws_frames;
  rate_limiter device_rate{50.0, 100.0}; ///< requests/s and burst per device
  /// Per-user admission of full verifies, materializes of stored turns and
  /// restores (and exports, later).
  expensive_work_limiter expensive_work;
  sync_metrics metrics;
  /// Closes the WebSockets a device opened (set by the running server;
  /// called after its token is revoked, rotated or replaced by registering
  /// the device again).
  std::function<void(const std::string& device_id, token_end why)>
    close_device_sockets;
  /// Closes the WebSocket with the most bytes queued as too slow (set by the
  /// running server; called when ws_frames is over its bound).
  std::function<void()> close_slowest_socket;
  /// Requests read but not yet answered (graceful shutdown waits on it).
  std::atomic<int> in_flight{0};
  /// Open HTTP and WebSocket connections.
  std::atomic<std::int64_t> connections{0};
  std::atomic<std::int64_t> websockets{0};
  /// Responses sent, by status code (for /metrics).
  std::array<std::atomic<std::uint64_t>, 600> responses_by_status{};
};

} // namespace awf::net
