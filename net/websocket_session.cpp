#include "net/websocket_session.hpp"

#include <algorithm>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "core/canonical_json.hpp"
#include "net/api_response.hpp"
#include "net/bearer_token.hpp"
#include "net/client_ids.hpp"
#include "net/small_members.hpp"
#include "net/wire_json.hpp"

namespace awf::net {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

/// How long a close handshake may take before the socket is just closed
/// (also when a write to a reader that stopped reading never finishes).
constexpr auto close_deadline = std::chrono::seconds{5};

/// How long writing the 101 answer may take.
constexpr auto handshake_timeout = std::chrono::seconds{10};

/// A read buffer larger than this is given back after its message.
constexpr std::size_t keep_read_buffer = 64 * 1024;

/// Bytes asked for per read of a message.
constexpr std::size_t read_chunk = 256 * 1024;

constexpr std::string_view subprotocol = "awf.v1";
constexpr std::string_view bearer_protocol = "bearer.";

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// Calls `fn` with each entry of the comma-separated Sec-WebSocket-Protocol
/// lists of `req`, trimmed.
template<class F>
void for_each_protocol(const http_request& req, F fn) {
  auto [first, last] = req.equal_range(http::field::sec_websocket_protocol);
  for (auto field = first; field != last; ++field) {
    auto list = std::string_view{field->value().data(), field->value().size()};
    while (!list.empty()) {
      auto comma = list.find(',');
      auto entry = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{}
                                             : list.substr(comma + 1);
      while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t'))
        entry.remove_prefix(1);
      while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t'))
        entry.remove_suffix(1);
      if (!entry.empty())
        fn(entry);
    }
  }
}

bool offers_subprotocol(const http_request& req) {
  bool found = false;
  for_each_protocol(req,
                    [&](std::string_view p) { found |= p == subprotocol; });
  return found;
}

/// A non-negative integer sent as a JSON number.
std::optional<std::int64_t> whole_number(const json& value) {
  auto n = as_integer(value);
  if (!n || *n < 0)
    return std::nullopt;
  return n;
}

std::string to_text(const json& msg) {
  // Replacing invalid UTF-8 keeps dump() from throwing; engine output is
  // valid UTF-8, so this never changes a byte in practice.
  return msg.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// A request id the connection may echo: absent (null), a string of at
/// most max_req_id_bytes, or an integer.
bool echoable_req_id(const json& req_id) {
  if (req_id.is_null())
    return true;
  if (req_id.is_string())
    return req_id.get_ref<const std::string&>().size() <= max_req_id_bytes;
  return as_integer(req_id).has_value();
}

/// The close reason and error frame code of a token that stopped working.
const char* token_end_code(token_end why) {
  switch (why) {
    case token_end::revoked: return "token_revoked";
    case token_end::replaced: return "token_replaced";
    case token_end::expired: break;
  }
  return "token_expired";
}

const char* token_end_message(token_end why) {
  switch (why) {
    case token_end::revoked: return "the device of this connection was revoked";
    case token_end::replaced:
      return "the sync token of this connection was replaced (the device "
             "was rotated or registered again); connect again with the new "
             "token";
    case token_end::expired: break;
  }
  return "the token of this connection has expired; connect again with a "
         "new one";
}

} // namespace

std::string upgrade_token(const http_request& req) {
  auto header = req[http::field::authorization];
  if (auto token = bearer_token({header.data(), header.size()}))
    return std::string{*token};
  std::string token;
  for_each_protocol(req, [&](std::string_view p) {
    if (token.empty() && p.substr(0, bearer_protocol.size()) == bearer_protocol)
      token = p.substr(bearer_protocol.size());
  });
  return token;
}

// -- lifetime and handshake

websocket_session::websocket_session(asio::ip::tcp::socket&& socket,
                                     api_context& ctx, caller who,
                                     connection_slot slot)
  : ws_(std::move(socket)), close_timer_(ws_.get_executor()),
    retry_timer_(ws_.get_executor()), expiry_timer_(ws_.get_executor()),
    ctx_(ctx), who_(std::move(who)), slot_(std::move(slot)) {
  ++ctx_.websockets;
}

websocket_session::~websocket_session() {
  for (const auto& save_id : follower_.saves())
    ctx_.hub.unsubscribe(save_id, this);
  --ctx_.websockets;
}

void websocket_session::run(http_request req) {
  // The WebSocket stream keeps its own time: no TCP-level deadline.
  beast::get_lowest_layer(ws_).expires_never();
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = handshake_timeout;
  timeouts.idle_timeout = ctx_.limits.ws_idle_timeout;
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  // The message limit is enforced by do_read, not by read_message_max:
  // Beast fails the connection at that limit before an error frame can go
  // out (and 1.81's teardown then resets the socket with the payload
  // unread, so the client seldom even sees the 1009 close).
  ws_.read_message_max(0);
  ws_.set_option(websocket::stream_base::decorator(
    [awf = offers_subprotocol(req)](websocket::response_type& res) {
      res.set(http::field::server, "awf-syncd");
      if (awf)
        res.set(http::field::sec_websocket_protocol, subprotocol);
    }));
  ws_.async_accept(req, beast::bind_front_handler(&websocket_session::on_accept,
                                                  shared_from_this()));
}

void websocket_session::on_accept(beast::error_code ec) {
  if (ec)
    return; // Beast has answered a malformed upgrade with 400
  ++ctx_.responses_by_status[101];
  accepted_ = true;
  if (token_ended_)
    return close_for_token(*token_ended_); // ended during the handshake
  watch_token_expiry();
  do_read();
  if (stopping_)
    close_when_drained({websocket::close_code::going_away, "shutting down"});
}

void websocket_session::shutdown() {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    if (self->stopping_)
      return;
    self->stopping_ = true;
    if (self->accepted_ && self->pending_requests_ == 0)
      self->close_when_drained(
        {websocket::close_code::going_away, "shutting down"});
  });
}

void websocket_session::end_token(token_end why) {
  asio::dispatch(ws_.get_executor(), [self = shared_from_this(), why] {
    if (self->token_ended_ || self->closing_)
      return;
    self->token_ended_ = why;
    if (self->accepted_)
      self->close_for_token(why);
  });
}

void websocket_session::close_for_token(token_end why) {
  // Nothing is sent after this frame (see send): replies to requests still
  // in flight are dropped, and no new request is admitted.
  expiry_timer_.cancel();
  send_error(nullptr, token_end_code(why), token_end_message(why));
  close_when_drained(
    {websocket::close_code::policy_error, token_end_code(why)});
}

// -- reading requests

void websocket_session::do_read() {
  // Never more than one byte past the limit is buffered: enough to tell
  // that a message is too large.
  auto room = ctx_.limits.max_message_bytes + 1 - buffer_.size();
  ws_.async_read_some(
    buffer_, std::min(read_chunk, room),
    beast::bind_front_handler(&websocket_session::on_read, shared_from_this()));
}

void websocket_session::on_read(beast::error_code ec, std::size_t) {
  if (ec) {
    // Closed by the peer, idle timeout or a protocol error: Beast has
    // answered the close and torn the connection down. Nothing more is
    // sent; pending work finds closing_ set.
    closing_ = true;
    return;
  }
  if (closing_)
    return;
  if (buffer_.size() > ctx_.limits.max_message_bytes) {
    buffer_.consume(buffer_.size());
    buffer_.shrink_to_fit();
    send_error(nullptr, "payload_too_large",
               "a message may carry at most " +
                 std::to_string(ctx_.limits.max_message_bytes) + " bytes");
    // No more reads: the close handshake discards the rest of the message.
    close_when_drained({websocket::close_code::too_big, "message too big"});
    return;
  }
  if (!ws_.is_message_done())
    return do_read();
  if (!ws_.got_text()) {
    send_error(nullptr, "invalid_request", "send JSON in text frames");
  } else {
    on_message(beast::buffers_to_string(buffer_.data()));
  }
  buffer_.consume(buffer_.size());
  if (buffer_.capacity() > keep_read_buffer)
    buffer_.shrink_to_fit();
  read_next();
}

bool websocket_session::backlogged() const noexcept {
  // Half the caps: the replies of requests already read (at most
  // ws_max_pending_requests) still fit before the too-slow close.
  return queue_.size() >= ctx_.limits.ws_max_queued_messages / 2 ||
         queued_bytes_.load() >= ctx_.limits.ws_max_queued_bytes / 2;
}

void websocket_session::read_next() {
  if (closing_)
    return;
  if (backlogged()) {
    read_paused_ = true; // on_write reads on once the queue is down
    return;
  }
  read_paused_ = false;
  do_read();
}

void websocket_session::on_message(const std::string& text) {
  if (token_ended_)
    return; // the token no longer speaks for anyone
  // Read without a tree: a sync up's states and patches go on as their
  // canonical bytes; the other messages are small and read as trees.
  auto parsed = core::json_document::parse(text);
  if (!parsed)
    return send_error(nullptr, core::to_string(parsed.error().code),
                      parsed.error().message);
  auto root = parsed->root();
  if (!root.is_object())
    return send_error(nullptr, "invalid_request",
                      "a message must be a JSON object");
  small_members member;
  auto req_id = member(root, "req_id").value_or(nullptr);
  // Numbers parse as doubles: an integer is echoed in its canonical form
  // (7, not 7.0; -0 as 0).
  if (auto n = as_integer(req_id))
    req_id = *n;
  if (!echoable_req_id(req_id))
    return send_error(nullptr, "invalid_request",
                      "\"req_id\" must be a string of at most " +
                        std::to_string(max_req_id_bytes) +
                        " bytes or an integer",
                      {{"field", "req_id"}});
  auto type = root.find("type");
  if (!type || !type->is_string())
    return send_error(req_id, "invalid_request",
                      "a message needs a string \"type\"", {{"field", "type"}});
  auto name = type->string();
  if (name == "sync_up")
    return handle_sync_up(req_id, root);
  if (name != "subscribe" && name != "unsubscribe")
    return send_error(
      req_id, "invalid_request",
      "unknown message type; use subscribe, sync_up or unsubscribe",
      {{"field", "type"}});
  // The members subscribe and unsubscribe read; the rest are ignored.
  auto msg = json::object();
  for (const char* key : {"save_id", "since_turn", "since_chain"})
    if (auto value = member(root, key))
      msg[key] = std::move(*value);
  if (name == "subscribe")
    handle_subscribe(req_id, msg);
  else
    handle_unsubscribe(req_id, msg);
}

bool websocket_session::admit_request(const json& req_id) {
  if (token_ended_)
    return false; // the connection is closing; its error frame is sent
  if (stopping_) {
    send_error(req_id, "unavailable", "the server is shutting down");
    return false;
  }
  if (pending_requests_ >= ctx_.limits.ws_max_pending_requests) {
    send_error(req_id, "unavailable",
               "too many requests in flight on this connection (at most " +
                 std::to_string(ctx_.limits.ws_max_pending_requests) +
                 "); wait for replies");
    return false;
  }
  ++pending_requests_;
  return true;
}

void websocket_session::finish_request() {
  --pending_requests_;
  if (stopping_ && pending_requests_ == 0)
    close_when_drained({websocket::close_code::going_away, "shutting down"});
}

outcome_fn websocket_session::on_strand(std::function<void(api_outcome)> fn) {
  return [self = shared_from_this(), fn = std::move(fn)](api_outcome out) {
    asio::post(self->ws_.get_executor(),
               [fn, out = std::move(out)]() mutable { fn(std::move(out)); });
  };
}

// -- subscribe, unsubscribe, sync up

void websocket_session::handle_subscribe(const json& req_id, const json& msg) {
  auto save = msg.find("save_id");
  if (auto bad = check_json_id(save == msg.end() ? json{} : *save, "save_id",
                               uuid_shape))
    return send_error_outcome(req_id, std::move(*bad));
  sync_down_params params;
  params.save_id = save->get<std::string>();
  if (auto it = msg.find("since_turn"); it != msg.end()) {
    auto turn = whole_number(*it);
    if (!turn)
      return send_error(req_id, "invalid_request",
                        "\"since_turn\" must be a non-negative integer",
                        {{"field", "since_turn"}});
    params.since_turn = *turn;
  }
  if (auto it = msg.find("since_chain"); it != msg.end() && !it->is_null()) {
    if (auto bad = check_json_id(*it, "since_chain", hash_shape))
      return send_error_outcome(req_id, std::move(*bad));
    params.since_chain = it->get<std::string>();
  } else if (params.since_turn > 0) {
    return send_error(req_id, "invalid_request",
                      "\"since_chain\" is required with \"since_turn\" > 0",
                      {{"field", "since_chain"}});
  }
  if (!admit_request(req_id))
    return;
  // Follow the save before reading it: a push that comes while the sync
  // down runs waits and is checked against its answer, so none is lost.
  auto save_id = params.save_id;
  auto generation = follower_.subscribe(save_id);
  sync_down(ctx_, who_, std::move(params),
            on_strand([self = shared_from_this(), save_id, generation,
                       req_id](api_outcome out) {
              self->on_subscribed(save_id, generation, req_id, std::move(out));
            }));
}

void websocket_session::on_subscribed(const std::string& save_id,
                                      std::uint64_t generation,
                                      const json& req_id, api_outcome out) {
  if (out.status >= 300) {
    auto status = out.status;
    auto retry_after = out.retry_after_s;
    send_error_outcome(req_id, std::move(out));
    follower_.refused(save_id, generation, status, retry_after);
  } else {
    send(ws_answer(out, "sync_down", req_id));
    if (!follower_.answered(save_id, generation, out.body))
      send_error(req_id, "unavailable",
                 "the sync down answer has no head; subscribe again");
  }
  finish_request();
}

void websocket_session::handle_unsubscribe(const json& req_id,
                                           const json& msg) {
  auto save = msg.find("save_id");
  if (auto bad = check_json_id(save == msg.end() ? json{} : *save, "save_id",
                               uuid_shape))
    return send_error_outcome(req_id, std::move(*bad));
  auto save_id = save->get<std::string>();
  follower_.unsubscribe(save_id);
  send(ws_answer({200, {{"save_id", save_id}}, 0, {}}, "unsubscribed", req_id));
}

void websocket_session::handle_sync_up(const json& req_id,
                                       const core::json_view& msg) {
  if (!admit_request(req_id))
    return;
  // Kept to update this connection's own subscription from the result.
  auto save_id = msg.find("save_id");
  std::string saved_id{save_id && save_id->is_string() ? save_id->string()
                                                       : std::string_view{}};
  sync_up(ctx_, who_, msg, std::nullopt, origin(),
          [self = shared_from_this(), save_id = std::move(saved_id),
           req_id](api_outcome out, sync_up_effect effect) {
            asio::post(self->ws_.get_executor(),
                       [self, save_id, req_id, out = std::move(out),
                        effect = std::move(effect)]() mutable {
                         self->on_synced(save_id, req_id, std::move(out),
                                         std::move(effect));
                       });
          });
}

void websocket_session::on_synced(const std::string& save_id,
                                  const json& req_id, api_outcome out,
                                  sync_up_effect effect) {
  if (out.status >= 300) {
    send_error_outcome(req_id, std::move(out));
  } else {
    send(ws_answer(out, "sync_up_result", req_id));
    follower_.own_sync(save_id, effect);
  }
  finish_request();
}

// -- pushes and catch-ups (the rules are push_follower's)

void websocket_session::deliver(std::shared_ptr<const push_event> event) {
  asio::post(ws_.get_executor(),
             [self = shared_from_this(), event = std::move(event)]() mutable {
               self->follower_.push(std::move(event));
             });
}

bool websocket_session::closing() const {
  return closing_;
}

bool websocket_session::can_send() const {
  return !closing_ && !close_after_drain_ && accepted_;
}

void websocket_session::send_push(const shared_frame& frame) {
  enqueue(frame);
  ++ctx_.metrics.pushes_sent;
}

void websocket_session::send_catch_up(const std::string& save_id,
                                      const api_outcome& out) {
  send(ws_answer(out, "turns", nullptr, save_id));
  ++ctx_.metrics.pushes_sent;
}

void websocket_session::send_failure(const std::string& save_id,
                                     api_outcome failure) {
  send_error_outcome(nullptr, std::move(failure), save_id);
}

bool websocket_session::fetch(const std::string& save_id,
                              const core::chain_head& since,
                              std::uint64_t generation) {
  if (closing_ || stopping_)
    return false;
  sync_down_params params;
  params.save_id = save_id;
  params.since_turn = since.turn_id;
  params.since_chain = since.chain_hash;
  sync_down(ctx_, who_, std::move(params),
            on_strand([self = shared_from_this(), save_id,
                       generation](api_outcome out) {
              self->follower_.fetched(save_id, generation, out);
            }));
  return true;
}

bool websocket_session::room_for_page() const {
  // A page may be as large as a message: the next is read only when it
  // fits below the backpressure mark, or when nothing is queued.
  return queue_.empty() ||
         queued_bytes_.load() + ctx_.limits.max_message_bytes <=
           ctx_.limits.ws_max_queued_bytes / 2;
}

void websocket_session::retry_later(int seconds) {
  if (retry_armed_)
    return;
  retry_armed_ = true;
  retry_timer_.expires_after(std::chrono::seconds{std::max(1, seconds)});
  retry_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (ec || !self)
      return;
    self->retry_armed_ = false;
    self->follower_.retry_stale();
  });
}

void websocket_session::follow(const std::string& save_id) {
  ctx_.hub.subscribe(save_id, shared_from_this());
}

void websocket_session::unfollow(const std::string& save_id) {
  ctx_.hub.unsubscribe(save_id, this);
}

void websocket_session::watch_token_expiry() {
  if (who_.expires_at_ms <= 0 || closing_)
    return;
  expiry_timer_.expires_after(std::chrono::milliseconds{
    std::max<std::int64_t>(0, who_.expires_at_ms - unix_now_ms())});
  expiry_timer_.async_wait(
    [weak = weak_from_this(),
     expires = who_.expires_at_ms](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->closing_)
        return;
      if (unix_now_ms() < expires) // the wall clock went back: wait on
        return self->watch_token_expiry();
      if (self->token_ended_)
        return;
      self->token_ended_ = token_end::expired;
      self->close_for_token(token_end::expired);
    });
}

// -- writing

void websocket_session::send(const json& msg) {
  if (closing_ || close_after_drain_ || !accepted_)
    return; // a close is under way: its reason was the last word

  enqueue(ctx_.ws_frames.make(to_text(msg)));
}

void websocket_session::enqueue(shared_frame frame) {
  // One message larger than the byte bound still goes out alone; a queue
  // that is already full means the reader is too slow.
  if (!queue_.empty() && (queue_.size() >= ctx_.limits.ws_max_queued_messages ||
                          queued_bytes_.load() + frame->size() >
                            ctx_.limits.ws_max_queued_bytes)) {
    close_too_slow();
    return;
  }
  queued_bytes_ += frame->size();
  queue_.push_back(std::move(frame));
  if (queue_.size() == 1)
    do_write();
  // All readers together: past the bound the slowest one goes.
  if (ctx_.ws_frames.bytes() > ctx_.limits.ws_max_total_queued_bytes &&
      ctx_.close_slowest_socket)
    ctx_.close_slowest_socket();
}

bool websocket_session::close_too_slow() {
  if (slow_close_asked_.exchange(true))
    return false;
  asio::dispatch(ws_.get_executor(), [self = shared_from_this()] {
    if (self->closing_)
      return;
    ++self->ctx_.metrics.slow_consumers_closed;
    self->begin_close({websocket::close_code::policy_error,
                       "too slow: the outgoing queue is full"});
  });
  return true;
}

void websocket_session::send_error(const json& req_id, const std::string& code,
                                   const std::string& message,
                                   const json& details) {
  // The status is HTTP's only: a frame carries the code.
  send(ws_answer(error_outcome(400, code, message, details), "", req_id));
}

void websocket_session::send_error_outcome(const json& req_id, api_outcome out,
                                           const std::string& save_id) {
  send(ws_answer(out, "", req_id, save_id));
}

void websocket_session::do_write() {
  ws_.text(true);
  ws_.async_write(asio::buffer(*queue_.front()),
                  beast::bind_front_handler(&websocket_session::on_write,
                                            shared_from_this()));
}

void websocket_session::on_write(beast::error_code ec, std::size_t) {
  queued_bytes_ -= queue_.front()->size();
  queue_.pop_front();
  if (ec || closing_) {
    closing_ = true; // a failed write ends the connection
    queue_.clear();
    queued_bytes_ = 0;
    return;
  }
  if (!queue_.empty())
    do_write();
  else if (close_after_drain_)
    begin_close(*close_after_drain_);
  if (read_paused_ && !close_after_drain_ && !backlogged())
    read_next();
  if (follower_.has_deferred_pages() && !close_after_drain_ && room_for_page())
    follower_.run_deferred_pages();
}

void websocket_session::close_when_drained(websocket::close_reason reason) {
  if (closing_ || close_after_drain_)
    return; // the first reason to close stands

  if (queue_.empty())
    begin_close(std::move(reason));
  else
    close_after_drain_ = std::move(reason);
}

void websocket_session::begin_close(websocket::close_reason reason) {
  if (closing_)
    return;
  closing_ = true;
  // Only the message being written (the front) must stay alive.
  while (queue_.size() > 1) {
    queued_bytes_ -= queue_.back()->size();
    queue_.pop_back();
  }
  // A close waits for the write in flight; a reader that stopped reading
  // would hold it forever, so the socket closes at the deadline anyway.
  close_timer_.expires_after(close_deadline);
  close_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (ec)
      return;
    if (auto self = weak.lock()) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->ws_).socket().close(ignored);
    }
  });
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {
    self->close_timer_.cancel();
  });
}

// -- websocket_set

std::uint64_t websocket_set::mark() {
  std::lock_guard<std::mutex> guard{mutex_};
  return closes_;
}

void websocket_set::add(const std::shared_ptr<websocket_session>& session,
                        std::uint64_t since) {
  std::optional<token_end> ended;
  bool stopping = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping = closing_;
    if (!stopping) {
      if (sessions_.size() >= prune_at_) {
        std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
        prune_at_ = std::max<std::size_t>(64, 2 * sessions_.size());
      }
      sessions_.push_back(session);
      if (auto it = recent_closes_.find(session->device_id());
          it != recent_closes_.end() && it->second.at > since)
        ended = it->second.why;
    }
  }
  if (stopping)
    session->shutdown();
  else if (ended)
    session->end_token(*ended);
}

void websocket_set::close_all() {
  std::vector<std::shared_ptr<websocket_session>> live;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    closing_ = true;
    for (const auto& weak : sessions_)
      if (auto s = weak.lock())
        live.push_back(std::move(s));
    sessions_.clear();
  }
  for (const auto& s : live)
    s->shutdown();
}

void websocket_set::close_slowest() {
  // Only the one with the most queued: once asked, its queue is dropped
  // (all but the frame being written), so it falls back and the next call
  // finds the next slowest only if the total is still over.
  std::vector<std::shared_ptr<websocket_session>> live;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    for (const auto& weak : sessions_)
      if (auto s = weak.lock())
        live.push_back(std::move(s));
  }
  auto slowest = std::max_element(
    live.begin(), live.end(), [](const auto& a, const auto& b) {
      return a->queued_bytes() < b->queued_bytes();
    });
  if (slowest != live.end() && (*slowest)->queued_bytes() > 0)
    (*slowest)->close_too_slow();
}

void websocket_set::close_device(const std::string& device_id, token_end why) {
  if (device_id.empty())
    return;
  // No authentication outlives the engine timeout (30 s): a close older
  // than this cannot concern a session not yet added. Past the cap (a flood
  // of registrations) older entries go first, then all: the memory stays
  // bounded and only this race guard is lost for a moment.
  constexpr auto remember = std::chrono::minutes{2};
  constexpr std::size_t max_remembered = 4096;
  auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<websocket_session>> matching;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (recent_closes_.size() >= max_remembered) {
      std::erase_if(recent_closes_, [&](const auto& entry) {
        return now - entry.second.when > remember;
      });
      if (recent_closes_.size() >= max_remembered)
        recent_closes_.clear();
    }
    recent_closes_.insert_or_assign(device_id,
                                    device_close{++closes_, why, now});
    for (const auto& weak : sessions_)
      if (auto s = weak.lock(); s && s->device_id() == device_id)
        matching.push_back(std::move(s));
  }
  for (const auto& s : matching)
    s->end_token(why);
}

} // namespace awf::net
