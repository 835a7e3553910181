// One device's WebSocket connection (contract §5): connects with the sync
// token as bearer, then sends and reads JSON text frames. The owner keeps
// at most one send in flight; one read may run alongside it.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "tools/load/net_types.hpp"

namespace awf::load {

/// One received message, or why there is none.
struct ws_frame {
  std::string text;
  std::string error;   ///< Empty when `text` is a message.
  bool closed = false; ///< The connection closed normally.
};

class ws_client {
public:
  /// Largest message read (a snapshot of the biggest state plus slack).
  static constexpr std::size_t max_message_bytes = std::size_t{256} << 20;

  ws_client(const executor& ex, std::chrono::milliseconds timeout);

  /// Connects and upgrades `target` with `Authorization: Bearer <bearer>`.
  /// Returns an empty string, or what went wrong.
  task<std::string> connect(const endpoint_list& endpoints,
                            std::string host_header, std::string target,
                            std::string bearer);

  /// Sends one text message. Returns an empty string, or the error.
  task<std::string> send(std::string text);

  /// Reads the next message.
  task<ws_frame> read();

  /// Closes with a close handshake (bounded by the timeout); errors are
  /// ignored. A pending read() ends.
  task<void> close();

private:
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::chrono::milliseconds timeout_;
};

} // namespace awf::load
