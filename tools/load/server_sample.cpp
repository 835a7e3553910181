#include "tools/load/server_sample.hpp"

#include <chrono>
#include <sys/resource.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "tools/load/prometheus_text.hpp"

namespace awf::load {

namespace http = boost::beast::http;

std::optional<server_sample> sample_server(const server_url& url) {
  try {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver resolver{ioc};
    boost::beast::tcp_stream stream{ioc};
    stream.expires_after(std::chrono::seconds{5});
    stream.connect(resolver.resolve(url.host, url.port));
    http::request<http::empty_body> req{http::verb::get, url.target("/metrics"),
                                        11};
    req.set(http::field::host, url.host_header());
    http::write(stream, req);
    boost::beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::size_t{1} << 20);
    http::read(stream, buffer, parser);
    boost::beast::error_code ignored;
    stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both,
                             ignored);
    const auto& body = parser.get().body();
    auto cpu = prometheus_value(body, "process_cpu_seconds_total");
    auto rss = prometheus_value(body, "process_resident_memory_bytes");
    if (parser.get().result() != http::status::ok || !cpu || !rss)
      return std::nullopt;
    return server_sample{*cpu, *rss};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

double own_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

} // namespace awf::load
