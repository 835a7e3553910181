// One HTTP/1.1 connection: reads a request (bounded in size and time), hands
// it to the router, writes the answer, and repeats while keep-alive holds.
// An authenticated WebSocket upgrade on the WebSocket path hands the socket
// to a websocket_session. Runs on its own strand; does only reads and writes.
#pragma once

#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/api_router.hpp"
#include "net/connection_slot.hpp"
#include "net/http_limits.hpp"
#include "net/http_types.hpp"
#include "net/sync_api.hpp"

namespace awf::net {

class websocket_set;

class http_session : public std::enable_shared_from_this<http_session> {
public:
  /// `slot` counts this connection; upgraded sessions are added to
  /// `websockets`, which must outlive the I/O threads.
  http_session(boost::asio::ip::tcp::socket&& socket, api_context& ctx,
               const http_limits& limits, connection_slot slot,
               websocket_set& websockets);

  void run();

private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void upgrade(http_request req);
  void refuse_upgrade(const http_request& req, api_outcome out);
  void send(http_response res);
  void on_write(bool keep_alive, boost::beast::error_code ec);
  void do_close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  api_context& ctx_;
  http_limits limits_;
  connection_slot slot_;
  websocket_set& websockets_;
};

} // namespace awf::net
