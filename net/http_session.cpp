#include "net/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/string.hpp>

#include "net/api_response.hpp"
#include "net/websocket_session.hpp"

namespace awf::net {

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

/// After an early answer (the body unread), how long the connection keeps
/// discarding what the client still sends before it closes, and how many
/// bytes it discards at most. Closing with unread bytes would reset the
/// connection, and a reset can destroy the answer before the client reads it.
constexpr auto linger_timeout = std::chrono::seconds{2};
constexpr std::size_t linger_bytes = std::size_t{1} << 20;

/// True when the client waits for "100 Continue" before sending the body.
bool expects_continue(const http_request& head) {
  auto expect = head[http::field::expect];
  return head.version() >= 11 && beast::iequals(expect, "100-continue");
}

/// True when the bytes read are not a valid HTTP/1.1 request (a bad method,
/// version, header, length or chunk), as opposed to a timeout, a reset or
/// the client closing, which get no answer.
bool is_malformed(beast::error_code ec) {
  return ec &&
         ec.category() ==
           beast::error_code{http::error::bad_method}.category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message;
}

} // namespace

http_session::http_session(asio::ip::tcp::socket&& socket, api_context& ctx,
                           const http_limits& limits, connection_slot slot,
                           websocket_set& websockets)
  : stream_(std::move(socket)), ctx_(ctx), limits_(limits),
    slot_(std::move(slot)), websockets_(websockets) {}

void http_session::run() {
  asio::dispatch(stream_.get_executor(),
                 beast::bind_front_handler(&http_session::do_read_header,
                                           shared_from_this()));
}

void http_session::do_read_header() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
  // No body limit yet: the route decides it once the head is in (and, when
  // it needs a caller, authenticated). read_header never parses body bytes.
  parser_->body_limit(boost::none);
  route_ = {};
  who_.reset();
  stream_.expires_after(limits_.header_timeout);
  http::async_read_header(
    stream_, buffer_, *parser_,
    beast::bind_front_handler(&http_session::on_header, shared_from_this()));
}

void http_session::on_header(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream)
    return do_close();
  if (ec == http::error::header_limit)
    return refuse(error_outcome(431, "invalid_request",
                                "the request headers exceed " +
                                  std::to_string(limits_.header_bytes) +
                                  " bytes"));
  if (is_malformed(ec))
    return refuse_malformed(ec);
  if (ec)
    return; // timeout or reset: the stream closes with this session
  route_ = find_route(ctx_, parser_->get());
  if (!route_.needs_caller)
    return read_body();
  stream_.expires_never(); // the engine's own timeout bounds authentication
  if (route_.websocket)
    close_mark_ = websockets_.mark(); // see websocket_set::add
  ++ctx_.in_flight;
  auto self = shared_from_this();
  authenticate_route(
    ctx_, route_, parser_->get(),
    [self](caller who) {
      asio::post(self->stream_.get_executor(),
                 [self, who = std::move(who)]() mutable {
                   --self->ctx_.in_flight;
                   self->on_authenticated(std::move(who));
                 });
    },
    [self](api_outcome out) {
      asio::post(self->stream_.get_executor(),
                 [self, out = std::move(out)]() mutable {
                   --self->ctx_.in_flight;
                   self->refuse(std::move(out));
                 });
    });
}

void http_session::on_authenticated(caller who) {
  who_ = std::move(who);
  read_body();
}

void http_session::read_body() {
  auto& parser = *parser_;
  // A declared length over the limit is refused before any of it is read;
  // a chunked body is cut off by the parser at the limit.
  if (auto length = parser.content_length();
      length && *length > route_.body_limit)
    return refuse_too_large();
  parser.body_limit(route_.body_limit);
  if (parser.is_done())
    return on_read({}, 0);
  if (!expects_continue(parser.get()))
    return do_read_body();
  auto interim = std::make_shared<http::response<http::empty_body>>(
    http::status::continue_, 11);
  stream_.expires_after(limits_.write_timeout);
  http::async_write(stream_, *interim,
                    [self = shared_from_this(),
                     interim](beast::error_code write_ec, std::size_t) {
                      if (!write_ec)
                        self->do_read_body();
                    });
}

void http_session::do_read_body() {
  stream_.expires_after(limits_.read_timeout);
  http::async_read(
    stream_, buffer_, *parser_,
    beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream)
    return do_close();
  if (ec == http::error::body_limit)
    return refuse_too_large();
  if (is_malformed(ec))
    return refuse_malformed(ec);
  if (ec)
    return; // timeout or reset: the stream closes with this session
  if (route_.websocket)
    return upgrade(parser_->release(), std::move(*who_));
  stream_.expires_never(); // the engine's own timeout bounds the answer
  ++ctx_.in_flight;
  auto self = shared_from_this();
  run_route(ctx_, route_, parser_->release(), std::move(who_),
            [self](http_response res) {
              asio::post(self->stream_.get_executor(),
                         [self, res = std::move(res)]() mutable {
                           --self->ctx_.in_flight;
                           self->send(std::move(res));
                         });
            });
}

void http_session::upgrade(http_request req, caller who) {
  auto session = std::make_shared<websocket_session>(
    stream_.release_socket(), ctx_, std::move(who), std::move(slot_));
  websockets_.add(session, close_mark_);
  session->run(std::move(req));
}

void http_session::refuse(api_outcome out) {
  // Answered in the contract's error format; what is left of the request
  // is not read, so the connection closes after the answer.
  http_request probe{http::verb::get, "/", 11};
  if (parser_ && parser_->is_header_done())
    probe.version(parser_->get().version());
  probe.keep_alive(false);
  auto res = http_answer(probe, out);
  linger_ = true;
  send(std::move(res));
}

void http_session::refuse_too_large() {
  refuse(error_outcome(413, "payload_too_large",
                       "the request body exceeds " +
                         std::to_string(route_.body_limit) + " bytes",
                       {{"limit", route_.body_limit}}));
}

void http_session::refuse_malformed(beast::error_code ec) {
  // Beast's sentence names the rule broken ("bad chunk", "bad method"),
  // never the bytes sent.
  refuse(error_outcome(400, "invalid_request",
                       "malformed HTTP/1.1 request: " + ec.message()));
}

void http_session::send(http_response res) {
  if (auto code = res.result_int(); code < ctx_.responses_by_status.size())
    ++ctx_.responses_by_status[code];
  auto message = std::make_shared<http_response>(std::move(res));
  stream_.expires_after(limits_.write_timeout);
  http::async_write(
    stream_, *message,
    [self = shared_from_this(), message](beast::error_code ec, std::size_t) {
      self->on_write(message->keep_alive(), ec);
    });
}

void http_session::on_write(bool keep_alive, beast::error_code ec) {
  if (ec)
    return;
  if (!keep_alive)
    return linger_ ? linger() : do_close();
  do_read_header();
}

void http_session::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

void http_session::linger() {
  do_close();
  // One small buffer, one deadline for the whole drain.
  auto scratch = std::make_shared<std::array<char, 16 * 1024>>();
  stream_.expires_after(linger_timeout);
  discard(std::move(scratch), 0);
}

void http_session::discard(std::shared_ptr<std::array<char, 16 * 1024>> scratch,
                           std::size_t discarded) {
  auto buffer = asio::buffer(*scratch);
  stream_.async_read_some(
    buffer, [self = shared_from_this(), scratch = std::move(scratch),
             discarded](beast::error_code ec, std::size_t bytes) mutable {
      if (ec || discarded + bytes >= linger_bytes)
        return; // end of stream, deadline or enough: the socket closes
      self->discard(std::move(scratch), discarded + bytes);
    });
}

} // namespace awf::net
