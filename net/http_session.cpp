#include "net/http_session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "net/api_response.hpp"

namespace awf::net {

namespace beast = boost::beast;
namespace asio = boost::asio;

http_session::http_session(asio::ip::tcp::socket&& socket, api_context& ctx,
                           const http_limits& limits)
  : stream_(std::move(socket)), ctx_(ctx), limits_(limits) {}

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
