#define CAF_SUITE json_patch

#include "core/json_patch.hpp"

#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <cstddef>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/json_array_diff.hpp"
#include "tests/support/allocation_counter.hpp"
#include "tests/support/hostile_patches.hpp"
#include "tests/support/shared_dir.hpp"

using namespace awf::core;
using json = nlohmann::json;

namespace {

// -- helpers ------------------------------------------------------------------

/// Short text of a value for failure messages.
std::string brief(const json& value) {
  auto text = value.dump();
  return text.size() > 200 ? text.substr(0, 200) + "..." : text;
}

/// Applies `patch` and reports the error message, or "" on success.
std::string apply_error(const json& doc, const json& patch) {
  auto applied = apply_patch(doc, patch);
  if (applied)
    return "";
  CAF_CHECK(applied.error().code == errc::invalid_patch);
  return applied.error().message;
}

/// Checks that `patch` fails on `doc` in operation `index` with a message
/// containing `reason`.
void check_fails(const json& doc, const json& patch, std::size_t index,
                 const std::string& reason) {
  auto message = apply_error(doc, patch);
  CAF_MESSAGE("error: " << message);
  CAF_CHECK(message.find("operation " + std::to_string(index)) !=
            std::string::npos);
  CAF_CHECK(message.find(reason) != std::string::npos);
}

/// Returns "" when diff(from, to) applied to `from` gives `to`, both with
/// apply_patch and with nlohmann's independent RFC 6902 implementation;
/// otherwise says what went wrong.
std::string round_trip_failure(const json& from, const json& to) {
  auto patch = diff(from, to);
  auto applied = apply_patch(from, patch);
  if (!applied)
    return "patch " + brief(patch) + " failed: " + applied.error().message;
  if (*applied != to)
    return "patch " + brief(patch) + " gave " + brief(*applied);
  if (from.patch(patch) != to)
    return "nlohmann's patch disagrees for " + brief(patch);
  return "";
}

/// Checks the round trip and returns the patch for op count assertions.
json checked_diff(const json& from, const json& to) {
  CAF_CHECK_EQUAL(round_trip_failure(from, to), "");
  return diff(from, to);
}

std::size_t count_nodes(const json& value) {
  std::size_t count = 1;
  if (value.is_structured())
    for (const auto& child : value)
      count += count_nodes(child);
  return count;
}

json counting_array(int size) {
  json result = json::array();
  for (int i = 0; i < size; ++i)
    result.push_back(i);
  return result;
}

/// {"arr": [...]} with `size` distinct item objects, as in a game inventory.
json inventory(int size) {
  json items = json::array();
  for (int i = 0; i < size; ++i)
    items.push_back(
      {{"id", i}, {"name", "item-" + std::to_string(i)}, {"qty", i % 7}});
  return json{{"arr", std::move(items)}};
}

json new_item() {
  return json{{"id", -1}, {"name", "gem"}, {"qty", 1}};
}

json single_op(const char* op, const std::string& path) {
  return json{{"op", op}, {"path", path}};
}

json single_op(const char* op, const std::string& path, json value) {
  return json{{"op", op}, {"path", path}, {"value", std::move(value)}};
}

// -- conformance --------------------------------------------------------------

std::optional<json> load_json(const std::filesystem::path& file) {
  std::ifstream in{file};
  if (!in)
    return std::nullopt;
  return json::parse(in, nullptr, false);
}

/// Runs one record of the json-patch-tests suite; returns "" when it passes.
std::string conformance_failure(const json& record) {
  auto label = record.value("comment", brief(record["patch"]));
  auto applied = apply_patch(record["doc"], record["patch"]);
  if (record.contains("error")) {
    if (applied)
      return label + ": applied, but must fail (" +
             record["error"].get<std::string>() + ")";
    return "";
  }
  if (!applied)
    return label + ": " + applied.error().message;
  if (record.contains("expected") && *applied != record["expected"])
    return label + ": got " + brief(*applied);
  return "";
}

// -- random documents ---------------------------------------------------------

/// Seeded generator of random JSON values and edits. Small alphabets make
/// equal neighbours and shared keys common, which exercises trimming.
class random_json {
public:
  explicit random_json(unsigned seed) : rng_(seed) {}

  int below(int n) {
    return std::uniform_int_distribution<int>{0, n - 1}(rng_);
  }

  json scalar() {
    switch (below(5)) {
      case 0: return nullptr;
      case 1: return below(2) == 0;
      case 2: return static_cast<double>(below(5));
      case 3: return std::uniform_real_distribution<double>{-1e6, 1e6}(rng_);
      default: return text();
    }
  }

  /// A value of up to about `budget` nodes.
  json value(int budget, int depth = 0) {
    // Mostly containers at the root: scalar roots are trivial to diff.
    if (budget <= 1 || depth > 6 || below(depth == 0 ? 20 : 3) == 0)
      return scalar();
    json result = below(2) == 0 ? json::object() : json::array();
    int children = below(std::min(budget, 12)) + 1;
    for (int i = 0; i < children; ++i) {
      auto child = value(budget / children, depth + 1);
      if (result.is_object())
        result[key()] = std::move(child);
      else
        result.push_back(std::move(child));
    }
    return result;
  }

  /// Applies a few random edits somewhere inside `doc`.
  void mutate(json& doc) {
    int edits = below(5) + 1;
    for (int i = 0; i < edits; ++i)
      mutate_once(doc);
  }

private:
  std::string text() {
    static const char alphabet[] = "ab~/ ";
    std::string result;
    for (int n = below(4); n > 0; --n)
      result += alphabet[below(sizeof alphabet - 1)];
    return result;
  }

  /// Keys include "", "/" and "~" so that pointer escaping is exercised.
  std::string key() {
    static const char* keys[] = {"", "a", "b", "c", "a/b", "~", "~1", "0", "-"};
    return keys[below(sizeof keys / sizeof keys[0])];
  }

  static void collect(json& node, std::vector<json*>& out) {
    out.push_back(&node);
    if (node.is_structured())
      for (auto& child : node)
        collect(child, out);
  }

  void mutate_once(json& doc) {
    std::vector<json*> nodes;
    collect(doc, nodes);
    json& node = *nodes[below(static_cast<int>(nodes.size()))];
    if (node.is_array())
      mutate_array(node);
    else if (node.is_object())
      mutate_object(node);
    else
      node = below(4) == 0 ? value(20) : scalar();
  }

  void mutate_array(json& array) {
    auto size = static_cast<int>(array.size());
    if (size > 0 && below(2) == 0)
      array.erase(static_cast<std::size_t>(below(size)));
    else
      array.insert(array.begin() + below(size + 1), value(10));
  }

  void mutate_object(json& object) {
    if (!object.empty() && below(2) == 0)
      object.erase(std::next(object.begin(), below(object.size())));
    else
      object[key()] = value(10);
  }

  std::mt19937 rng_;
};

/// Seeded generator of array-heavy documents: long arrays of small objects,
/// numbers (integers and doubles) and short number lists from small
/// alphabets, so duplicates and near duplicates are common. Each mutation
/// makes several inserts, deletes, moves and in-place changes in one array.
class random_arrays {
public:
  explicit random_arrays(unsigned seed) : rng_(seed) {}

  int below(int n) {
    return std::uniform_int_distribution<int>{0, n - 1}(rng_);
  }

  json document() {
    json grid = json::array();
    for (int n = below(5); n > 0; --n)
      grid.push_back(list(10));
    return json{{"inv", list(80)}, {"log", list(30)}, {"grid", grid}};
  }

  /// Applies 2 to 6 edits to one array of `doc`; returns how many.
  int mutate(json& doc) {
    json* array = &doc["inv"];
    switch (below(10)) {
      case 0:
      case 1: array = &doc["log"]; break;
      case 2:
        if (!doc["grid"].empty())
          array = &doc["grid"][static_cast<std::size_t>(
            below(static_cast<int>(doc["grid"].size())))];
        break;
      case 3: array = &doc["grid"]; break;
      default: break;
    }
    const int edits = below(5) + 2;
    for (int i = 0; i < edits; ++i)
      edit(*array);
    return edits;
  }

private:
  json number() {
    const int n = below(4);
    return below(2) == 0 ? json(n) : json(static_cast<double>(n));
  }

  json numbers(int max_size) {
    json result = json::array();
    for (int n = below(max_size + 1); n > 0; --n)
      result.push_back(number());
    return result;
  }

  json element() {
    switch (below(5)) {
      case 0: return number();
      case 1: return json{{"id", below(40)}, {"qty", number()}};
      case 2: return json{{"id", below(40)}, {"tags", numbers(3)}};
      case 3: return numbers(3);
      default: return below(40);
    }
  }

  json list(int max_size) {
    json result = json::array();
    for (int n = below(max_size + 1); n > 0; --n)
      result.push_back(element());
    return result;
  }

  void edit(json& array) {
    const int size = static_cast<int>(array.size());
    const auto at = static_cast<std::size_t>(size > 0 ? below(size) : 0);
    switch (size == 0 ? 0 : below(4)) {
      case 0: array.insert(array.begin() + below(size + 1), element()); break;
      case 1: array.erase(at); break;
      case 2: { // move
        json moved = array[at];
        array.erase(at);
        array.insert(array.begin() + below(size), std::move(moved));
        break;
      }
      default: // change one element in place
        if (array[at].is_object())
          array[at][below(2) == 0 ? "id" : "qty"] = below(40);
        else if (array[at].is_array())
          array[at].push_back(number());
        else
          array[at] = element();
    }
  }

  std::mt19937 rng_;
};

} // namespace

// -- apply: conformance suite -------------------------------------------------

CAF_TEST(the public json - patch - tests suite passes) {
  auto shared = awf::test::shared_dir();
  if (!shared) {
    if (awf::test::running_in_ci())
      CAF_FAIL("../shared is missing under CI");
    CAF_MESSAGE("skipped: ../shared not found");
    return;
  }
  int run = 0;
  int skipped = 0;
  for (const char* name : {"tests.json", "spec_tests.json"}) {
    auto records = load_json(*shared / "conformance" / "json-patch" / name);
    CAF_REQUIRE(records && records->is_array());
    for (const auto& record : *records) {
      if (record.value("disabled", false)) {
        ++skipped;
        continue;
      }
      ++run;
      CAF_CHECK_EQUAL(conformance_failure(record), "");
    }
  }
  CAF_MESSAGE("conformance: " << run << " run, " << skipped << " disabled");
  CAF_CHECK(run > 100);
}

// -- apply: semantics and errors ----------------------------------------------

CAF_TEST(test compares numbers by value and objects without order) {
  json doc = json::parse(R"({"n": 1, "list": [{"a": 2, "b": 3.5}]})");
  auto test_op = [](const char* path, json value) {
    return json::array({single_op("test", path, std::move(value))});
  };
  CAF_CHECK_EQUAL(apply_error(doc, test_op("/n", 1.0)), "");
  CAF_CHECK_EQUAL(apply_error(doc, test_op("/list", json::parse(R"(
                                [{"b": 3.5, "a": 2.0}])"))),
                  "");
  CAF_CHECK_NOT_EQUAL(apply_error(doc, test_op("/n", "1")), "");
}

CAF_TEST(a move takes the value out before adding it) {
  json doc = json::parse(R"({"a": {"b": [1, 2, 3]}, "c": null})");
  json patch = json::parse(R"([
    {"op": "move", "from": "/a/b/0", "path": "/a/b/-"},
    {"op": "move", "from": "/a", "path": "/c/x"}])");
  CAF_CHECK_NOT_EQUAL(apply_error(doc, patch), "");
  patch[1]["path"] = "/c";
  auto applied = apply_patch(doc, patch);
  CAF_REQUIRE(applied);
  CAF_CHECK_EQUAL(*applied, json::parse(R"({"c": {"b": [2, 3, 1]}})"));
}

CAF_TEST(malformed patches name the operation and the reason) {
  json doc = json::parse(R"({"a": {"b": 1}, "list": [1, 2]})");
  CAF_CHECK(apply_error(doc, json::object()).find("not an array") !=
            std::string::npos);
  check_fails(doc, json::array({1}), 0, "not an object");
  check_fails(doc, json::array({json{{"path", "/a"}}}), 0, "missing 'op'");
  check_fails(doc, json::array({json{{"op", 1}, {"path", "/a"}}}), 0,
              "'op' is a number");
  check_fails(doc, json::array({single_op("spam", "/a", 1)}), 0,
              "unknown op \"spam\"");
  check_fails(doc, json::array({json{{"op", "remove"}}}), 0, "missing 'path'");
  check_fails(doc, json::array({json{{"op", "remove"}, {"path", nullptr}}}), 0,
              "'path' is a null");
  check_fails(doc, json::array({single_op("add", "/x")}), 0, "missing 'value'");
  check_fails(doc, json::array({single_op("replace", "/a")}), 0,
              "missing 'value'");
  check_fails(doc, json::array({single_op("test", "/a")}), 0,
              "missing 'value'");
  check_fails(doc, json::array({single_op("copy", "/x")}), 0, "missing 'from'");
  check_fails(doc,
              json::array({json{{"op", "move"}, {"path", "/x"}, {"from", 7}}}),
              0, "'from' is a number");
  check_fails(doc, json::array({single_op("remove", "a")}), 0,
              "start with '/'");
  check_fails(doc, json::array({single_op("remove", "/~2")}), 0,
              "'~' not followed");
  check_fails(doc, json::array({single_op("remove", "/a~")}), 0,
              "'~' not followed");
}

CAF_TEST(patches that do not fit the document name the operation) {
  json doc = json::parse(R"({"a": {"b": 1}, "list": [1, 2]})");
  json ok = single_op("test", "/a/b", 1);
  check_fails(doc, json::array({ok, single_op("remove", "/x")}), 1,
              "no member \"x\"");
  check_fails(doc, json::array({ok, ok, single_op("add", "/x/y", 1)}), 2,
              "no member \"x\"");
  check_fails(doc, json::array({single_op("replace", "/a/c", 1)}), 0,
              "no member \"c\"");
  check_fails(doc, json::array({single_op("add", "/a/b/c", 1)}), 0,
              "cannot add \"c\" to a number");
  check_fails(doc, json::array({single_op("test", "/a/b/c/d", 1)}), 0,
              "cannot look up \"c\" in a number");
  check_fails(doc, json::array({single_op("remove", "/list/2")}), 0,
              "out of range");
  check_fails(doc, json::array({single_op("add", "/list/3", 0)}), 0,
              "out of range");
  check_fails(
    doc, json::array({single_op("test", "/list/99999999999999999999999", 1)}),
    0, "out of range");
  check_fails(doc, json::array({single_op("test", "/list/01", 2)}), 0,
              "not an array index");
  check_fails(doc, json::array({single_op("remove", "/list/-")}), 0,
              "not an array index");
  check_fails(doc, json::array({single_op("add", "/list/x", 0)}), 0,
              "not an array index");
  check_fails(doc, json::array({single_op("remove", "")}), 0, "whole document");
  check_fails(
    doc,
    json::array({json{{"op", "move"}, {"from", "/a"}, {"path", "/a/b/c"}}}), 0,
    "into its own child");
  check_fails(
    doc, json::array({json{{"op", "copy"}, {"from", "/z"}, {"path", "/y"}}}), 0,
    "from \"/z\"");
  check_fails(doc, json::array({ok, single_op("test", "/a/b", 2)}), 1,
              "test failed");
}

CAF_TEST(a failing patch changes nothing) {
  json doc = json::parse(R"({"a": [1, 2, 3], "b": {"c": "d"}})");
  const json before = doc;
  json patch = json::parse(R"([
    {"op": "add", "path": "/a/-", "value": 4},
    {"op": "remove", "path": "/b/c"},
    {"op": "replace", "path": "", "value": 5},
    {"op": "test", "path": "", "value": 6}])");
  CAF_CHECK_NOT_EQUAL(apply_error(doc, patch), "");
  CAF_CHECK_EQUAL(doc, before);
}

CAF_TEST(copies that double the document stop at the copy budget) {
  // Each copy puts the whole of "/x" inside itself: 2^k times the data
  // after k operations, unless the budget stops it.
  json doc{{"x", {{"s", std::string(1000, 'a')}}}};
  json patch = json::array();
  for (int i = 0; i < 40; ++i)
    patch.push_back(
      {{"op", "copy"}, {"from", "/x"}, {"path", "/x/c" + std::to_string(i)}});
  auto res = apply_patch(doc, patch, 1 << 20);
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"payload_too_large"});
  // The copies are charged at what they really cost, json_cost::tree_bytes:
  // the first one that would pass 4 MiB (4 bytes per byte of a 1 MiB state)
  // is refused.
  std::size_t spent = 0;
  std::size_t refused = 0;
  json x = doc["x"];
  for (; refused < 40; ++refused) {
    spent += json_cost::tree_bytes(x) + json_cost::member_bytes("c10");
    if (spent > std::size_t{4} << 20)
      break;
    x["c" + std::to_string(refused)] = x;
  }
  CAF_MESSAGE(res.error().message);
  CAF_CHECK_NOT_EQUAL(res.error().message.find(
                        "operation " + std::to_string(refused) + " (copy)"),
                      std::string::npos);
  // Within the budget the same kind of patch applies.
  json few(patch.begin(), patch.begin() + 5);
  auto ok = apply_patch(doc, few, 1 << 20);
  CAF_REQUIRE(ok);
  CAF_CHECK_EQUAL((*ok)["x"]["c4"]["c3"]["c2"]["c1"]["c0"]["s"], doc["x"]["s"]);
}

CAF_TEST(a chain copied into its own deepest child stops at the depth limit) {
  // Finding 1 of issue 10: a 100-level chain copied nine times into its
  // own deepest child doubles its depth each time; a recursive copy and
  // charge of it crashed the server. The first copy would nest 201 deep.
  json chain = awf::test::key_chain(100);
  json patch = json::array({{{"op", "add"}, {"path", "/c"}, {"value", chain}}});
  for (auto& op : awf::test::self_nesting_copies(100, 9))
    patch.push_back(std::move(op));
  json doc = json::object();
  auto res = apply_patch(doc, patch);
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"invalid_json"});
  CAF_MESSAGE(res.error().message);
  CAF_CHECK_EQUAL(res.error().message.rfind("operation 1 (copy)", 0), 0u);
  CAF_CHECK_NOT_EQUAL(res.error().message.find("deeper than 128 levels"),
                      std::string::npos);
  CAF_CHECK_EQUAL(doc, json::object());
  // add, move and copy may not pass the limit either: the chain (100 deep)
  // fits 28 levels down, not 29.
  auto holder = [&](int levels) {
    json value{{"c", chain}};
    json* at = &value;
    for (int i = 0; i < levels; ++i)
      at = &((*at)["n"] = json::object());
    return value;
  };
  auto at_level = [](int levels) {
    std::string path;
    for (int i = 0; i < levels; ++i)
      path += "/n";
    return path + "/v";
  };
  for (std::string op : {"add", "move", "copy"}) {
    CAF_MESSAGE(op);
    auto step = [&](int levels) {
      json step{{"op", op}, {"path", at_level(levels)}};
      if (op == "add")
        step["value"] = chain;
      else
        step["from"] = "/c";
      return apply_patch(holder(levels), json::array({step}));
    };
    CAF_CHECK(step(27));
    auto refused = step(28);
    CAF_REQUIRE(!refused);
    CAF_CHECK_EQUAL(std::string{to_string(refused.error().code)},
                    std::string{"invalid_json"});
  }
}

CAF_TEST(a copy patch that doubles itself stays within its memory budget) {
  // Finding 2 of issue 10: `add /d {"": 0}` and 24 copies of /d into
  // itself took 4.4 GB before failing. The copies are charged at their real
  // memory cost before they are made, so the patch fails once they would
  // pass 4 bytes per byte of the state limit, having allocated at most that.
  json patch = awf::test::self_doubling_copies(24);
  constexpr std::size_t state_limit = std::size_t{1} << 20;
  json doc = json::object();
  status res = ok_status();
  auto peak = awf::test::peak_growth_during(
    [&] { res = apply_patch_in_place(doc, patch, state_limit); });
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"payload_too_large"});
  CAF_MESSAGE(res.error().message << "; peak " << peak << " bytes");
  // Beyond the copies: the patch's own values, its parsed pointers and the
  // error message, a few hundred bytes.
  constexpr std::size_t bookkeeping = std::size_t{64} << 10;
  CAF_CHECK_LESS_OR_EQUAL(
    peak, json_budget::for_state(state_limit).max_bytes() + bookkeeping);
}

CAF_TEST(moves that walk past the node budget say so) {
  // Moving a value deeper walks it to check the depth limit, and the walk
  // is charged: a patch that moves a large value down and up again and
  // again fails, and its message speaks of moves, not copies.
  constexpr std::size_t state_limit = 4096;
  json doc{{"a", json::array()}, {"w", json::object()}};
  for (int i = 0; i < 200; ++i)
    doc["a"].push_back(0.0);
  json patch = json::array();
  for (int i = 0; i < 50; ++i) {
    patch.push_back({{"op", "move"}, {"from", "/a"}, {"path", "/w/a"}});
    patch.push_back({{"op", "move"}, {"from", "/w/a"}, {"path", "/a"}});
  }
  auto res = apply_patch_in_place(doc, patch, state_limit);
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(std::string{to_string(res.error().code)},
                  std::string{"payload_too_large"});
  CAF_MESSAGE(res.error().message);
  CAF_CHECK_NOT_EQUAL(res.error().message.find("moves"), std::string::npos);
  CAF_CHECK_EQUAL(res.error().message.find("copies"), std::string::npos);
}

CAF_TEST(array shifts past the edit budget fail with payload_too_large) {
  // Each insert at the front of a long array shifts all of it: the patch
  // stops at the first operation past the edit budget, before its shift.
  constexpr std::size_t state_limit = 1 << 20;
  constexpr int length = 100000;
  auto add_front = json{{"op", "add"}, {"path", "/0"}, {"value", 1}};
  auto patch = awf::test::repeated(add_front, 4000);
  auto budget = json_budget::for_state(state_limit);
  CAF_CHECK_EQUAL(budget.max_edit_units(), json_budget::edit_floor_units);
  auto doc = awf::test::long_array(length);
  auto res = apply_patch_in_place(doc, patch, state_limit, budget);
  CAF_REQUIRE(!res);
  CAF_CHECK_EQUAL(res.error().code, errc::payload_too_large);
  CAF_MESSAGE(res.error().message);
  CAF_CHECK(res.error().message.find("edits cost more than") !=
            std::string::npos);
  // Operation k shifts length + k + 1 slots; the first that does not fit is
  // the one named, and nothing past the budget was spent.
  std::size_t spent = 0;
  std::size_t k = 0;
  for (;; ++k) {
    auto cost = (length + k + 1) * json_budget::edit_units_per_array_slot;
    if (cost > budget.max_edit_units() - spent)
      break;
    spent += cost;
  }
  CAF_CHECK_EQUAL(
    res.error().message.rfind("operation " + std::to_string(k) + " (add)", 0),
    0u);
  CAF_CHECK_EQUAL(budget.spent_edit_units(), spent);
  // Removes and moves from the front shift as much, and are charged alike.
  for (const auto& op :
       {json{{"op", "remove"}, {"path", "/0"}},
        json{{"op", "move"}, {"from", "/0"}, {"path", "/-"}}}) {
    auto long_doc = awf::test::long_array(length);
    auto refused = apply_patch_in_place(long_doc, awf::test::repeated(op, 4000),
                                        state_limit);
    CAF_REQUIRE(!refused);
    CAF_CHECK_EQUAL(refused.error().code, errc::payload_too_large);
    CAF_CHECK(refused.error().message.find("edits cost more than") !=
              std::string::npos);
  }
  // The same patch on a short array is cheap, and applies.
  auto short_doc = awf::test::long_array(1000);
  CAF_REQUIRE(apply_patch_in_place(short_doc, patch, state_limit));
  CAF_CHECK_EQUAL(short_doc.size(), 5000u);
}

CAF_TEST(edits of objects and at the end of arrays cost no shifts) {
  constexpr std::size_t state_limit = 1 << 20;
  auto doc = json{{"a", awf::test::long_array(100000)}, {"o", json::object()}};
  auto patch = json::array();
  for (int i = 0; i < 2000; ++i) {
    patch.push_back({{"op", "add"}, {"path", "/a/-"}, {"value", i}});
    patch.push_back({{"op", "remove"}, {"path", "/a/100000"}});
    patch.push_back(
      {{"op", "add"}, {"path", "/o/k" + std::to_string(i)}, {"value", i}});
  }
  auto budget = json_budget::for_state(state_limit);
  CAF_REQUIRE(apply_patch_in_place(doc, patch, state_limit, budget));
  CAF_CHECK_EQUAL(doc["a"].size(), 100000u);
  CAF_CHECK_EQUAL(doc["o"].size(), 2000u);
  CAF_CHECK_LESS_OR_EQUAL(budget.spent_edit_units(),
                          4000u * 2u * json_budget::edit_units_per_array_slot);
  // Each append shifts one slot and each removal of the last element two
  // (the charge counts the slot itself): charged, but never the array.
  CAF_CHECK_EQUAL(budget.spent_edit_units(),
                  2000u * 3u * json_budget::edit_units_per_array_slot);
}

// -- diff: hand cases ---------------------------------------------------------

CAF_TEST(equal values give an empty patch) {
  json doc = json::parse(R"({"a": [1, {"b": null}], "c": "d"})");
  CAF_CHECK_EQUAL(diff(doc, doc), json::array());
  CAF_CHECK_EQUAL(diff(nullptr, nullptr), json::array());
  CAF_CHECK_EQUAL(diff(1, 1.0), json::array());
}

CAF_TEST(scalars and type changes replace) {
  CAF_CHECK_EQUAL(checked_diff(1, 2),
                  json::array({single_op("replace", "", 2)}));
  CAF_CHECK_EQUAL(checked_diff(nullptr, json::object()),
                  json::array({single_op("replace", "", json::object())}));
  CAF_CHECK_EQUAL(checked_diff(json::object(), nullptr),
                  json::array({single_op("replace", "", nullptr)}));
  json from = json::parse(R"({"a": {"x": 1}, "b": [1], "c": "s", "d": 1})");
  json to = json::parse(R"({"a": [1], "b": {"x": 1}, "c": null, "d": true})");
  CAF_CHECK_EQUAL(checked_diff(from, to).size(), 4u);
}

CAF_TEST(nested objects diff member by member) {
  json from = json::parse(R"({"a": {"b": {"c": 1, "d": 2}}, "e": 5})");
  json to = json::parse(R"({"a": {"b": {"c": 3, "x": 4}}, "e": 5})");
  auto patch = checked_diff(from, to);
  CAF_CHECK_EQUAL(patch, json::parse(R"([
    {"op": "replace", "path": "/a/b/c", "value": 3},
    {"op": "remove", "path": "/a/b/d"},
    {"op": "add", "path": "/a/b/x", "value": 4}])"));
}

CAF_TEST(keys with slash and tilde are escaped) {
  json from = json::parse(R"({"a/b": 1, "m~n": {"~1": 2}, "": 0})");
  json to = json::parse(R"({"a/b": 3, "m~n": {"~1": 4}, "": 0, "/~": 5})");
  auto patch = checked_diff(from, to);
  CAF_CHECK_EQUAL(patch, json::parse(R"([
    {"op": "replace", "path": "/a~1b", "value": 3},
    {"op": "replace", "path": "/m~0n/~01", "value": 4},
    {"op": "add", "path": "/~1~0", "value": 5}])"));
  CAF_CHECK_EQUAL(checked_diff(json{{"", 1}}, json{{"", 2}}),
                  json::array({single_op("replace", "/", 2)}));
}

CAF_TEST(one insert or delete in a long array is one operation) {
  const int size = 10000;
  const json base = counting_array(size);
  for (int pos : {0, 1, size / 2, size - 1, size}) {
    json inserted = base;
    inserted.insert(inserted.begin() + pos, "new");
    auto patch = checked_diff(base, inserted);
    CAF_CHECK_EQUAL(
      patch, json::array({single_op("add", "/" + std::to_string(pos), "new")}));
    if (pos == size)
      continue;
    json removed = base;
    removed.erase(static_cast<std::size_t>(pos));
    patch = checked_diff(base, removed);
    CAF_CHECK_EQUAL(
      patch, json::array({single_op("remove", "/" + std::to_string(pos))}));
  }
}

CAF_TEST(array middles of unequal length edit overlap then surplus) {
  json from = json::parse("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
  json to = json::parse("[0, 1, 2, 7, 8, 9]");
  auto patch = checked_diff(from, to);
  CAF_CHECK_EQUAL(patch.size(), 4u);
  CAF_CHECK_EQUAL(patch[0], single_op("remove", "/6"));
  CAF_CHECK_EQUAL(checked_diff(to, from).size(), 4u);
  // Two distant edits defeat trimming; both directions still round trip.
  checked_diff(json::parse("[1, 2, 3, 4, 5]"), json::parse("[0, 1, 2, 4, 6]"));
  checked_diff(json::parse("[0, 1, 2, 4, 6]"), json::parse("[1, 2, 3, 4, 5]"));
  checked_diff(json::array(), counting_array(5));
  checked_diff(counting_array(5), json::array());
  checked_diff(json::parse("[1, 1, 1]"), json::parse("[1, 1, 1, 1, 1]"));
  checked_diff(json::parse("[1, 1, 1, 1]"), json::parse("[1]"));
}

CAF_TEST(same length arrays recurse into their elements) {
  json from = json::parse(R"([{"id": 1, "hp": 10}, {"id": 2, "hp": 7}])");
  json to = json::parse(R"([{"id": 1, "hp": 10}, {"id": 2, "hp": 3}])");
  CAF_CHECK_EQUAL(checked_diff(from, to),
                  json::array({single_op("replace", "/1/hp", 3)}));
}

// -- diff: random property ----------------------------------------------------

CAF_TEST(diff round trips on random documents) {
  random_json gen{20240611};
  const int pairs = 2500;
  int failures = 0;
  std::size_t ops = 0;
  std::size_t nodes = 0;
  for (int i = 0; i < pairs && failures < 5; ++i) {
    json a = gen.value(300);
    json b = a;
    switch (gen.below(10)) {
      case 0: b = gen.value(300); break; // unrelated, often a type change
      case 1: break;                     // equal
      default: gen.mutate(b);
    }
    auto failure = round_trip_failure(a, b);
    if (!failure.empty()) {
      ++failures;
      CAF_CHECK_EQUAL("pair " + std::to_string(i) + ": " + failure +
                        "\n  a = " + brief(a) + "\n  b = " + brief(b),
                      "");
    }
    ops += diff(a, b).size();
    nodes += count_nodes(a);
  }
  CAF_MESSAGE("random round trips: " << pairs << " pairs, " << ops << " ops, "
                                     << nodes << " nodes");
  CAF_CHECK_EQUAL(failures, 0);
}

CAF_TEST(random single inserts and deletes in large arrays are one op) {
  random_json gen{7};
  for (int i = 0; i < 100; ++i) {
    json array = json::array();
    for (int n = 1000 + gen.below(2000); n > 0; --n)
      array.push_back(gen.value(5));
    json edited = array;
    const bool insert = gen.below(2) == 0;
    if (insert)
      edited.insert(edited.begin() + gen.below(static_cast<int>(array.size())),
                    gen.value(5));
    else
      edited.erase(
        static_cast<std::size_t>(gen.below(static_cast<int>(array.size()))));
    auto patch = checked_diff(array, edited);
    CAF_REQUIRE_EQUAL(patch.size(), 1u);
    CAF_CHECK_EQUAL(patch[0]["op"], insert ? "add" : "remove");
  }
}

// -- diff: array alignment ----------------------------------------------------

CAF_TEST(equal values hash equal and distinct ones apart) {
  CAF_CHECK_EQUAL(structural_hash(1), structural_hash(1.0));
  CAF_CHECK_EQUAL(structural_hash(json(1u)), structural_hash(json(1.0)));
  CAF_CHECK_EQUAL(structural_hash(json(-3)), structural_hash(json(-3.0)));
  CAF_CHECK_EQUAL(structural_hash(-0.0), structural_hash(0));
  CAF_CHECK_EQUAL(structural_hash(json::parse(R"({"a": [1, {"b": 2}]})")),
                  structural_hash(json::parse(R"({"a": [1.0, {"b": 2.0}]})")));
  const std::vector<json> distinct = {
    nullptr,
    false,
    true,
    0,
    1,
    0.5,
    "",
    "a",
    std::string("a\0", 2),
    "abcdefgh",
    "abcdefghi",
    json::array(),
    json::object(),
    json::array({nullptr}),
    json::array({json::array()}),
    json::array({1, 2}),
    json::array({2, 1}),
    json{{"", nullptr}},
    json{{"a", 1}, {"b", 2}},
    json{{"a", 2}, {"b", 1}},
    json{{"ab", 1}},
    json{{"a", json{{"b", 1}}}},
  };
  for (std::size_t i = 0; i < distinct.size(); ++i)
    for (std::size_t j = i + 1; j < distinct.size(); ++j)
      if (structural_hash(distinct[i]) == structural_hash(distinct[j]))
        CAF_FAIL(brief(distinct[i])
                 << " and " << brief(distinct[j]) << " hash equal");
}

CAF_TEST(an insert and a delete far apart in a long array are two ops) {
  const json from = inventory(1000);
  json to = from;
  to["arr"].insert(to["arr"].begin() + 100, new_item());
  to["arr"].erase(701); // from's element 700
  CAF_CHECK_EQUAL(checked_diff(from, to),
                  json::array({single_op("add", "/arr/100", new_item()),
                               single_op("remove", "/arr/701")}));
  to = from;
  to["arr"].erase(100);
  to["arr"].insert(to["arr"].begin() + 700, new_item());
  CAF_CHECK_EQUAL(checked_diff(from, to),
                  json::array({single_op("remove", "/arr/100"),
                               single_op("add", "/arr/700", new_item())}));
  random_json gen{99};
  for (int i = 0; i < 50; ++i) {
    const int removed = gen.below(1000);
    const int inserted = gen.below(1000);
    if (inserted == removed) // one element replaced in place: one op
      continue;
    to = from;
    to["arr"].erase(static_cast<std::size_t>(removed));
    to["arr"].insert(to["arr"].begin() + inserted, new_item());
    CAF_CHECK_EQUAL(checked_diff(from, to).size(), 2u);
  }
}

CAF_TEST(a field changed in one element becomes an edit inside it) {
  const json from = inventory(1000);
  json to = from;
  to["arr"][417]["qty"] = 99;
  to["arr"].insert(to["arr"].begin() + 800, new_item());
  auto patch = checked_diff(from, to);
  CAF_CHECK(patch.size() <= 3u);
  CAF_CHECK(std::count(patch.begin(), patch.end(),
                       single_op("replace", "/arr/417/qty", 99)) == 1);
  // An insert in front shifts the element; the path follows it.
  to = from;
  to["arr"][417]["qty"] = 99;
  to["arr"].insert(to["arr"].begin() + 100, new_item());
  CAF_CHECK_EQUAL(checked_diff(from, to),
                  json::array({single_op("add", "/arr/100", new_item()),
                               single_op("replace", "/arr/418/qty", 99)}));
}

CAF_TEST(an element replaced by an unrelated one is one replace) {
  const json from = inventory(50);
  json to = from;
  to["arr"][20] = json{{"id", 77}, {"name", "bow"}, {"qty", 3}};
  to["arr"].erase(40);
  CAF_CHECK_EQUAL(checked_diff(from, to),
                  json::array({single_op("replace", "/arr/20", to["arr"][20]),
                               single_op("remove", "/arr/40")}));
}

CAF_TEST(arrays of many duplicates round trip) {
  checked_diff(json::parse("[1, 1, 1, 2, 1, 1]"),
               json::parse("[1, 1, 2, 1, 1, 1]"));
  checked_diff(json::parse("[1, 1, 1, 2, 1, 1]"), json::parse("[2, 1, 2]"));
  checked_diff(json::parse(R"([{"a": 1}, {"a": 1}, {"a": 1.0}, {"a": 2}])"),
               json::parse(R"([{"a": 2}, {"a": 1}, {"a": 1}, {"a": 3}])"));
  // Every pair of arrays over {1, 2} (and 1.0) of up to five elements.
  std::vector<json> arrays{json::array()};
  for (std::size_t i = 0; arrays[i].size() < 5; ++i)
    for (json element : {json(1), json(2)}) {
      json longer = arrays[i];
      longer.push_back(element);
      arrays.push_back(std::move(longer));
    }
  int failures = 0;
  for (const auto& from : arrays)
    for (const auto& to : arrays) {
      json doubles = to;
      for (auto& element : doubles)
        element = element.get<double>();
      for (const json* target : {&to, static_cast<const json*>(&doubles)}) {
        auto failure = round_trip_failure(from, *target);
        if (!failure.empty() && ++failures < 5)
          CAF_CHECK_EQUAL(failure, "");
      }
    }
  CAF_MESSAGE(arrays.size() << " arrays, all pairs");
  CAF_CHECK_EQUAL(failures, 0);
}

CAF_TEST(a reversed array falls back to positional edits) {
  json from = inventory(300)["arr"];
  json to = from;
  std::reverse(to.begin(), to.end());
  // Far more than max_array_edits edits: positional, one change per element.
  auto patch = checked_diff(from, to);
  CAF_CHECK_EQUAL(patch.size(), 300u);
  CAF_CHECK_EQUAL(patch[0], single_op("replace", "/0", to[0]));
  // A long reversal exceeds the edit budget, so the bounded positional
  // strategy answers (one replace per element) instead of an N·M search.
  from = counting_array(50000);
  to = from;
  std::reverse(to.begin(), to.end());
  patch = diff(from, to);
  CAF_CHECK_EQUAL(patch.size(), 50000u);
  CAF_CHECK_EQUAL(round_trip_failure(from, to), "");
}

CAF_TEST(diff round trips on random array heavy documents) {
  random_arrays gen{20240612};
  const int pairs = 3000;
  int failures = 0;
  std::size_t ops = 0;
  std::size_t edits = 0;
  for (int i = 0; i < pairs && failures < 5; ++i) {
    json a = gen.document();
    json b = a;
    edits += static_cast<std::size_t>(gen.mutate(b));
    auto failure = round_trip_failure(a, b);
    if (!failure.empty()) {
      ++failures;
      CAF_CHECK_EQUAL("pair " + std::to_string(i) + ": " + failure +
                        "\n  a = " + brief(a) + "\n  b = " + brief(b),
                      "");
    }
    ops += diff(a, b).size();
  }
  CAF_MESSAGE("random array round trips: " << pairs << " pairs, " << edits
                                           << " edits, " << ops << " ops");
  CAF_CHECK_EQUAL(failures, 0);
  // A move costs two ops and an edit that changes nothing none; over many
  // pairs the patches stay within one op per edit (positional edits of the
  // shifted region would need several times more).
  CAF_CHECK(ops <= edits);
}
