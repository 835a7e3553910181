#define CAF_SUITE three_way_merge

#include "core/three_way_merge.hpp"

#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace awf::core;
using json = nlohmann::json;
using paths = std::vector<std::string>;

namespace {

// -- helpers ------------------------------------------------------------------

json parse(const char* text) {
  return json::parse(text);
}

/// Merges with both overlap winners and checks that the conflicts are the
/// same either way; returns the merge where the server wins overlaps.
merge_result merge_both(const json& fork, const json& server,
                        const json& client, const json& client_winner_merge) {
  auto by_client = three_way_merge(fork, server, client, true);
  auto by_server = three_way_merge(fork, server, client, false);
  CAF_CHECK_EQUAL(by_client.merged, client_winner_merge);
  CAF_CHECK_EQUAL(by_client.conflicting_paths, by_server.conflicting_paths);
  return by_server;
}

/// Parses `path` as a JSON Pointer; nothing when it is malformed (so a bad
/// escape fails a check instead of aborting the test binary).
std::optional<json::json_pointer> pointer(const std::string& path) {
  try {
    return json::json_pointer{path};
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// -- random trees -------------------------------------------------------------

/// Small random JSON trees and edits of them; keys include the characters
/// JSON Pointers escape.
class tree_source {
public:
  explicit tree_source(unsigned seed) : rng_(seed) {}

  json tree(int depth) {
    switch (pick(depth > 0 ? 7 : 5)) {
      case 0: return nullptr;
      case 1: return pick(2) == 0;
      case 2: return static_cast<double>(pick(4));
      case 3: return std::string(1, static_cast<char>('p' + pick(3)));
      case 4: return json::object();
      case 5: {
        auto result = json::array();
        for (int n = pick(4); n > 0; --n)
          result.push_back(tree(depth - 1));
        return result;
      }
      default: {
        auto result = json::object();
        for (int n = pick(4); n > 0; --n)
          result[key()] = tree(depth - 1);
        return result;
      }
    }
  }

  /// Returns `value` with a few random edits at random depths.
  json edit(const json& value, int depth) {
    if (pick(6) == 0)
      return tree(depth);
    if (value.is_object()) {
      auto result = value;
      switch (pick(3)) {
        case 0: result[key()] = tree(depth - 1); break;
        case 1: result.erase(key()); break;
        default:
          for (auto& [name, member] : result.items())
            if (pick(2) == 0)
              member = edit(member, depth - 1);
      }
      return result;
    }
    if (value.is_array()) {
      auto result = value;
      switch (pick(3)) {
        case 0: result.push_back(tree(depth - 1)); break;
        case 1:
          if (!result.empty())
            result.erase(result.end() - 1);
          break;
        default:
          for (auto& element : result)
            if (pick(2) == 0)
              element = edit(element, depth - 1);
      }
      return result;
    }
    return pick(2) == 0 ? tree(depth) : value;
  }

private:
  int pick(int n) { return std::uniform_int_distribution<int>{0, n - 1}(rng_); }

  std::string key() {
    static const char* const keys[] = {"a", "b", "c", "x/y", "t~0"};
    return keys[pick(5)];
  }

  std::mt19937 rng_;
};

} // namespace

// -- objects ------------------------------------------------------------------

CAF_TEST(disjoint object edits both survive) {
  auto fork = parse(R"({"gold":1,"level":1,"name":"hero"})");
  auto server = parse(R"({"gold":5,"level":1,"name":"hero"})");
  auto client = parse(R"({"gold":1,"level":2,"name":"hero","pet":"cat"})");
  auto expected = parse(R"({"gold":5,"level":2,"name":"hero","pet":"cat"})");
  auto result = merge_both(fork, server, client, expected);
  CAF_CHECK_EQUAL(result.merged, expected);
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{});
}

CAF_TEST(the same change on both sides is no conflict) {
  auto fork = parse(R"({"gold":1,"hp":3})");
  auto both = parse(R"({"gold":7})");
  auto result = merge_both(fork, both, both, both);
  CAF_CHECK_EQUAL(result.merged, both);
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{});
}

CAF_TEST(an overlapping scalar takes the chosen winner) {
  auto fork = parse(R"({"gold":1,"hp":3})");
  auto server = parse(R"({"gold":5,"hp":3})");
  auto client = parse(R"({"gold":9,"hp":4})");
  auto by_client = three_way_merge(fork, server, client, true);
  CAF_CHECK_EQUAL(by_client.merged, parse(R"({"gold":9,"hp":4})"));
  CAF_CHECK_EQUAL(by_client.conflicting_paths, paths{"/gold"});
  auto by_server = three_way_merge(fork, server, client, false);
  CAF_CHECK_EQUAL(by_server.merged, parse(R"({"gold":5,"hp":4})"));
  CAF_CHECK_EQUAL(by_server.conflicting_paths, paths{"/gold"});
}

CAF_TEST(delete against modify is a conflict) {
  auto fork = parse(R"({"gold":1,"hp":3})");
  auto server = parse(R"({"hp":3})");
  auto client = parse(R"({"gold":2,"hp":3})");
  auto by_server = three_way_merge(fork, server, client, false);
  CAF_CHECK_EQUAL(by_server.merged, parse(R"({"hp":3})"));
  CAF_CHECK_EQUAL(by_server.conflicting_paths, paths{"/gold"});
  auto by_client = three_way_merge(fork, server, client, true);
  CAF_CHECK_EQUAL(by_client.merged, parse(R"({"gold":2,"hp":3})"));
  CAF_CHECK_EQUAL(by_client.conflicting_paths, paths{"/gold"});
  // The other way round: the client deleted, the server modified.
  auto swapped = three_way_merge(fork, client, server, true);
  CAF_CHECK_EQUAL(swapped.merged, parse(R"({"hp":3})"));
  CAF_CHECK_EQUAL(swapped.conflicting_paths, paths{"/gold"});
}

CAF_TEST(a delete on one side only is kept) {
  auto fork = parse(R"({"gold":1,"hp":3,"xp":0})");
  auto server = parse(R"({"hp":3,"xp":0})");
  auto client = parse(R"({"gold":1,"hp":3,"xp":10})");
  auto expected = parse(R"({"hp":3,"xp":10})");
  auto result = merge_both(fork, server, client, expected);
  CAF_CHECK_EQUAL(result.merged, expected);
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{});
  // Deleted on both sides stays deleted.
  auto both = merge_both(fork, server, parse(R"({"hp":3,"xp":1})"),
                         parse(R"({"hp":3,"xp":1})"));
  CAF_CHECK_EQUAL(both.merged, parse(R"({"hp":3,"xp":1})"));
  CAF_CHECK_EQUAL(both.conflicting_paths, paths{});
}

CAF_TEST(nested objects merge member by member) {
  auto fork = parse(R"({"p":{"pos":{"x":0,"y":0},"hp":3},"w":{"t":1}})");
  auto server = parse(R"({"p":{"pos":{"x":4,"y":0},"hp":2},"w":{"t":2}})");
  auto client = parse(R"({"p":{"pos":{"x":0,"y":7},"hp":1},"w":{"t":1}})");
  auto expected_client =
    parse(R"({"p":{"pos":{"x":4,"y":7},"hp":1},"w":{"t":2}})");
  auto result = merge_both(fork, server, client, expected_client);
  CAF_CHECK_EQUAL(result.merged,
                  parse(R"({"p":{"pos":{"x":4,"y":7},"hp":2},"w":{"t":2}})"));
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{"/p/hp"});
}

CAF_TEST(objects added on both sides merge as if the base were empty) {
  auto fork = parse(R"({"a":1})");
  auto server = parse(R"({"a":1,"bag":{"sword":1}})");
  auto client = parse(R"({"a":1,"bag":{"shield":1,"sword":2}})");
  auto result = merge_both(fork, server, client,
                           parse(R"({"a":1,"bag":{"shield":1,"sword":2}})"));
  CAF_CHECK_EQUAL(result.merged,
                  parse(R"({"a":1,"bag":{"shield":1,"sword":1}})"));
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{"/bag/sword"});
}

CAF_TEST(conflicting paths come in document order) {
  auto fork = parse(R"({"b":{"z":0,"a":0},"a":[0,0],"c":0})");
  auto server = parse(R"({"b":{"z":1,"a":1},"a":[1,1],"c":1})");
  auto client = parse(R"({"b":{"z":2,"a":2},"a":[2,2],"c":2})");
  auto result = three_way_merge(fork, server, client, false);
  CAF_CHECK_EQUAL(result.merged, server);
  CAF_CHECK_EQUAL(result.conflicting_paths,
                  (paths{"/a/0", "/a/1", "/b/a", "/b/z", "/c"}));
}

// -- arrays -------------------------------------------------------------------

CAF_TEST(same length arrays with disjoint index edits merge) {
  auto fork = parse(R"({"inv":[1,2,3,{"q":1,"n":"a"}]})");
  auto server = parse(R"({"inv":[9,2,3,{"q":5,"n":"a"}]})");
  auto client = parse(R"({"inv":[1,2,8,{"q":1,"n":"b"}]})");
  auto expected = parse(R"({"inv":[9,2,8,{"q":5,"n":"b"}]})");
  auto result = merge_both(fork, server, client, expected);
  CAF_CHECK_EQUAL(result.merged, expected);
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{});
}

CAF_TEST(the same index edited on both sides conflicts at that index) {
  auto fork = parse(R"({"inv":[1,2,3]})");
  auto server = parse(R"({"inv":[1,5,3]})");
  auto client = parse(R"({"inv":[0,6,3]})");
  auto result = merge_both(fork, server, client, parse(R"({"inv":[0,6,3]})"));
  CAF_CHECK_EQUAL(result.merged, parse(R"({"inv":[0,5,3]})"));
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{"/inv/1"});
}

CAF_TEST(a length change with edits on the other side conflicts at the array) {
  auto fork = parse(R"({"inv":[1,2,3],"n":0})");
  auto server = parse(R"({"inv":[1,2,3,4],"n":0})");
  auto client = parse(R"({"inv":[1,7,3],"n":1})");
  auto by_server = three_way_merge(fork, server, client, false);
  CAF_CHECK_EQUAL(by_server.merged, parse(R"({"inv":[1,2,3,4],"n":1})"));
  CAF_CHECK_EQUAL(by_server.conflicting_paths, paths{"/inv"});
  auto by_client = three_way_merge(fork, server, client, true);
  CAF_CHECK_EQUAL(by_client.merged, parse(R"({"inv":[1,7,3],"n":1})"));
  CAF_CHECK_EQUAL(by_client.conflicting_paths, paths{"/inv"});
  // Both sides appended, to the same new length: still not provably disjoint.
  auto appended =
    three_way_merge(parse("[1]"), parse("[1,2]"), parse("[1,3]"), false);
  CAF_CHECK_EQUAL(appended.merged, parse("[1,2]"));
  CAF_CHECK_EQUAL(appended.conflicting_paths, paths{""});
}

CAF_TEST(arrays without an array base conflict at the array) {
  auto fork = parse(R"({"inv":{"0":1}})");
  auto server = parse(R"({"inv":[1,2]})");
  auto client = parse(R"({"inv":[3,4]})");
  auto result = merge_both(fork, server, client, client);
  CAF_CHECK_EQUAL(result.merged, server);
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{"/inv"});
}

// -- roots and pointers -------------------------------------------------------

CAF_TEST(a root type change conflicts at the root) {
  auto fork = parse(R"({"a":1})");
  auto server = parse(R"([1])");
  auto client = parse(R"({"a":2})");
  auto result = merge_both(fork, server, client, client);
  CAF_CHECK_EQUAL(result.merged, server);
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{""});
  // A type change on one side only is simply taken.
  auto one_side = merge_both(fork, server, fork, server);
  CAF_CHECK_EQUAL(one_side.merged, server);
  CAF_CHECK_EQUAL(one_side.conflicting_paths, paths{});
}

CAF_TEST(a null fork merges two new objects) {
  json fork; // a save forked at turn 0
  auto server = parse(R"({"gold":1,"name":"s"})");
  auto client = parse(R"({"level":2,"name":"c"})");
  auto result = merge_both(fork, server, client,
                           parse(R"({"gold":1,"level":2,"name":"c"})"));
  CAF_CHECK_EQUAL(result.merged, parse(R"({"gold":1,"level":2,"name":"s"})"));
  CAF_CHECK_EQUAL(result.conflicting_paths, paths{"/name"});
  // Only one side wrote anything: no conflict.
  auto one_side = merge_both(fork, fork, client, client);
  CAF_CHECK_EQUAL(one_side.merged, client);
  CAF_CHECK_EQUAL(one_side.conflicting_paths, paths{});
  // Two different scalars over a null fork conflict at the root.
  auto scalars = merge_both(fork, json(1.0), json(2.0), json(2.0));
  CAF_CHECK_EQUAL(scalars.merged, json(1.0));
  CAF_CHECK_EQUAL(scalars.conflicting_paths, paths{""});
}

CAF_TEST(keys are escaped as json pointers) {
  auto fork = parse(R"({"a/b":{"c~d":1,"~/":[0,0]},"":1})");
  auto server = parse(R"({"a/b":{"c~d":2,"~/":[1,0]},"":2})");
  auto client = parse(R"({"a/b":{"c~d":3,"~/":[2,0]},"":3})");
  auto result = three_way_merge(fork, server, client, true);
  CAF_CHECK_EQUAL(result.merged, client);
  CAF_CHECK_EQUAL(result.conflicting_paths,
                  (paths{"/", "/a~1b/c~0d", "/a~1b/~0~1/0"}));
  for (const auto& path : result.conflicting_paths) {
    auto ptr = pointer(path);
    CAF_REQUIRE(ptr.has_value());
    CAF_CHECK(result.merged.contains(*ptr));
  }
}

CAF_TEST(merging is deterministic) {
  auto fork = parse(R"({"a":[1,2],"b":{"c":1,"d":2},"e":"x"})");
  auto server = parse(R"({"a":[1,3],"b":{"c":5},"e":"y","f":1})");
  auto client = parse(R"({"a":[4,2],"b":{"c":6,"d":2,"g":0},"e":"z"})");
  auto first = three_way_merge(fork, server, client, true);
  auto second = three_way_merge(fork, server, client, true);
  CAF_CHECK_EQUAL(first.merged, second.merged);
  CAF_CHECK_EQUAL(first.merged.dump(), second.merged.dump());
  CAF_CHECK_EQUAL(first.conflicting_paths, second.conflicting_paths);
  CAF_CHECK_EQUAL(first.merged,
                  parse(R"({"a":[4,3],"b":{"c":6,"g":0},"e":"z","f":1})"));
  CAF_CHECK_EQUAL(first.conflicting_paths, (paths{"/b/c", "/e"}));
}

// -- properties ---------------------------------------------------------------

CAF_TEST(random trees merge one sided and identical changes exactly) {
  tree_source source{20240607u};
  std::size_t checked_conflicts = 0;
  for (int round = 0; round < 500; ++round) {
    auto fork = round % 10 == 0 ? json{} : source.tree(4);
    auto server = source.edit(fork, 4);
    auto client = source.edit(fork, 4);
    for (bool client_wins : {false, true}) {
      // Only the client changed: the merge is the client, no conflicts.
      auto only_client = three_way_merge(fork, fork, client, client_wins);
      CAF_CHECK_EQUAL(only_client.merged, client);
      CAF_CHECK(only_client.conflicting_paths.empty());
      // Only the server changed: the merge is the server.
      auto only_server = three_way_merge(fork, server, fork, client_wins);
      CAF_CHECK_EQUAL(only_server.merged, server);
      CAF_CHECK(only_server.conflicting_paths.empty());
      // Both made the same change: that value, no conflicts.
      auto same = three_way_merge(fork, server, server, client_wins);
      CAF_CHECK_EQUAL(same.merged, server);
      CAF_CHECK(same.conflicting_paths.empty());
    }
    // Independent edits: every conflicting path holds the winner's value,
    // and without conflicts the winner does not matter.
    auto by_client = three_way_merge(fork, server, client, true);
    auto by_server = three_way_merge(fork, server, client, false);
    CAF_CHECK_EQUAL(by_client.conflicting_paths, by_server.conflicting_paths);
    if (by_client.conflicting_paths.empty())
      CAF_CHECK_EQUAL(by_client.merged, by_server.merged);
    for (const auto& path : by_client.conflicting_paths) {
      ++checked_conflicts;
      auto parsed = pointer(path);
      CAF_REQUIRE(parsed.has_value());
      const auto& ptr = *parsed;
      CAF_CHECK_EQUAL(by_client.merged.contains(ptr), client.contains(ptr));
      if (client.contains(ptr) && by_client.merged.contains(ptr))
        CAF_CHECK_EQUAL(by_client.merged.at(ptr), client.at(ptr));
      CAF_CHECK_EQUAL(by_server.merged.contains(ptr), server.contains(ptr));
      if (server.contains(ptr) && by_server.merged.contains(ptr))
        CAF_CHECK_EQUAL(by_server.merged.at(ptr), server.at(ptr));
    }
  }
  // The generator must actually produce overlapping edits.
  CAF_MESSAGE("conflicting paths checked: " << checked_conflicts);
  CAF_CHECK_GREATER(checked_conflicts, 50u);
}

CAF_TEST(conflicting paths are listed within their limits and counted in full) {
  // 1000 leaves under a long nested prefix, every one changed on both
  // sides: each pointer repeats the prefix.
  auto tree = [](double value, std::size_t key_bytes) {
    json leaves = json::object();
    for (int i = 0; i < 1000; ++i)
      leaves["l" + std::to_string(i)] = value;
    for (int depth = 0; depth < 3; ++depth)
      leaves = json{{"K" + std::to_string(depth) + std::string(key_bytes, 'x'),
                     std::move(leaves)}};
    return leaves;
  };
  auto unlimited = conflict_path_limits{1u << 20, std::size_t{1} << 30};
  auto all =
    three_way_merge(tree(0, 10), tree(1, 10), tree(2, 10), false, unlimited);
  CAF_REQUIRE_EQUAL(all.conflicting_paths.size(), 1000u);
  CAF_CHECK(!all.truncated());
  // The default limits: 100 paths at most.
  auto capped = three_way_merge(tree(0, 10), tree(1, 10), tree(2, 10), false);
  CAF_CHECK_EQUAL(capped.conflicting_paths_total, 1000u);
  CAF_CHECK(capped.truncated());
  CAF_REQUIRE_EQUAL(capped.conflicting_paths.size(), 100u);
  // The first paths in document order, and the merge itself is whole.
  CAF_CHECK(std::equal(capped.conflicting_paths.begin(),
                       capped.conflicting_paths.end(),
                       all.conflicting_paths.begin()));
  CAF_CHECK_EQUAL(capped.merged, all.merged);
  // Long pointers: 16 KiB of path text at most.
  auto long_keys =
    three_way_merge(tree(0, 2000), tree(1, 2000), tree(2, 2000), false);
  std::size_t bytes = 0;
  for (const auto& path : long_keys.conflicting_paths)
    bytes += path.size();
  CAF_CHECK_LESS_OR_EQUAL(bytes, std::size_t{16} * 1024);
  CAF_CHECK_EQUAL(long_keys.conflicting_paths.size(), 2u); // 6 KB each
  CAF_CHECK_EQUAL(long_keys.conflicting_paths_total, 1000u);
  // One path longer than the byte limit lists nothing, but still counts.
  auto tiny = three_way_merge(tree(0, 10), tree(1, 10), tree(2, 10), false,
                              conflict_path_limits{100, 8});
  CAF_CHECK(tiny.conflicting_paths.empty());
  CAF_CHECK_EQUAL(tiny.conflicting_paths_total, 1000u);
  CAF_CHECK(tiny.truncated());
}
