// The per-user bound on expensive operations in flight (issue 10, finding
// 9), against a server run in this process on the test database, so the
// test can hold a user's slots exactly as K operations in flight would and
// then ask over a real socket. No clock and no sleep decide anything.
#define CAF_SUITE expensive_admission

#include "caf/test/unit_test.hpp"

#include <map>
#include <memory>

#include "actors/engine_bootstrap.hpp"
#include "net/engine_runtime.hpp"
#include "net/http_server.hpp"
#include "tests/net/api_client.hpp"

using namespace awf;
using namespace awf::test::api;

namespace {

/// awf-syncd's wiring (net/engine_runtime.hpp), in this process.
struct in_process_server {
  test::test_database db;
  std::map<std::string, std::string> env{
    {"CLOUD_SYNC_DB", db.url()},
    {"CLOUD_SYNC_DATA_DIR", (db.scratch_dir() / "data").string()},
    {"CLOUD_SYNC_HMAC_SECRET", test::test_secret},
    {"CLOUD_SYNC_SQLITE_SYNC", "normal"},
    {"CLOUD_SYNC_MAX_SAVE_BYTES_MB", "1"}};
  std::unique_ptr<net::engine_runtime> runtime;
  std::unique_ptr<net::http_server> server;

  in_process_server() {
    auto setup = actors::bootstrap_engine(config::environment_of(env));
    if (!setup)
      CAF_FAIL("bootstrap: " << setup.error().message);
    auto started = net::engine_runtime::start(*setup, test::test_secret);
    if (!started)
      CAF_FAIL(started.error().message);
    runtime = std::move(*started);
    // awf-syncd's defaults, without the rate of expensive operations: only
    // the bound on operations in flight is under test here.
    runtime->context().expensive_work.configure({2, 0.0, 1.0});
    net::server_options opts;
    opts.address = "127.0.0.1";
    opts.port = 0;
    auto listening = net::http_server::start(opts, runtime->context());
    if (!listening)
      CAF_FAIL("listen: " << listening.error().message);
    server = std::move(*listening);
  }

  ~in_process_server() {
    server->stop(std::chrono::seconds{5});
    runtime->stop();
  }
};

struct fixture : in_process_server {
  std::string alice = token("alice");
  std::string bob = token("bob");

  static std::string token(const std::string& user) {
    return core::mint_user_token(
      test::test_secret,
      {user, "user", static_cast<std::int64_t>(::time(nullptr)) + 3600});
  }

  http_reply call(http::verb method, const std::string& target,
                  const json& body, const std::string& bearer) {
    boost::asio::io_context ioc;
    boost::beast::tcp_stream stream{ioc};
    stream.connect(boost::asio::ip::tcp::endpoint{
      boost::asio::ip::make_address("127.0.0.1"), server->port()});
    stream.expires_after(std::chrono::seconds{20});
    http::request<http::string_body> req{method, prefix + target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::authorization, "Bearer " + bearer);
    if (!body.is_null()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body.dump();
    }
    req.prepare_payload();
    http::write(stream, req);
    return test::read_reply(stream);
  }

  /// A save of `bearer`'s user with turns 1..last; returns its id.
  std::string play(const std::string& bearer, const std::string& session,
                   int last) {
    auto made =
      call(http::verb::post, "/saves", {{"session_id", session}}, bearer);
    CAF_REQUIRE_EQUAL(made.status, 201);
    auto save_id = made.body["save_id"].get<std::string>();
    history h{session};
    for (int t = 1; t <= last; ++t)
      h.add(game_state(t));
    auto up = call(http::verb::post, "/sync/up",
                   {{"save_id", save_id},
                    {"base", h.at(0)},
                    {"turns", h.wire_turns(1, last)}},
                   bearer);
    CAF_REQUIRE_EQUAL(up.status, 200);
    return save_id;
  }

  http_reply full_verify(const std::string& bearer, const std::string& id) {
    return call(http::verb::post, "/save/verify",
                {{"save_id", id}, {"full", true}}, bearer);
  }

  http_reply materialize(const std::string& bearer, const std::string& id,
                         int turn) {
    return call(http::verb::post, "/save/materialize",
                {{"save_id", id}, {"turn_id", turn}}, bearer);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(expensive_admission_tests, fixture)

CAF_TEST(a users third expensive operation waits while another user runs) {
  auto alices = play(alice, "alice-game", 3);
  auto bobs = play(bob, "bob-game", 3);
  // Two of alice's expensive operations are in flight (K = 2).
  auto first = runtime->context().expensive_work.admit("alice");
  auto second = runtime->context().expensive_work.admit("alice");
  CAF_REQUIRE(first.admitted());
  CAF_REQUIRE(second.admitted());
  // The third is refused with Retry-After, whatever its kind.
  for (const auto& res :
       {full_verify(alice, alices), materialize(alice, alices, 1),
        call(http::verb::post, "/save/restore",
             {{"save_id", alices}, {"turn_id", 1}}, alice)}) {
    CAF_CHECK_EQUAL(res.status, 429);
    CAF_CHECK_EQUAL(res.body["error"]["code"], "rate_limited");
    CAF_CHECK_EQUAL(res.header("Retry-After"), "1");
    CAF_CHECK_EQUAL(res.body["error"]["details"]["retry_after_s"], 1);
  }
  CAF_CHECK_EQUAL(runtime->context().expensive_work.in_flight("alice"), 2u);
  // Her cheap reads go on.
  CAF_CHECK_EQUAL(
    call(http::verb::post, "/save/materialize", {{"save_id", alices}}, alice)
      .status,
    200);
  // Bob is admitted meanwhile, and his slot is free again once answered.
  CAF_CHECK_EQUAL(full_verify(bob, bobs).status, 200);
  CAF_CHECK_EQUAL(materialize(bob, bobs, 2).status, 200);
  CAF_CHECK_EQUAL(runtime->context().expensive_work.in_flight("bob"), 0u);
  // One of alice's operations ends: the next one runs, and gives its slot
  // back with the answer (so two more fit after it).
  first.ticket.release();
  CAF_CHECK_EQUAL(full_verify(alice, alices).status, 200);
  CAF_CHECK_EQUAL(runtime->context().expensive_work.in_flight("alice"), 1u);
  CAF_CHECK_EQUAL(materialize(alice, alices, 1).status, 200);
  // Refusals of the engine give the slot back too.
  CAF_CHECK_EQUAL(materialize(alice, alices, 99).status, 404);
  CAF_CHECK_EQUAL(runtime->context().expensive_work.in_flight("alice"), 1u);
  second.ticket.release();
  CAF_CHECK_EQUAL(runtime->context().expensive_work.in_flight("alice"), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
