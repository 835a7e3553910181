#include "net/http_server.hpp"

#include <atomic>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "net/address_limiter.hpp"
#include "net/api_response.hpp"
#include "net/http_session.hpp"
#include "net/websocket_session.hpp"

namespace awf::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

/// At most this many connections over the limit are answered 503 at once;
/// past that they are closed without an answer.
constexpr int max_overload_answers = 64;

/// How long a connection over the limit may take to send its request head.
constexpr auto overload_read_timeout = std::chrono::seconds{5};

/// A connection over `sync_limits::max_connections` or over its address's
/// `max_connections_per_address`: reads the request head (not the body),
/// answers 503 `unavailable` with Retry-After and `message`, and closes.
class overload_session : public std::enable_shared_from_this<overload_session> {
public:
  overload_session(tcp::socket&& socket, api_context& ctx,
                   std::shared_ptr<std::atomic<int>> active,
                   std::string message)
    : stream_(std::move(socket)), ctx_(ctx), active_(std::move(active)),
      message_(std::move(message)) {
    ++*active_;
  }

  ~overload_session() { --*active_; }

  void run() {
    parser_.header_limit(16 * 1024);
    stream_.expires_after(overload_read_timeout);
    http::async_read_header(
      stream_, buffer_, parser_,
      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
        if (!ec)
          self->answer();
      });
  }

private:
  void answer() {
    http_request probe{http::verb::get, "/", parser_.get().version()};
    probe.keep_alive(false);
    auto refusal = error_outcome(503, "unavailable", message_);
    refusal.retry_after_s = 1;
    auto res = std::make_shared<http_response>(http_answer(probe, refusal));
    ++ctx_.responses_by_status[503];
    http::async_write(
      stream_, *res,
      [self = shared_from_this(), res](boost::system::error_code, std::size_t) {
        boost::system::error_code ignored;
        self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      });
  }

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  api_context& ctx_;
  std::shared_ptr<std::atomic<int>> active_;
  std::string message_;
};

/// Accepts connections and starts a session for each, up to the
/// connection limit and the limit per client address.
class listener : public std::enable_shared_from_this<listener> {
public:
  listener(asio::io_context& ioc, api_context& ctx, http_limits limits,
           websocket_set& websockets)
    : ioc_(ioc), acceptor_(asio::make_strand(ioc)), ctx_(ctx), limits_(limits),
      websockets_(websockets),
      addresses_(ctx.limits.max_connections_per_address) {}

  boost::system::error_code open(const tcp::endpoint& endpoint) {
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec)
      acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
      acceptor_.bind(endpoint, ec);
    if (!ec)
      acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    return ec;
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void run() { do_accept(); }

  void stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      boost::system::error_code ignored;
      self->acceptor_.close(ignored);
    });
  }

private:
  void do_accept() {
    acceptor_.async_accept(asio::make_strand(ioc_),
                           [self = shared_from_this()](
                             boost::system::error_code ec, tcp::socket socket) {
                             self->on_accept(ec, std::move(socket));
                           });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (!ec)
      admit(std::move(socket));
    if (acceptor_.is_open())
      do_accept();
  }

  /// Starts a session for `socket`, or refuses it when the server or its
  /// client address has no slot left.
  void admit(tcp::socket socket) {
    boost::system::error_code ec;
    auto peer = socket.remote_endpoint(ec);
    if (ec)
      return; // already gone
    // Small answers must leave at once, not wait for Nagle's algorithm.
    socket.set_option(tcp::no_delay{true}, ec);
    auto limit = static_cast<std::int64_t>(ctx_.limits.max_connections);
    const char* refusal =
      "the server has too many open connections; retry later";
    if (ctx_.connections.load() < limit) {
      if (auto lease = addresses_.try_acquire(peer.address())) {
        std::make_shared<http_session>(
          std::move(socket), ctx_, limits_,
          connection_slot{ctx_.connections, std::move(*lease)}, websockets_)
          ->run();
        return;
      }
      refusal = "too many open connections from your address; close some "
                "or retry later";
    }
    if (overload_answers_->load() < max_overload_answers)
      std::make_shared<overload_session>(std::move(socket), ctx_,
                                         overload_answers_, refusal)
        ->run();
    // else: the socket closes here, unanswered
  }

  asio::io_context& ioc_;
  tcp::acceptor acceptor_;
  api_context& ctx_;
  http_limits limits_;
  websocket_set& websockets_;
  std::shared_ptr<std::atomic<int>> overload_answers_ =
    std::make_shared<std::atomic<int>>(0);
  address_limiter addresses_; ///< leases may outlive it (shared table)
};

} // namespace

struct http_server::impl {
  websocket_set websockets; // first: outlives the sessions in ioc
  asio::io_context ioc;
  std::shared_ptr<listener> accept;
  std::vector<std::thread> threads;
  api_context* ctx = nullptr;
  std::uint16_t port = 0;
};

http_server::http_server(std::unique_ptr<impl> state)
  : impl_(std::move(state)) {}

http_server::~http_server() {
  stop(std::chrono::milliseconds{0});
  // The hook points into this server; engine answers no longer arrive once
  // the program has waited for its actors, before destroying the server.
  impl_->ctx->close_device_sockets = nullptr;
  impl_->ctx->close_slowest_socket = nullptr;
}

std::uint16_t http_server::port() const noexcept {
  return impl_->port;
}

core::result<std::unique_ptr<http_server>>
http_server::start(const server_options& opts, api_context& ctx) {
  auto state = std::make_unique<impl>();
  state->ctx = &ctx;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(opts.address, ec);
  if (ec)
    return core::error{core::errc::invalid_setting, "CLOUD_SYNC_LISTEN: '" +
                                                      opts.address +
                                                      "' is not an IP address"};
  state->accept =
    std::make_shared<listener>(state->ioc, ctx, opts.limits, state->websockets);
  if (auto bind_ec = state->accept->open({address, opts.port}))
    return core::error{core::errc::io_failure,
                       "cannot listen on " + opts.address + ":" +
                         std::to_string(opts.port) + ": " + bind_ec.message()};
  state->port = state->accept->port();
  ctx.close_device_sockets = [sockets = &state->websockets](
                               const std::string& device_id, token_end why) {
    sockets->close_device(device_id, why);
  };
  ctx.close_slowest_socket = [sockets = &state->websockets] {
    sockets->close_slowest();
  };
  state->accept->run();
  for (std::size_t i = 0; i < std::max<std::size_t>(1, opts.threads); ++i)
    state->threads.emplace_back([io = &state->ioc] { io->run(); });
  return std::unique_ptr<http_server>(new http_server(std::move(state)));
}

void http_server::stop(std::chrono::milliseconds grace) {
  if (impl_->threads.empty())
    return;
  impl_->accept->stop();
  // WebSockets finish the requests they have in flight, then close with
  // "going away"; the grace period bounds both.
  impl_->websockets.close_all();
  auto deadline = std::chrono::steady_clock::now() + grace;
  while ((impl_->ctx->in_flight > 0 || impl_->ctx->websockets > 0) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{10});
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    t.join();
  impl_->threads.clear();
}

core::result<server_options> parse_listen(const std::string& text) {
  server_options opts;
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    return core::error{core::errc::invalid_setting,
                       "CLOUD_SYNC_LISTEN must be host:port, got '" + text +
                         "'"};
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  try {
    std::size_t used = 0;
    port = std::stoi(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1)
      port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  if (port < 0 || port > 65535)
    return core::error{core::errc::invalid_setting,
                       "CLOUD_SYNC_LISTEN: port must be 0..65535, got '" +
                         text + "'"};
  opts.address = host;
  opts.port = static_cast<std::uint16_t>(port);
  return opts;
}

} // namespace awf::net
