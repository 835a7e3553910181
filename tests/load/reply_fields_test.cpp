#define CAF_SUITE reply_fields

#include "tools/load/reply_fields.hpp"

#include "caf/test/unit_test.hpp"

using namespace awf::load;
using json = nlohmann::json;

namespace {

const std::string push_frame =
  R"({"head":{"chain_hash":"c3","turn_id":3},"save_id":"s","turns":[)"
  R"({"chain_hash":"c2","patch":[{"op":"add","path":"/a","value":[1,[2]]},)"
  R"({"op":"remove","path":"/b"}],"state_hash":"h2","turn_id":2},)"
  R"({"chain_hash":"c3","state":{"patch":[1]},"state_hash":"h3","turn_id":3}],)"
  R"("type":"turns"})";

} // namespace

CAF_TEST(a frame parsed without patches keeps everything else) {
  auto full = parse_frame(push_frame, true);
  auto lean = parse_frame(push_frame, false);
  CAF_REQUIRE(lean.is_object());
  // Only the patch array's elements are gone; it stays an array.
  auto expected = full;
  expected["turns"][0]["patch"] = json::array();
  CAF_CHECK_EQUAL(lean, expected);
  // A member named "patch" deeper in a state is data, and stays.
  CAF_CHECK_EQUAL(lean["turns"][1]["state"]["patch"], json::array({1}));
  CAF_CHECK_EQUAL(full["turns"][0]["patch"].size(), 2u);
}

CAF_TEST(a frame that is not JSON parses as discarded) {
  CAF_CHECK(parse_frame("{\"type\":", false).is_discarded());
  CAF_CHECK(parse_frame("nope", true).is_discarded());
}
