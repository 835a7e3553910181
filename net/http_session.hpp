// One HTTP/1.1 connection: reads a request (bounded in size and time), hands
// it to the router, writes the answer, and repeats while keep-alive holds.
// Runs on its own strand; does only reads and writes.
#pragma once

#include <memory>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/api_router.hpp"
#include "net/http_limits.hpp"
#include "net/http_types.hpp"

namespace awf::net {

class http_session : public std::enable_shared_from_this<http_session> {
public:
  http_session(boost::asio::ip::tcp::socket&& socket, api_context& ctx,
               const http_limits& limits);

  void run();

private:
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void send(http_response res);
  void on_write(bool keep_alive, boost::beast::error_code ec);
  void do_close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  api_context& ctx_;
  http_limits limits_;
};

} // namespace awf::net
