#define CAF_SUITE api_response

#include "net/api_response.hpp"

#include "caf/test/unit_test.hpp"

#include "actors/save_errc.hpp"

using namespace awf;
using namespace awf::net;
using json = nlohmann::json;

CAF_TEST(an outcome becomes an http answer with its headers) {
  http_request req{http::verb::get, "/x", 11};
  req.keep_alive(true);
  api_outcome ok{200, {{"a", 1}}, 0, "abc"};
  auto res = http_answer(req, ok);
  CAF_CHECK_EQUAL(res.result_int(), 200u);
  CAF_CHECK_EQUAL(json::parse(res.body()), ok.body);
  CAF_CHECK_EQUAL(std::string{res[http::field::content_type]},
                  "application/json");
  CAF_CHECK_EQUAL(std::string{res[http::field::etag]}, "\"abc\"");
  CAF_CHECK(res.keep_alive());
  CAF_CHECK_EQUAL(res.count(http::field::retry_after), 0u);
  auto busy = error_outcome(503, "unavailable", "later");
  busy.retry_after_s = 2;
  auto refused = http_answer(req, busy);
  CAF_CHECK_EQUAL(refused.result_int(), 503u);
  CAF_CHECK_EQUAL(std::string{refused[http::field::retry_after]}, "2");
  auto refused_body = json::parse(refused.body());
  CAF_CHECK_EQUAL(refused_body["error"]["code"], "unavailable");
  // 304 carries no body.
  auto same = http_answer(req, {304, json{}, 0, "abc"});
  CAF_CHECK_EQUAL(same.result_int(), 304u);
  CAF_CHECK(same.body().empty());
  CAF_CHECK_EQUAL(same.count(http::field::content_type), 0u);
}

CAF_TEST(an outcome becomes a websocket message) {
  auto reply = ws_answer({200, {{"head", 1}}, 0, {}}, "sync_up_result", 7);
  CAF_CHECK_EQUAL(
    reply, (json{{"head", 1}, {"type", "sync_up_result"}, {"req_id", 7}}));
  auto push =
    ws_answer({200, {{"turns", json::array()}}, 0, {}}, "turns", nullptr, "s1");
  CAF_CHECK_EQUAL(
    push,
    (json{{"turns", json::array()}, {"type", "turns"}, {"save_id", "s1"}}));
  auto limited = error_outcome(429, "rate_limited", "slow down");
  limited.retry_after_s = 3;
  auto error = ws_answer(limited, "sync_down", "r");
  CAF_CHECK_EQUAL(error["type"], "error");
  CAF_CHECK_EQUAL(error["req_id"], "r");
  CAF_CHECK_EQUAL(error["error"]["code"], "rate_limited");
  CAF_CHECK_EQUAL(error["error"]["message"], "slow down");
  CAF_CHECK_EQUAL(error["error"]["details"]["retry_after_s"], 3);
  CAF_CHECK(!error.contains("save_id"));
  // A failure without the contract's error body still names a code.
  auto bare = ws_answer({500, json{}, 0, {}}, "x", nullptr, "s2");
  CAF_CHECK_EQUAL(bare["error"]["code"], "unavailable");
  CAF_CHECK_EQUAL(bare["save_id"], "s2");
}

CAF_TEST(engine errors map to the contract status and code) {
  auto gone = map_engine_error(actors::save_errc::not_found);
  CAF_CHECK_EQUAL(static_cast<int>(gone.status), 404);
  CAF_CHECK_EQUAL(std::string{gone.code}, "not_found");
  auto late = map_engine_error(actors::save_errc::deadline_exceeded);
  CAF_CHECK_EQUAL(static_cast<int>(late.status), 503);
  CAF_CHECK_EQUAL(std::string{late.code}, "unavailable");
}
