#define CAF_SUITE sync_up_request

#include "net/sync_up_request.hpp"

#include "caf/test/unit_test.hpp"

#include "core/canonical_json.hpp"

using namespace awf;

namespace {

const std::string save_id = "01234567-89ab-4def-8123-456789abcdef";
const std::string zero_hash(64, '0');

/// A sync up body of `turns` (JSON text of the array) on base turn 0.
std::string body_of(const std::string& turns) {
  return R"({"save_id":")" + save_id +
         R"(","base":{"turn_id":0,"chain_hash":")" + zero_hash +
         R"("},"turns":)" + turns + "}";
}

struct parsed_up {
  std::optional<net::api_outcome> refused;
  actors::sync_up_request req;
};

parsed_up parse(const std::string& body, const net::sync_limits& limits = {}) {
  auto document = core::json_document::parse(body);
  if (!document)
    CAF_FAIL("bad test body: " << document.error().message);
  parsed_up out;
  out.refused = net::parse_sync_up(limits, net::caller{"user-1", {}, false, 0},
                                   document->root(), out.req);
  return out;
}

} // namespace

CAF_TEST(states and patches go on as canonical bytes) {
  auto up = parse(body_of(
    R"([{"turn_id":1,"state":{"b":[1.0, 2e0],"a":"x"}},
    {"turn_id":2,"state_hash":")" +
    zero_hash + R"(","patch":[{"value":1E2,"path":"/a","op":"replace"}]}])"));
  CAF_REQUIRE(!up.refused);
  CAF_REQUIRE_EQUAL(up.req.turns.size(), 2u);
  CAF_CHECK_EQUAL(*up.req.turns[0].state, R"({"a":"x","b":[1,2]})");
  CAF_CHECK(!up.req.turns[0].patch);
  CAF_CHECK_EQUAL(*up.req.turns[1].patch,
                  R"([{"op":"replace","path":"/a","value":100}])");
  CAF_CHECK_EQUAL(up.req.turns[1].state_hash, zero_hash);
  CAF_CHECK_EQUAL(up.req.save_id, save_id);
  CAF_CHECK_EQUAL(up.req.user_id_hash, "user-1");
}

CAF_TEST(canonical bytes past the state limit are refused while written) {
  // 1e20 is 21 bytes as canonical JSON: the text grows when written.
  std::string numbers = "[";
  for (int i = 0; i < 100; ++i)
    numbers += i == 0 ? "1e20" : ",1e20";
  numbers += "]";
  net::sync_limits limits;
  limits.max_state_bytes = 1000; // the text is 500 bytes, its bytes 2,200
  auto up =
    parse(body_of(R"([{"turn_id":1,"state":)" + numbers + "}]"), limits);
  CAF_REQUIRE(up.refused);
  CAF_CHECK_EQUAL(up.refused->status, 413);
  CAF_CHECK_EQUAL(up.refused->body["error"]["details"]["field"],
                  "turns[0].state");
  std::string said = up.refused->body["error"]["message"];
  CAF_CHECK(said.find("1000 bytes as canonical JSON, the state limit") !=
            std::string::npos);
  limits.max_state_bytes = 4000;
  CAF_CHECK(
    !parse(body_of(R"([{"turn_id":1,"state":)" + numbers + "}]"), limits)
       .refused);
  // All turns together may not grow past a message's size.
  limits.max_message_bytes = 3000;
  auto two = parse(body_of(R"([{"turn_id":1,"state":)" + numbers +
                           R"(},{"turn_id":2,"state":)" + numbers + "}]"),
                   limits);
  CAF_REQUIRE(two.refused);
  CAF_CHECK_EQUAL(two.refused->status, 413);
  CAF_CHECK_EQUAL(two.refused->body["error"]["details"]["field"],
                  "turns[1].state");
  said = two.refused->body["error"]["message"];
  CAF_CHECK(said.find("past 3000 bytes as canonical JSON in all, the "
                      "message limit") != std::string::npos);
}

CAF_TEST(small members of any size are refused without their tree) {
  // A base of 100,000 numbers (1.6 MB as a tree, past the 64 KiB that the
  // small members may take): refused as a malformed base.
  std::string huge = "[";
  for (int i = 0; i < 100'000; ++i)
    huge += i == 0 ? "0" : ",0";
  huge += "]";
  auto body = R"({"save_id":")" + save_id + R"(","base":)" + huge +
              R"(,"turns":[{"turn_id":1,"state":{}}]})";
  auto up = parse(body);
  CAF_REQUIRE(up.refused);
  CAF_CHECK_EQUAL(up.refused->status, 400);
  CAF_CHECK_EQUAL(up.refused->body["error"]["details"]["field"], "base");
}
