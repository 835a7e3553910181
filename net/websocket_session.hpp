// One WebSocket connection of the sync API (contract §5): JSON requests in
// text frames, their replies, and live pushes of the saves it follows. Runs
// on its connection's strand, never has two writes in flight, and bounds
// what it queues and what it has in flight.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "net/api_context.hpp"
#include "net/connection_slot.hpp"
#include "net/http_types.hpp"
#include "net/push_follower.hpp"
#include "net/subscription_hub.hpp"
#include "net/sync_api.hpp"

namespace awf::net {

/// The path of the WebSocket endpoint.
inline constexpr std::string_view websocket_path = "/api/awf-cloud-sync/ws";

/// The bearer token of an upgrade request: from `Authorization: Bearer`,
/// else from a `bearer.<token>` entry of `Sec-WebSocket-Protocol`. Empty
/// when the request carries none.
std::string upgrade_token(const http_request& req);

/// The longest string `req_id` a message may carry (an integer also does);
/// a longer one is refused, not echoed.
inline constexpr std::size_t max_req_id_bytes = 128;

class websocket_session
  : public push_subscriber,
    private follower_port,
    public std::enable_shared_from_this<websocket_session> {
public:
  /// Takes over an authenticated connection (and its count in
  /// `ctx.connections`); counts itself in `ctx.websockets`.
  websocket_session(boost::asio::ip::tcp::socket&& socket, api_context& ctx,
                    caller who, connection_slot slot);

  ~websocket_session() override;

  /// Answers the upgrade `req` (selecting `awf.v1` when offered), then
  /// serves frames until either side closes.
  void run(http_request req);

  /// Queues `event` for this connection (any thread).
  void deliver(std::shared_ptr<const push_event> event) override;

  /// Lets requests in flight finish, then closes with "going away" (any
  /// thread).
  void shutdown();

  /// The token of this connection stopped working: sends an error frame
  /// naming why ("token_revoked", "token_replaced", "token_expired"),
  /// accepts no further request and closes with policy code 1008 and that
  /// reason (any thread).
  void end_token(token_end why);

  /// Closes this connection as too slow a reader (close code 1008), once
  /// (any thread). Returns false when it was asked already.
  bool close_too_slow();

  /// Bytes queued for this connection (any thread; a frame shared with
  /// other connections counts in full).
  std::size_t queued_bytes() const noexcept { return queued_bytes_.load(); }

  /// The device whose sync token opened this connection (empty for a user
  /// token). Fixed at construction, so any thread may read it.
  const std::string& device_id() const noexcept { return who_.device_id; }

private:
  void on_accept(boost::beast::error_code ec);
  void do_read();
  /// Reads the next message, unless the outgoing queue is backlogged: then
  /// reading waits until writes bring it down (backpressure on a client
  /// that sends faster than it reads).
  void read_next();
  bool backlogged() const noexcept;
  void on_read(boost::beast::error_code ec, std::size_t bytes);
  void on_message(const std::string& text);

  bool admit_request(const nlohmann::json& req_id);
  void close_for_token(token_end why);
  void finish_request();
  void handle_subscribe(const nlohmann::json& req_id,
                        const nlohmann::json& msg);
  void handle_unsubscribe(const nlohmann::json& req_id,
                          const nlohmann::json& msg);
  void handle_sync_up(const nlohmann::json& req_id, const core::json_view& msg);
  void on_subscribed(const std::string& save_id, std::uint64_t generation,
                     const nlohmann::json& req_id, api_outcome out);
  void on_synced(const std::string& save_id, const nlohmann::json& req_id,
                 api_outcome out, sync_up_effect effect);

  // follower_port: what push_follower asks of this connection.
  bool closing() const override;
  bool can_send() const override;
  void send_push(const shared_frame& frame) override;
  void send_catch_up(const std::string& save_id,
                     const api_outcome& out) override;
  void send_failure(const std::string& save_id, api_outcome failure) override;
  bool fetch(const std::string& save_id, const core::chain_head& since,
             std::uint64_t generation) override;
  /// A catch-up is paced by the reader: its next page is fetched when the
  /// outgoing queue has room for it.
  bool room_for_page() const override;
  void retry_later(int seconds) override;
  void follow(const std::string& save_id) override;
  void unfollow(const std::string& save_id) override;

  /// Closes the connection when its token expires (revocation and rotation
  /// close it through websocket_set::close_device).
  void watch_token_expiry();

  /// Wraps `fn` into a callback that runs it on this session's strand.
  outcome_fn on_strand(std::function<void(api_outcome)> fn);

  origin_id origin() const noexcept {
    return static_cast<const push_subscriber*>(this);
  }

  void send(const nlohmann::json& msg);
  void enqueue(shared_frame frame);
  void send_error(const nlohmann::json& req_id, const std::string& code,
                  const std::string& message,
                  const nlohmann::json& details = nlohmann::json::object());
  void send_error_outcome(const nlohmann::json& req_id, api_outcome out,
                          const std::string& save_id = {});
  void do_write();
  void on_write(boost::beast::error_code ec, std::size_t bytes);
  void close_when_drained(boost::beast::websocket::close_reason reason);
  void begin_close(boost::beast::websocket::close_reason reason);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  boost::asio::steady_timer close_timer_;
  boost::asio::steady_timer retry_timer_;  ///< for stale subscriptions
  boost::asio::steady_timer expiry_timer_; ///< the token's end
  bool retry_armed_ = false;
  api_context& ctx_;
  caller who_;
  connection_slot slot_;
  /// The saves this connection follows (after who_ and ctx_: it calls
  /// back into them).
  push_follower follower_{*this};
  std::size_t pending_requests_ = 0;
  /// Outgoing messages; the front one is being written when not empty.
  /// Frames are shared: a push is rendered once for all its subscribers.
  std::deque<shared_frame> queue_;
  std::atomic<std::size_t> queued_bytes_{0};
  /// close_too_slow was called (by whichever thread).
  std::atomic<bool> slow_close_asked_{false};
  bool read_paused_ = false; ///< no read is running: the queue is backlogged
  bool accepted_ = false;
  bool stopping_ = false; ///< shutdown asked: finish requests, then close
  bool closing_ = false;  ///< a close has begun: nothing more is sent
  /// The token stopped working: requests are ignored, the socket closes.
  std::optional<token_end> token_ended_;
  std::optional<boost::beast::websocket::close_reason> close_after_drain_;
};

/// The open WebSocket sessions of one server, so that stopping it can close
/// them. Thread-safe; holds sessions weakly.
class websocket_set {
public:
  /// A mark to take before authenticating an upgrade: `add` closes the
  /// session at once when its device's sockets were closed after it (the
  /// token changed while it was being authenticated).
  std::uint64_t mark();

  void add(const std::shared_ptr<websocket_session>& session,
           std::uint64_t since);

  /// Shuts down every open session, and every one added from now on.
  void close_all();

  /// Closes the open session with the most bytes queued as too slow (the
  /// bound on all queued frames was passed).
  void close_slowest();

  /// Closes the sessions opened with `device_id`'s sync token, for `why`
  /// (an open socket must not outlive its token).
  void close_device(const std::string& device_id, token_end why);

private:
  /// The last close_device of a device, remembered for sessions still being
  /// authenticated (long enough for any authentication to finish).
  struct device_close {
    std::uint64_t at; ///< the value of closes_ it made
    token_end why;
    std::chrono::steady_clock::time_point when;
  };

  std::mutex mutex_;
  bool closing_ = false;
  std::vector<std::weak_ptr<websocket_session>> sessions_;
  std::size_t prune_at_ = 64;
  std::uint64_t closes_ = 0; ///< close_device calls so far
  std::map<std::string, device_close, std::less<>> recent_closes_;
};

} // namespace awf::net
