#define CAF_SUITE server

#include "caf/test/unit_test.hpp"

#include "tests/net/server_fixture.hpp"

using namespace awf;
namespace http = boost::beast::http;

namespace {

const std::string saves = "/api/awf-cloud-sync/saves";

struct fixture : test::server_fixture {
  fixture() : server_fixture({"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1"}) {}
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(server_tests, fixture)

CAF_TEST(health and readiness answer) {
  auto health = call(http::verb::get, "/healthz");
  CAF_CHECK_EQUAL(health.status, 200);
  CAF_CHECK_EQUAL(health.body["status"], "ok");
  auto ready = call(http::verb::get, "/readyz");
  CAF_CHECK_EQUAL(ready.status, 200);
  CAF_CHECK_EQUAL(ready.body["status"], "ready");
}

CAF_TEST(saves are created attached and listed per user) {
  auto alice = token("alice");
  auto created =
    call(http::verb::post, saves, R"({"session_id":"s-1"})", alice);
  CAF_CHECK_EQUAL(created.status, 201);
  CAF_CHECK_EQUAL(created.body["created"], true);
  CAF_CHECK_EQUAL(created.body["head"]["turn_id"], 0);
  CAF_CHECK_EQUAL(created.body["version"], "1.0.0");
  auto again = call(http::verb::post, saves,
                    R"({"session_id":"s-1","version":"2.0"})", alice);
  CAF_CHECK_EQUAL(again.status, 200);
  CAF_CHECK_EQUAL(again.body["created"], false);
  CAF_CHECK_EQUAL(again.body["save_id"], created.body["save_id"]);
  auto listed = call(http::verb::get, saves, "", alice);
  CAF_CHECK_EQUAL(listed.status, 200);
  CAF_REQUIRE_EQUAL(listed.body["saves"].size(), 1u);
  CAF_CHECK_EQUAL(listed.body["saves"][0]["save_id"], created.body["save_id"]);
  CAF_CHECK_EQUAL(listed.body["saves"][0]["default"], true);
  // Another user sees none of alice's saves.
  auto bob = call(http::verb::get, saves, "", token("bob"));
  CAF_CHECK_EQUAL(bob.status, 200);
  CAF_CHECK_EQUAL(bob.body["saves"].size(), 0u);
}

CAF_TEST(missing bad and expired tokens are refused) {
  auto none = call(http::verb::get, saves);
  CAF_CHECK_EQUAL(none.status, 401);
  CAF_CHECK_EQUAL(none.body["error"]["code"], "unauthorized");
  auto forged = core::mint_user_token("another-secret-another-secret-xx",
                                      {"alice", "user", ::time(nullptr) + 60});
  CAF_CHECK_EQUAL(call(http::verb::get, saves, "", forged).status, 401);
  auto expired = call(http::verb::get, saves, "", token("alice", "user", -10));
  CAF_CHECK_EQUAL(expired.status, 401);
  CAF_CHECK_EQUAL(expired.body["error"]["code"], "token_expired");
}

CAF_TEST(bad bodies get the contract errors and store nothing) {
  auto alice = token("alice");
  auto broken = call(http::verb::post, saves, R"({"session_id":)", alice);
  CAF_CHECK_EQUAL(broken.status, 400);
  CAF_CHECK_EQUAL(broken.body["error"]["code"], "invalid_json");
  auto duplicate = call(http::verb::post, saves,
                        R"({"session_id":"a","session_id":"b"})", alice);
  CAF_CHECK_EQUAL(duplicate.status, 400);
  auto wrong_type = call(http::verb::post, saves, R"({"session_id":5})", alice);
  CAF_CHECK_EQUAL(wrong_type.status, 400);
  CAF_CHECK_EQUAL(wrong_type.body["error"]["code"], "invalid_request");
  CAF_CHECK_EQUAL(wrong_type.body["error"]["details"]["field"], "session_id");
  auto not_object = call(http::verb::post, saves, "[1]", alice);
  CAF_CHECK_EQUAL(not_object.status, 400);
  // Refused from its Content-Length, before the body is read.
  auto huge = call_announcing(http::verb::post, saves, 3 << 20, alice);
  CAF_CHECK_EQUAL(huge.status, 413);
  CAF_CHECK_EQUAL(huge.body["error"]["code"], "payload_too_large");
  CAF_CHECK_EQUAL(call(http::verb::get, saves, "", alice).body["saves"].size(),
                  0u);
}

CAF_TEST(unknown paths and methods are answered in the error format) {
  auto missing = call(http::verb::get, "/api/awf-cloud-sync/nope");
  CAF_CHECK_EQUAL(missing.status, 404);
  CAF_CHECK_EQUAL(missing.body["error"]["code"], "not_found");
  auto wrong = call(http::verb::delete_, saves, "", token("alice"));
  CAF_CHECK_EQUAL(wrong.status, 405);
}

CAF_TEST(metrics count responses in the prometheus format) {
  CAF_CHECK_EQUAL(call(http::verb::get, "/healthz").status, 200);
  CAF_CHECK_EQUAL(call(http::verb::get, saves).status, 401);
  auto m = call(http::verb::get, "/metrics");
  CAF_CHECK_EQUAL(m.status, 200);
  CAF_CHECK_EQUAL(m.header("Content-Type"), "text/plain; version=0.0.4");
  CAF_CHECK(m.raw.find("awf_http_responses_total{code=\"200\"} 1\n") !=
            std::string::npos);
  CAF_CHECK(m.raw.find("awf_http_responses_total{code=\"401\"} 1\n") !=
            std::string::npos);
  CAF_CHECK(m.raw.find("awf_resident_saves 0\n") != std::string::npos);
}

CAF_TEST(sigterm stops the server cleanly) {
  CAF_CHECK_EQUAL(call(http::verb::get, "/healthz").status, 200);
  CAF_CHECK_EQUAL(stop(), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
