#define CAF_SUITE json_budget

#include "core/json_budget.hpp"

#include "caf/test/unit_test.hpp"

#include <string>

#include "tests/support/allocation_counter.hpp"

using namespace awf::core;
using json = nlohmann::json;

namespace {

/// What a copy of `value` really allocates, beyond its own slot.
std::size_t measured_copy_bytes(const json& value) {
  auto before = awf::test::live_heap_bytes();
  json copy = value;
  return awf::test::live_heap_bytes() - before;
}

/// `[{}, {}, ...]`: the densest memory per byte of text JSON has.
std::string empty_objects(std::size_t count) {
  std::string text = "[";
  for (std::size_t i = 0; i < count; ++i)
    text += i == 0 ? "{}" : ",{}";
  return text + "]";
}

/// A chain of `depth` nested arrays, built without recursion.
json nested_arrays(std::size_t depth) {
  json value = json::array();
  for (std::size_t i = 1; i < depth; ++i) {
    json::array_t wrapper;
    wrapper.push_back(std::move(value));
    value = std::move(wrapper);
  }
  return value;
}

} // namespace

CAF_TEST(the cost model is what the allocator really hands out) {
  auto state = json::parse(R"({
    "player": {"name": "Ada Lovelace, Countess", "hp": 10, "xp": 1.5e3},
    "inventory": [{"id": "sword", "qty": 1}, {"id": "a potion of healing",
                  "qty": 3}],
    "flags": [true, false, null, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    "a key longer than fifteen bytes": {}, "empty": [], "s": ""})");
  for (const auto& value :
       {json(nullptr), json(1.5), json("short"), json(std::string(16, 'x')),
        json(std::string(1000, 'x')), json::array(), json::object(),
        json::array({1, 2, 3}), json::parse(empty_objects(100)), state}) {
    CAF_MESSAGE(value.dump().substr(0, 60));
    // Exact, except that malloc may hand out a block up to 16 bytes larger
    // when the rest of a free block is too small to split off.
    auto model = json_cost::tree_bytes(value);
    auto measured = measured_copy_bytes(value);
    if (!awf::test::counts_malloc_blocks())
      continue; // A sanitizer's allocator: sizes as asked, not as paid.
    CAF_CHECK_LESS_OR_EQUAL(model, measured);
    CAF_CHECK_LESS_OR_EQUAL(measured, model + model / 50 + 16);
  }
}

CAF_TEST(parsing charges at least what the tree keeps and the parse peaks at) {
  std::string text = R"({"inventory": [)";
  for (int i = 0; i < 1000; ++i)
    text += (i == 0 ? "" : ",") + std::string{R"({"id": "item)"} +
            std::to_string(i) + R"(", "qty": 1, "tags": ["a", "b"]})";
  text += "]}";
  auto budget = json_budget::unlimited();
  result<json> parsed = error{errc::invalid_json, "unset"};
  auto peak =
    awf::test::peak_growth_during([&] { parsed = parse_json(text, budget); });
  CAF_REQUIRE(parsed);
  auto kept = json_cost::tree_bytes(*parsed);
  CAF_MESSAGE("text " << text.size() << " bytes, tree " << kept
                      << " bytes, charged " << budget.spent_bytes() << ", peak "
                      << peak);
  CAF_CHECK_GREATER_OR_EQUAL(budget.spent_bytes(), kept);
  // The parser's own buffers (one token) come on top of what it charges.
  CAF_CHECK_LESS_OR_EQUAL(peak, budget.spent_bytes() + 4096);
}

CAF_TEST(a parse stops once its tree would pass the budget) {
  // 300,000 bytes of `{},` want about 8 MB of tree: more than 16 bytes per
  // byte of text.
  auto text = empty_objects(100'000);
  result<json> parsed = json{};
  auto peak = awf::test::peak_growth_during([&] { parsed = parse_json(text); });
  CAF_REQUIRE(!parsed);
  CAF_CHECK_EQUAL(std::string{to_string(parsed.error().code)},
                  std::string{"payload_too_large"});
  CAF_MESSAGE(parsed.error().message);
  auto budget = json_budget::for_text(text.size());
  CAF_MESSAGE("budget " << budget.max_bytes() << ", peak " << peak);
  CAF_CHECK_LESS_OR_EQUAL(peak, budget.max_bytes() + 4096);
  // With room for it, the same text parses.
  auto roomy = json_budget::unlimited();
  CAF_CHECK(parse_json(text, roomy));
}

CAF_TEST(budgets for texts and states are fixed multiples) {
  CAF_CHECK_EQUAL(json_budget::for_text(1000).max_bytes(),
                  json_budget::parse_floor_bytes + 16'000);
  CAF_CHECK_EQUAL(json_budget::for_state(1 << 20).max_bytes(),
                  std::size_t{4} << 20);
  CAF_CHECK_EQUAL(json_budget::for_state(1 << 20).max_depth(), max_json_depth);
}

CAF_TEST(a copy is charged until the budget is spent and no further) {
  json big = json::array();
  for (int i = 0; i < 100'000; ++i)
    big.push_back(i);
  json_budget budget{1 << 20};
  CAF_CHECK(charge_copy(big, 0, budget) == copy_charge::too_large);
  CAF_CHECK(!budget.ok());
  CAF_CHECK_LESS_OR_EQUAL(budget.spent_bytes(), std::size_t{1} << 20);
  // Spent stays spent.
  CAF_CHECK(!budget.charge(0));
  json_budget roomy{std::size_t{8} << 20};
  CAF_CHECK(charge_copy(big, 0, roomy) == copy_charge::ok);
  CAF_CHECK_EQUAL(roomy.spent_bytes(), json_cost::tree_bytes(big));
  CAF_CHECK_EQUAL(roomy.spent_nodes(), 100'001u);
}

CAF_TEST(the depth limit counts the containers above the value) {
  auto budget = json_budget::unlimited();
  CAF_CHECK(charge_copy(nested_arrays(128), 0, budget) == copy_charge::ok);
  CAF_CHECK(charge_copy(nested_arrays(129), 0, budget) ==
            copy_charge::too_deep);
  CAF_CHECK(charge_copy(nested_arrays(28), 100, budget) == copy_charge::ok);
  CAF_CHECK(charge_copy(nested_arrays(29), 100, budget) ==
            copy_charge::too_deep);
  CAF_CHECK(charge_copy(json(1), 128, budget) == copy_charge::ok);
  CAF_CHECK(charge_copy(json(1), 129, budget) == copy_charge::too_deep);
}

CAF_TEST(a value of any depth is walked without recursion) {
  // Far deeper than a recursive walk survives on a thread's stack.
  auto deep = nested_arrays(200'000);
  auto budget = json_budget::unlimited();
  CAF_CHECK(charge_copy(deep, 0, budget) == copy_charge::too_deep);
  CAF_CHECK_EQUAL(budget.spent_nodes(), max_json_depth + 1);
  CAF_CHECK(charge_depth_walk(deep, 0, budget) == copy_charge::too_deep);
}
