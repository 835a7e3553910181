#include "tools/load/http_client.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "tools/load/sync_checks.hpp"

namespace awf::load {

namespace beast = boost::beast;
namespace http = beast::http;

std::string http_reply::describe() const {
  if (!transport_error.empty())
    return transport_error;
  return std::to_string(status) + " " + describe_error(body);
}

http_client::http_client(const executor& ex, endpoint_list endpoints,
                         std::string host_header,
                         std::chrono::milliseconds timeout)
  : stream_(ex), endpoints_(std::move(endpoints)),
    host_header_(std::move(host_header)), timeout_(timeout) {}

task<std::string> http_client::connect() {
  error_code ec;
  stream_.expires_after(timeout_);
  co_await stream_.async_connect(endpoints_,
                                 net::redirect_error(net::use_awaitable, ec));
  if (ec)
    co_return "connect: " + ec.message();
  // Small frames must not wait for delayed ACKs: latency is what we measure.
  stream_.socket().set_option(tcp::no_delay{true}, ec);
  buffer_.clear();
  connected_ = true;
  co_return std::string{};
}

void http_client::close() {
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  connected_ = false;
}

task<http_reply> http_client::request(http::verb method, std::string target,
                                      std::string_view bearer,
                                      std::string body) {
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, host_header_);
  req.set(http::field::user_agent, "awf-load");
  if (!bearer.empty())
    req.set(http::field::authorization, "Bearer " + std::string{bearer});
  if (!body.empty())
    req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.keep_alive(true);
  req.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    bool reused = connected_;
    if (!connected_) {
      auto failed = co_await connect();
      if (!failed.empty())
        co_return http_reply{0, nullptr, failed};
    }
    error_code ec;
    stream_.expires_after(timeout_);
    co_await http::async_write(stream_, req,
                               net::redirect_error(net::use_awaitable, ec));
    http::response_parser<http::string_body> parser;
    parser.body_limit(max_body_bytes);
    if (!ec)
      co_await http::async_read(stream_, buffer_, parser,
                                net::redirect_error(net::use_awaitable, ec));
    if (ec) {
      close();
      // A keep-alive connection the server closed while idle: try afresh.
      if (reused && attempt == 0 && !parser.got_some())
        continue;
      co_return http_reply{0, nullptr, ec.message()};
    }
    auto res = parser.release();
    if (!res.keep_alive())
      close();
    http_reply reply;
    reply.status = res.result_int();
    if (!res.body().empty()) {
      reply.body = nlohmann::json::parse(res.body(), nullptr, false);
      if (reply.body.is_discarded()) {
        reply.body = nullptr;
        if (reply.is_2xx())
          reply.transport_error = "reply body is not JSON";
      }
    }
    co_return reply;
  }
}

} // namespace awf::load
