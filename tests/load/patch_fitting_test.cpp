#define CAF_SUITE patch_fitting

#include "tools/load/patch_fitting.hpp"

#include "caf/test/unit_test.hpp"

#include "core/json_patch.hpp"

using namespace awf::load;
using json = nlohmann::json;

namespace {

bool replays_to(const json& before, const json& patch, const json& after) {
  auto result = awf::core::apply_patch(before, patch);
  return result && *result == after;
}

} // namespace

CAF_TEST(operations that fit apply as they are) {
  json state = {{"a", 1}, {"list", {1, 2, 3}}};
  auto before = state;
  json patch = json::parse(R"([{"op":"replace","path":"/a","value":2},
    {"op":"add","path":"/list/1","value":9},
    {"op":"remove","path":"/list/0"}])");
  auto applied = apply_fitting_operations(state, patch);
  CAF_CHECK_EQUAL(applied, patch);
  CAF_CHECK_EQUAL(state, json::parse(R"({"a":2,"list":[9,2,3]})"));
  CAF_CHECK(replays_to(before, applied, state));
}

CAF_TEST(indexes past the end move into range) {
  json state = {{"list", {1, 2}}};
  auto before = state;
  json patch = json::parse(R"([{"op":"add","path":"/list/7","value":3},
    {"op":"replace","path":"/list/4","value":0},
    {"op":"remove","path":"/list/5"}])");
  auto applied = apply_fitting_operations(state, patch);
  CAF_CHECK_EQUAL(applied, json::parse(R"([
    {"op":"add","path":"/list/2","value":3},
    {"op":"replace","path":"/list/1","value":0},
    {"op":"remove","path":"/list/2"}])"));
  CAF_CHECK_EQUAL(state, json::parse(R"({"list":[1,0]})"));
  CAF_CHECK(replays_to(before, applied, state));
}

CAF_TEST(operations that cannot fit are left out) {
  json state = {
    {"quests", {{"q1", {{"stage", 1}}}}}, {"n", 5}, {"e", json::array()}};
  auto before = state;
  json patch = json::parse(R"([
    {"op":"replace","path":"/quests/q2/stage","value":3},
    {"op":"remove","path":"/missing"},
    {"op":"replace","path":"/n/x","value":1},
    {"op":"remove","path":"/e/0"},
    {"op":"move","from":"/n","path":"/m"},
    {"op":"replace","path":"/quests/q1/stage","value":4},
    {"op":"add","path":"/quests/q3","value":{"stage":0}},
    "not an operation"])");
  auto applied = apply_fitting_operations(state, patch);
  CAF_CHECK_EQUAL(applied.size(), 2u);
  CAF_CHECK_EQUAL(state["quests"]["q1"]["stage"], 4);
  CAF_CHECK(state["quests"].contains("q3"));
  CAF_CHECK(replays_to(before, applied, state));
}

CAF_TEST(escaped member names stay escaped) {
  json state = {{"a/b", {1}}, {"c~d", 1}};
  auto before = state;
  json patch = json::parse(R"([{"op":"replace","path":"/a~1b/3","value":2},
    {"op":"replace","path":"/c~0d","value":2}])");
  auto applied = apply_fitting_operations(state, patch);
  CAF_CHECK_EQUAL(applied[0]["path"], "/a~1b/0");
  CAF_CHECK(replays_to(before, applied, state));
}
