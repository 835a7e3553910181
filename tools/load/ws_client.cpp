#include "tools/load/ws_client.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket.hpp>

namespace awf::load {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;

ws_client::ws_client(const executor& ex, std::chrono::milliseconds timeout)
  : ws_(ex), timeout_(timeout) {}

task<std::string> ws_client::connect(const endpoint_list& endpoints,
                                     std::string host_header,
                                     std::string target, std::string bearer) {
  auto& tcp_layer = beast::get_lowest_layer(ws_);
  error_code ec;
  tcp_layer.expires_after(timeout_);
  co_await tcp_layer.async_connect(endpoints,
                                   net::redirect_error(net::use_awaitable, ec));
  if (ec)
    co_return "WebSocket connect: " + ec.message();
  tcp_layer.socket().set_option(tcp::no_delay{true}, ec);
  // From here the WebSocket timeouts apply, not the TCP stream's.
  tcp_layer.expires_never();
  auto timeouts =
    websocket::stream_base::timeout::suggested(beast::role_type::client);
  timeouts.handshake_timeout = timeout_;
  // A server that stops answering (even pings) fails reads and writes
  // instead of hanging them.
  timeouts.idle_timeout = timeout_;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
    [bearer = std::move(bearer)](websocket::request_type& req) {
      req.set(http::field::user_agent, "awf-load");
      req.set(http::field::authorization, "Bearer " + bearer);
    }));
  ws_.read_message_max(max_message_bytes);
  websocket::response_type res;
  co_await ws_.async_handshake(res, host_header, target,
                               net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    auto why = "WebSocket upgrade: " + ec.message();
    if (res.result_int() != 0)
      why += " (HTTP " + std::to_string(res.result_int()) + ")";
    co_return why;
  }
  ws_.text(true);
  co_return std::string{};
}

task<std::string> ws_client::send(std::string text) {
  error_code ec;
  co_await ws_.async_write(net::buffer(text),
                           net::redirect_error(net::use_awaitable, ec));
  co_return ec ? "WebSocket send: " + ec.message() : std::string{};
}

task<ws_frame> ws_client::read() {
  buffer_.clear();
  error_code ec;
  co_await ws_.async_read(buffer_, net::redirect_error(net::use_awaitable, ec));
  ws_frame frame;
  if (ec == websocket::error::closed)
    frame.closed = true;
  else if (ec)
    frame.error = "WebSocket read: " + ec.message();
  else
    frame.text = beast::buffers_to_string(buffer_.data());
  co_return frame;
}

task<void> ws_client::close() {
  if (!ws_.is_open()) {
    beast::get_lowest_layer(ws_).close();
    co_return;
  }
  error_code ec;
  co_await ws_.async_close(websocket::close_code::normal,
                           net::redirect_error(net::use_awaitable, ec));
  if (ec)
    beast::get_lowest_layer(ws_).close();
}

} // namespace awf::load
