// The HTTP listener and its I/O threads: accepts connections up to
// sync_limits::max_connections and max_connections_per_address per client
// address, gives each its own strand and session, and
// stops cleanly, closing WebSockets with "going away".
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "net/api_router.hpp"
#include "net/http_limits.hpp"

namespace awf::net {

struct server_options {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080; ///< 0 picks a free port
  std::size_t threads = 2;
  http_limits limits;
};

class http_server {
public:
  /// Binds, listens and starts the I/O threads. Fails with a message naming
  /// the address when it cannot bind.
  static core::result<std::unique_ptr<http_server>>
  start(const server_options& opts, api_context& ctx);

  ~http_server();

  /// The bound port (useful with port 0).
  std::uint16_t port() const noexcept;

  /// Stops accepting, asks WebSockets to finish their requests and close,
  /// gives requests in flight and WebSockets `grace` to finish, then stops
  /// the I/O threads.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds{5});

private:
  struct impl;
  explicit http_server(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

/// Parses "host:port" (IPv4, or [IPv6]:port).
core::result<server_options> parse_listen(const std::string& text);

} // namespace awf::net
