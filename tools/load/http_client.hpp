// One device's HTTP/1.1 keep-alive connection to the server: sends a JSON
// request, reads the reply, reconnects when the server closed the
// connection. Every operation is bounded by the run's timeout.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "tools/load/net_types.hpp"

namespace awf::load {

/// A reply, or why there is none.
struct http_reply {
  unsigned status = 0; ///< 0 when `transport_error` is set.
  nlohmann::json body; ///< The parsed body; null when empty or not JSON.
  std::string transport_error;

  bool is_2xx() const { return transport_error.empty() && status / 100 == 2; }

  /// "409 unknown_base: ..." or the transport error, for error reports.
  std::string describe() const;
};

class http_client {
public:
  /// Largest reply body read (a snapshot of the biggest state plus slack).
  static constexpr std::size_t max_body_bytes = std::size_t{256} << 20;

  http_client(const executor& ex, endpoint_list endpoints,
              std::string host_header, std::chrono::milliseconds timeout);

  /// Sends `method target` with `Authorization: Bearer <bearer>` (when not
  /// empty) and a JSON `body` (when not empty), and reads the reply. A
  /// request on a reused connection that the server had closed is retried
  /// once on a new one (the sync endpoints are idempotent for a retry).
  task<http_reply> request(boost::beast::http::verb method, std::string target,
                           std::string_view bearer, std::string body);

  /// Closes the connection; the next request opens a new one.
  void close();

private:
  task<std::string> connect();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  endpoint_list endpoints_;
  std::string host_header_;
  std::chrono::milliseconds timeout_;
  bool connected_ = false;
};

} // namespace awf::load
