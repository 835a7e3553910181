// The transport side of the edge, end to end against the real awf-syncd:
// a token is checked from the request head before any of the body is read,
// bodies are bounded per route, the bearer scheme is matched in any case,
// connections are capped per client address, slow request heads time out,
// and a WebSocket req_id is bounded.
#define CAF_SUITE transport

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tests/net/api_client.hpp"
#include "tests/net/ws_client.hpp"

using namespace awf;
using namespace awf::test::api;
using namespace std::chrono_literals;

namespace {

const std::string saves = prefix + "/saves";
const std::string sync_up_path = prefix + "/sync/up";

/// A raw TCP connection from `source` (a loopback address) to the server,
/// for requests the HTTP client would not send: partial heads, bodies
/// announced but not sent. Every wait has a deadline, so a server that does
/// not answer fails the check instead of hanging the test.
class raw_connection {
public:
  explicit raw_connection(unsigned short port,
                          const std::string& source = "127.0.0.1")
    : stream_(ioc_) {
    namespace asio = boost::asio;
    auto& socket = stream_.socket();
    socket.open(asio::ip::tcp::v4());
    socket.bind({asio::ip::make_address(source), 0});
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
  }

  /// Sends `bytes`; false when the connection is gone.
  bool write(const std::string& bytes) {
    boost::beast::error_code ec;
    boost::asio::write(stream_.socket(), boost::asio::buffer(bytes), ec);
    return !ec;
  }

  /// Reads one response (an interim 100 Continue counts as one); status 0
  /// when none came before the deadline or the connection ended.
  http_reply read_reply(std::chrono::seconds deadline = 10s) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    boost::beast::error_code ec;
    stream_.expires_after(deadline);
    http::async_read(stream_, buffer_, parser,
                     [&](boost::beast::error_code e, std::size_t) { ec = e; });
    ioc_.restart();
    ioc_.run();
    return ec ? http_reply{} : test::reply_of(parser.get());
  }

  /// True when the server ends the connection (end of stream or reset)
  /// before the deadline; what it still sends is discarded.
  bool closed_by_server(std::chrono::seconds deadline = 10s) {
    char scratch[4096];
    boost::beast::error_code ec;
    stream_.expires_after(deadline);
    std::function<void()> next = [&] {
      stream_.async_read_some(boost::asio::buffer(scratch),
                              [&](boost::beast::error_code e, std::size_t) {
                                ec = e;
                                if (!e)
                                  next();
                              });
    };
    next();
    ioc_.restart();
    ioc_.run();
    return ec == boost::asio::error::eof ||
           ec == boost::asio::error::connection_reset;
  }

private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
};

/// A request head ending the header block, with `lines` ("Name: value").
std::string head(const std::string& method, const std::string& target,
                 const std::vector<std::string>& lines) {
  std::string text = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& line : lines)
    text += line + "\r\n";
  return text + "\r\n";
}

std::string content_length(std::size_t n) {
  return "Content-Length: " + std::to_string(n);
}

/// GET /healthz from `source` on a fresh connection: the status (0: none).
int health_from(unsigned short port, const std::string& source) {
  raw_connection c{port, source};
  c.write(head("GET", "/healthz", {}));
  return c.read_reply().status;
}

struct fixture : api_fixture {
  std::string alice = token("alice");
};

/// One connection per address at most; request heads time out after 1 s.
struct capped_fixture : api_fixture {
  capped_fixture()
    : api_fixture({"CLOUD_SYNC_MAX_CONNECTIONS_PER_IP=3",
                   "CLOUD_SYNC_HEADER_TIMEOUT_S=60"}) {}
};

struct header_timeout_fixture : api_fixture {
  header_timeout_fixture()
    : api_fixture({"CLOUD_SYNC_MAX_CONNECTIONS_PER_IP=1",
                   "CLOUD_SYNC_HEADER_TIMEOUT_S=1"}) {}
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(early_auth_tests, fixture)

CAF_TEST(a request without a valid token is refused before its body is sent) {
  // The body is announced (under the 2 MiB message limit of this server,
  // and once far over it) but never sent: the answer can only come from
  // the head.
  std::vector<std::string> refused{
    "", "Authorization: Bearer nonsense",
    "Authorization: Bearer awfd1." + std::string(43, 'A'),
    "Authorization: Bearer " + token("alice", "user", -10),
    "Authorization: Basic YWxpY2U6cHc="};
  for (const auto& target : {sync_up_path, saves}) {
    for (const auto& auth : refused) {
      for (std::size_t declared :
           {std::size_t{3} << 19, std::size_t{200} << 20}) {
        CAF_MESSAGE(target << " with '" << auth.substr(0, 30) << "', "
                           << declared << " bytes announced");
        raw_connection c{port()};
        std::vector<std::string> lines{"Content-Type: application/json",
                                       content_length(declared)};
        if (!auth.empty())
          lines.push_back(auth);
        CAF_REQUIRE(c.write(head("POST", target, lines)));
        auto res = c.read_reply();
        CAF_CHECK_EQUAL(res.status, 401);
        CAF_CHECK(res.body["error"]["code"] == "unauthorized" ||
                  res.body["error"]["code"] == "token_expired");
        CAF_CHECK_EQUAL(res.header("Connection"), "close");
        CAF_CHECK(c.closed_by_server());
      }
    }
  }
}

CAF_TEST(expect 100 continue is answered only once the token is good) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "continue");
  history h{save.session_id};
  h.add(game_state(1));
  auto body = up_body(save.save_id, phone, h, 0, 1).dump();
  std::vector<std::string> lines{"Content-Type: application/json",
                                 content_length(body.size()),
                                 "Expect: 100-continue"};
  // A bad token: the final 401 at once, no invitation to send the body.
  raw_connection refused{port()};
  auto bad_lines = lines;
  bad_lines.push_back("Authorization: Bearer nonsense");
  CAF_REQUIRE(refused.write(head("POST", sync_up_path, bad_lines)));
  CAF_CHECK_EQUAL(refused.read_reply().status, 401);
  // A good token: 100 Continue, then the body, then the answer.
  raw_connection c{port()};
  lines.push_back("Authorization: Bearer " + phone.token);
  CAF_REQUIRE(c.write(head("POST", sync_up_path, lines)));
  CAF_CHECK_EQUAL(c.read_reply().status, 100);
  CAF_REQUIRE(c.write(body));
  auto res = c.read_reply();
  CAF_CHECK_EQUAL(res.status, 200);
  CAF_CHECK_EQUAL(res.body["status"], "fast_forward");
}

CAF_TEST(a body over its route limit is answered 413 without reading it) {
  // Every route but sync up takes at most 64 KiB.
  constexpr std::size_t route_limit = 64 * 1024;
  raw_connection announced{port()};
  CAF_REQUIRE(announced.write(
    head("POST", saves,
         {"Authorization: Bearer " + alice, "Content-Type: application/json",
          content_length(route_limit + 1)})));
  auto res = announced.read_reply();
  CAF_CHECK_EQUAL(res.status, 413);
  CAF_CHECK_EQUAL(res.body["error"]["code"], "payload_too_large");
  CAF_CHECK_EQUAL(res.body["error"]["details"]["limit"], route_limit);
  CAF_CHECK(announced.closed_by_server());
  // Sent whole anyway (as most clients do): still 413, and the answer
  // reaches the client although the body is not read.
  auto padded =
    json{{"session_id", "padded"}, {"pad", std::string(route_limit, 'x')}}
      .dump();
  res = call_with(http::verb::post, saves, padded, alice);
  CAF_CHECK_EQUAL(res.status, 413);
  CAF_CHECK_EQUAL(res.body["error"]["code"], "payload_too_large");
  // A chunked body is cut off at the limit.
  raw_connection chunked{port()};
  CAF_REQUIRE(chunked.write(
    head("POST", saves,
         {"Authorization: Bearer " + alice, "Content-Type: application/json",
          "Transfer-Encoding: chunked"})));
  std::string chunk(48 * 1024, ' ');
  std::string chunks;
  for (int i = 0; i < 2; ++i)
    chunks += "c000\r\n" + chunk + "\r\n";
  chunked.write(chunks + "0\r\n\r\n");
  res = chunked.read_reply();
  CAF_CHECK_EQUAL(res.status, 413);
  CAF_CHECK_EQUAL(res.body["error"]["code"], "payload_too_large");
  // Nothing was created.
  CAF_CHECK_EQUAL(
    call_with(http::verb::get, saves, "", alice).body["saves"].size(), 0u);
  // A sync up may still carry more than that (up to the message limit).
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "large");
  history h{save.session_id};
  h.add_value(json{{"pad", std::string(4 * route_limit, 'y')}});
  auto synced = sync_up(phone.token, up_body(save.save_id, phone, h, 0, 1));
  CAF_CHECK_EQUAL(synced.status, 200);
}

CAF_TEST(bytes that are not an HTTP request get 400 in the error format) {
  // Each broken in one way the parser refuses: the answer names the rule
  // (Beast's sentence), in the contract's error body, and the connection
  // closes; no byte of the request comes back.
  const std::vector<std::pair<std::string, std::string>> requests{
    {"a bad method token", "G<T> /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
    {"a bad version", "GET /healthz HTTP/9.<x>\r\nHost: x\r\n\r\n"},
    {"two lengths",
     head("POST", saves, {content_length(2), content_length(3)})},
    {"a length and chunks",
     head("POST", saves, {content_length(2), "Transfer-Encoding: chunked"})},
    {"a negative length", head("POST", saves, {"Content-Length: -<5>"})},
    {"a bad chunk size",
     head("POST", "/healthz", {"Transfer-Encoding: chunked"}) +
       "<ffffffffffffffffff>\r\n"},
  };
  for (const auto& [what, bytes] : requests) {
    CAF_MESSAGE(what);
    raw_connection c{port()};
    CAF_REQUIRE(c.write(bytes));
    auto res = c.read_reply();
    CAF_CHECK_EQUAL(res.status, 400);
    CAF_CHECK_EQUAL(res.body["error"]["code"], "invalid_request");
    CAF_CHECK(res.body["error"]["message"].is_string());
    CAF_CHECK(res.body["error"]["details"].is_object());
    CAF_CHECK_EQUAL(res.raw.find('<'), std::string::npos);
    CAF_CHECK(c.closed_by_server());
  }
}

CAF_TEST(the bearer scheme is matched in any case) {
  for (const auto& scheme : {"bearer", "BEARER", "bEaReR"}) {
    auto res =
      call_with(http::verb::get, saves, "", "",
                {{"Authorization", std::string{scheme} + " " + alice}});
    CAF_CHECK_EQUAL(res.status, 200);
  }
  auto spaced = call_with(http::verb::get, saves, "", "",
                          {{"Authorization", "Bearer   " + alice}});
  CAF_CHECK_EQUAL(spaced.status, 200);
  // Sync tokens too, on the WebSocket and on rotate (which reads the token
  // again to name the device's current one).
  auto phone = add_device(alice, "phone");
  auto ws = test::ws_client{port(), phone.token, "", "bearer"};
  CAF_CHECK(ws.upgraded());
  auto rotated =
    call_with(http::verb::post, prefix + "/devices/phone/rotate", "", "",
              {{"Authorization", "BEARER " + phone.token}});
  CAF_CHECK_EQUAL(rotated.status, 200);
}

CAF_TEST(a long or structured req_id is refused without being echoed) {
  auto ws = test::ws_client{port(), alice};
  CAF_REQUIRE(ws.upgraded());
  auto unsubscribe = [](json req_id) {
    return json{{"type", "unsubscribe"},
                {"save_id", "00000000-0000-4000-8000-000000000000"},
                {"req_id", req_id}};
  };
  auto expect_refused = [&](const json& req_id) {
    CAF_REQUIRE(ws.send(unsubscribe(req_id)));
    auto text = ws.read_text();
    CAF_REQUIRE(text);
    CAF_CHECK_LESS(text->size(), 1024u);
    auto reply = json::parse(*text);
    CAF_CHECK_EQUAL(reply["type"], "error");
    CAF_CHECK(reply["req_id"].is_null());
    CAF_CHECK_EQUAL(reply["error"]["code"], "invalid_request");
    CAF_CHECK_EQUAL(reply["error"]["details"]["field"], "req_id");
  };
  auto expect_echoed = [&](const json& req_id) {
    CAF_REQUIRE(ws.send(unsubscribe(req_id)));
    auto reply = ws.read();
    CAF_REQUIRE(reply);
    CAF_CHECK_EQUAL((*reply)["type"], "unsubscribed");
    CAF_CHECK_EQUAL((*reply)["req_id"], req_id);
  };
  expect_refused(std::string(1536 * 1024, 'r'));
  expect_refused(std::string(129, 'r'));
  expect_refused(json{{"nested", "object"}});
  expect_refused(json::array({1, 2}));
  expect_refused(1.5);
  expect_echoed(std::string(128, 'r'));
  expect_echoed(7);
  expect_echoed("short");
  CAF_CHECK(ws.open());
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(address_cap_tests, capped_fixture)

CAF_TEST(connections over the per address cap are refused while others get in) {
  // Three connections from 127.0.0.1 hold partial request heads.
  std::vector<std::unique_ptr<raw_connection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<raw_connection>(port()));
    CAF_REQUIRE(
      held.back()->write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  }
  // A fourth from the same address is refused.
  raw_connection extra{port()};
  CAF_REQUIRE(extra.write(head("GET", "/healthz", {})));
  auto refused = extra.read_reply();
  CAF_CHECK_EQUAL(refused.status, 503);
  CAF_CHECK_EQUAL(refused.body["error"]["code"], "unavailable");
  CAF_CHECK_EQUAL(refused.header("Retry-After"), "1");
  // Another address still gets in.
  CAF_CHECK_EQUAL(health_from(port(), "127.0.0.2"), 200);
  // The held connections are served once they finish their heads.
  CAF_REQUIRE(held.front()->write("\r\n"));
  CAF_CHECK_EQUAL(held.front()->read_reply().status, 200);
  // Closing one gives its slot back (the server notices the close
  // asynchronously, so ask until it answers).
  held.pop_back();
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i)
    status = health_from(port(), "127.0.0.1");
  CAF_CHECK_EQUAL(status, 200);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(header_timeout_tests, header_timeout_fixture)

CAF_TEST(a connection that does not finish its head is closed and
         frees its slot) {
  raw_connection slow{port()};
  CAF_REQUIRE(slow.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"));
  // It holds the only slot of its address meanwhile.
  CAF_CHECK_EQUAL(health_from(port(), "127.0.0.1"), 503);
  // The server drops it at CLOUD_SYNC_HEADER_TIMEOUT_S (1 s; the client
  // waits up to 10 s).
  CAF_CHECK(slow.closed_by_server(10s));
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i)
    status = health_from(port(), "127.0.0.1");
  CAF_CHECK_EQUAL(status, 200);
}

CAF_TEST_FIXTURE_SCOPE_END()
