// A small synchronous WebSocket client for the end-to-end tests: upgrades a
// connection to awf-syncd, sends JSON frames, and reads them back with a
// deadline so that a missing message fails the test instead of hanging it.
#pragma once

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

namespace awf::test {

class ws_client {
public:
  using json = nlohmann::json;

  /// Connects to 127.0.0.1:`port` and asks for the upgrade, with `bearer`
  /// in Authorization (as "`scheme` `bearer`") and `protocols` in
  /// Sec-WebSocket-Protocol (either may be empty). A refused upgrade leaves
  /// upgraded() false and the answer in status() and body().
  ws_client(unsigned short port, const std::string& bearer,
            const std::string& protocols = "",
            const std::string& scheme = "Bearer")
    : ws_(ioc_) {
    namespace http = boost::beast::http;
    boost::beast::get_lowest_layer(ws_).connect(boost::asio::ip::tcp::endpoint{
      boost::asio::ip::make_address("127.0.0.1"), port});
    ws_.set_option(boost::beast::websocket::stream_base::decorator(
      [bearer, protocols, scheme](boost::beast::websocket::request_type& req) {
        if (!bearer.empty())
          req.set(http::field::authorization, scheme + " " + bearer);
        if (!protocols.empty())
          req.set(http::field::sec_websocket_protocol, protocols);
      }));
    ws_.auto_fragment(false);
    ws_.read_message_max(64u << 20);
    boost::beast::websocket::response_type res;
    boost::beast::error_code ec;
    ws_.handshake(res, "127.0.0.1", "/api/awf-cloud-sync/ws", ec);
    status_ = static_cast<int>(res.result_int());
    body_ = json::parse(res.body(), nullptr, false);
    subprotocol_ = std::string{res[http::field::sec_websocket_protocol]};
    upgraded_ = !ec;
    open_ = upgraded_;
  }

  bool upgraded() const { return upgraded_; }

  /// The HTTP status of the answer to the upgrade (101 when upgraded).
  int status() const { return status_; }

  /// The JSON body of a refused upgrade.
  const json& body() const { return body_; }

  /// The subprotocol the server selected, if any.
  const std::string& subprotocol() const { return subprotocol_; }

  /// Sends one text frame; false when the connection is gone.
  bool send_text(const std::string& text) {
    boost::beast::error_code ec;
    ws_.text(true);
    ws_.write(boost::asio::buffer(text), ec);
    return !ec;
  }

  bool send(const json& msg) { return send_text(msg.dump()); }

  /// Sends `texts` as text frames in one write, as a pipelining client
  /// does (masked with a zero key, which leaves the payload as it is).
  bool send_at_once(const std::vector<std::string>& texts) {
    std::string wire;
    for (const auto& text : texts) {
      wire += static_cast<char>(0x81); // FIN, text
      auto n = text.size();
      if (n < 126) {
        wire += static_cast<char>(0x80 | n);
      } else if (n < 65536) {
        wire += static_cast<char>(0x80 | 126);
        wire += static_cast<char>(n >> 8);
        wire += static_cast<char>(n & 0xff);
      } else {
        wire += static_cast<char>(0x80 | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
          wire += static_cast<char>((n >> shift) & 0xff);
      }
      wire.append(4, '\0'); // the masking key
      wire += text;
    }
    boost::beast::error_code ec;
    boost::asio::write(boost::beast::get_lowest_layer(ws_).socket(),
                       boost::asio::buffer(wire), ec);
    return !ec;
  }

  /// Makes this client's receive buffer small, so that what the server
  /// sends while the test does not read stays queued in the server.
  void shrink_receive_buffer() {
    boost::beast::error_code ec;
    boost::beast::get_lowest_layer(ws_).socket().set_option(
      boost::asio::socket_base::receive_buffer_size{4096}, ec);
  }

  /// Gives the receive buffer its room back before reading a lot (a window
  /// below one loopback segment reads at the persist timer's pace).
  void grow_receive_buffer() {
    boost::beast::error_code ec;
    boost::beast::get_lowest_layer(ws_).socket().set_option(
      boost::asio::socket_base::receive_buffer_size{4 << 20}, ec);
  }

  /// Sends one text message split into `pieces` frames.
  bool send_fragmented(const std::string& text, std::size_t pieces) {
    boost::beast::error_code ec;
    ws_.text(true);
    auto step = text.size() / pieces + 1;
    for (std::size_t at = 0; at < text.size() && !ec; at += step) {
      auto n = std::min(step, text.size() - at);
      ws_.write_some(at + n == text.size(),
                     boost::asio::buffer(text.data() + at, n), ec);
    }
    return !ec;
  }

  /// The next message, or nullopt when the connection closed (see
  /// close_code) or nothing came within `timeout`.
  std::optional<json>
  read(std::chrono::milliseconds timeout = std::chrono::seconds{20}) {
    auto text = read_text(timeout);
    if (!text)
      return std::nullopt;
    return json::parse(*text, nullptr, false);
  }

  /// Like read, the message as sent.
  std::optional<std::string>
  read_text(std::chrono::milliseconds timeout = std::chrono::seconds{20}) {
    if (!open_)
      return std::nullopt;
    boost::beast::flat_buffer buffer;
    boost::beast::error_code ec;
    bool done = false;
    ws_.async_read(buffer, [&](boost::beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    ioc_.restart();
    ioc_.run_for(timeout);
    if (!done) {
      // Give up: close the socket and let the read finish before `ec` and
      // `done` go out of scope.
      boost::beast::get_lowest_layer(ws_).close();
      ioc_.restart();
      ioc_.run();
      open_ = false;
      return std::nullopt;
    }
    if (ec) {
      open_ = false;
      close_code_ = ws_.reason().code;
      close_reason_ = std::string{ws_.reason().reason.c_str()};
      return std::nullopt;
    }
    return boost::beast::buffers_to_string(buffer.data());
  }

  /// Reads messages until one has type `type` (others are dropped; pass
  /// `skipped` to count them).
  std::optional<json> read_type(const std::string& type,
                                int* skipped = nullptr) {
    while (auto msg = read()) {
      if (msg->value("type", "") == type)
        return msg;
      if (skipped != nullptr)
        ++*skipped;
    }
    return std::nullopt;
  }

  bool open() const { return open_; }

  /// Closes with a normal close frame and waits for the server's.
  void close() {
    if (!open_)
      return;
    boost::beast::error_code ec;
    ws_.close(boost::beast::websocket::close_code::normal, ec);
    open_ = false;
  }

  /// The code of the close frame that ended the connection (0: none).
  int close_code() const { return static_cast<int>(close_code_); }

  /// The reason of that close frame.
  const std::string& close_reason() const { return close_reason_; }

private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  bool upgraded_ = false;
  bool open_ = true;
  int status_ = 0;
  json body_;
  std::string subprotocol_;
  std::uint16_t close_code_ = 0;
  std::string close_reason_;
};

} // namespace awf::test
