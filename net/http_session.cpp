#include "net/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "net/api_response.hpp"
#include "net/websocket_session.hpp"

namespace awf::net {

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

bool is_websocket_path(const http_request& req) {
  auto target = std::string_view{req.target().data(), req.target().size()};
  return target.substr(0, target.find('?')) == websocket_path;
}

} // namespace

http_session::http_session(asio::ip::tcp::socket&& socket, api_context& ctx,
                           const http_limits& limits, connection_slot slot,
                           websocket_set& websockets)
  : stream_(std::move(socket)), ctx_(ctx), limits_(limits),
    slot_(std::move(slot)), websockets_(websockets) {}

void http_session::run() {
  asio::dispatch(
    stream_.get_executor(),
    beast::bind_front_handler(&http_session::do_read, shared_from_this()));
}

void http_session::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(limits_.header_bytes));
  parser_->body_limit(limits_.body_bytes);
  stream_.expires_after(limits_.read_timeout);
  http::async_read(
    stream_, buffer_, *parser_,
    beast::bind_front_handler(&http_session::on_read, shared_from_this()));
}

void http_session::on_read(beast::error_code ec, std::size_t) {
  if (ec == http::error::end_of_stream)
    return do_close();
  if (ec == http::error::body_limit || ec == http::error::header_limit) {
    // Answer, then close: the rest of the oversized message is not read.
    http_request probe{http::verb::get, "/", 11};
    probe.keep_alive(false);
    bool body = ec == http::error::body_limit;
    return send(
      error_response(probe,
                     body ? http::status::payload_too_large
                          : http::status::request_header_fields_too_large,
                     body ? "payload_too_large" : "invalid_request",
                     body ? "the request body exceeds " +
                              std::to_string(limits_.body_bytes) + " bytes"
                          : "the request headers exceed " +
                              std::to_string(limits_.header_bytes) + " bytes"));
  }
  if (ec)
    return; // timeout or reset: the stream closes with this session
  if (is_websocket_path(parser_->get())) {
    if (beast::websocket::is_upgrade(parser_->get()))
      return upgrade(parser_->release());
    auto res =
      error_response(parser_->get(), http::status::upgrade_required,
                     "invalid_request", "this path takes a WebSocket upgrade");
    res.set(http::field::upgrade, "websocket");
    ++ctx_.responses_by_status[res.result_int()];
    return send(std::move(res));
  }
  stream_.expires_never(); // the engine's own timeout bounds the answer
  ++ctx_.in_flight;
  auto self = shared_from_this();
  handle_request(ctx_, parser_->release(), [self](http_response res) {
    asio::post(self->stream_.get_executor(),
               [self, res = std::move(res)]() mutable {
                 --self->ctx_.in_flight;
                 self->send(std::move(res));
               });
  });
}

void http_session::upgrade(http_request req) {
  auto token = upgrade_token(req);
  if (token.empty())
    return refuse_upgrade(
      req, error_outcome(401, "unauthorized",
                         "send Authorization: Bearer <token>, or "
                         "Sec-WebSocket-Protocol: awf.v1, bearer.<token>"));
  stream_.expires_never(); // the engine's own timeout bounds authentication
  ++ctx_.in_flight;
  auto self = shared_from_this();
  auto shared_req = std::make_shared<http_request>(std::move(req));
  authenticate(
    ctx_, token,
    [self, shared_req](caller who) {
      asio::post(self->stream_.get_executor(),
                 [self, shared_req, who = std::move(who)]() mutable {
                   --self->ctx_.in_flight;
                   auto session = std::make_shared<websocket_session>(
                     self->stream_.release_socket(), self->ctx_, std::move(who),
                     std::move(self->slot_));
                   self->websockets_.add(session);
                   session->run(std::move(*shared_req));
                 });
    },
    [self, shared_req](api_outcome out) {
      asio::post(self->stream_.get_executor(),
                 [self, shared_req, out = std::move(out)]() mutable {
                   --self->ctx_.in_flight;
                   self->refuse_upgrade(*shared_req, std::move(out));
                 });
    });
}

void http_session::refuse_upgrade(const http_request& req, api_outcome out) {
  // Answered in the contract's error format, without upgrading; the
  // connection closes after it.
  auto res =
    json_response(req, static_cast<http::status>(out.status), out.body);
  if (out.retry_after_s > 0)
    res.set(http::field::retry_after, std::to_string(out.retry_after_s));
  res.keep_alive(false);
  if (auto code = res.result_int(); code < ctx_.responses_by_status.size())
    ++ctx_.responses_by_status[code];
  send(std::move(res));
}

void http_session::send(http_response res) {
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
    return do_close();
  do_read();
}

void http_session::do_close() {
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

} // namespace awf::net
