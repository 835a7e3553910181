// One HTTP/1.1 connection: reads a request head (bounded in size and time),
// authenticates it when its route needs a caller (401 before any of the
// body is read), reads the body up to the route's limit, hands the request
// to the router, writes the answer, and repeats while keep-alive holds. An
// authenticated WebSocket upgrade hands the socket to a websocket_session.
// Runs on its own strand; does only reads and writes.
#pragma once

#include <array>
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
  void do_read_header();
  void on_header(boost::beast::error_code ec, std::size_t bytes);
  void on_authenticated(caller who);
  void read_body();
  void do_read_body();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void upgrade(http_request req, caller who);
  /// Answers `out` and closes the connection (the body, if any, unread).
  void refuse(api_outcome out);
  void refuse_too_large();
  /// 400 for bytes that are not an HTTP/1.1 request.
  void refuse_malformed(boost::beast::error_code ec);
  void send(http_response res);
  void on_write(bool keep_alive, boost::beast::error_code ec);
  void do_close();
  /// Closes for sending, then discards what the client still sends for a
  /// short while, so that the early answer reaches it.
  void linger();
  void discard(std::shared_ptr<std::array<char, 16 * 1024>> scratch,
               std::size_t discarded);

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  route route_;                  ///< of the request being read
  std::optional<caller> who_;    ///< its caller, once authenticated
  bool linger_ = false;          ///< answered early: drain before closing
  std::uint64_t close_mark_ = 0; ///< websocket_set::mark before authenticating
  api_context& ctx_;
  http_limits limits_;
  connection_slot slot_;
  websocket_set& websockets_;
};

} // namespace awf::net
