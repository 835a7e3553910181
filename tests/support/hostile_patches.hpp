// The hostile JSON Patches of issue 10's findings, built once for every
// test that replays them.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace awf::test {

/// {"k": {"k": … {}}}: `levels` objects nested (depth `levels`).
inline nlohmann::json key_chain(int levels) {
  auto chain = nlohmann::json::object();
  for (int i = 1; i < levels; ++i)
    chain = nlohmann::json{{"k", std::move(chain)}};
  return chain;
}

/// Finding 1: `copies` copies of "/c" (a chain of `levels`) into its own
/// deepest child, each doubling its depth.
inline nlohmann::json self_nesting_copies(int levels, int copies) {
  auto patch = nlohmann::json::array();
  std::size_t depth = static_cast<std::size_t>(levels);
  for (int i = 0; i < copies; ++i, depth *= 2) {
    std::string path = "/c";
    for (std::size_t level = 0; level < depth; ++level)
      path += "/k";
    patch.push_back({{"op", "copy"}, {"from", "/c"}, {"path", path}});
  }
  return patch;
}

/// Finding 2: `add /d {"": 0}`, then `copies` copies of /d into a new
/// member of itself, each doubling its size.
inline nlohmann::json self_doubling_copies(int copies) {
  auto patch = nlohmann::json::array(
    {{{"op", "add"}, {"path", "/d"}, {"value", {{"", 0.0}}}}});
  for (int i = 0; i < copies; ++i)
    patch.push_back(
      {{"op", "copy"}, {"from", "/d"}, {"path", "/d/" + std::to_string(i)}});
  return patch;
}

/// `[0, 1, …, n - 1]`.
inline nlohmann::json long_array(int n) {
  auto array = nlohmann::json::array();
  for (int i = 0; i < n; ++i)
    array.push_back(i);
  return array;
}

/// Finding 3 (issue 11): `count` times the same operation, each of which
/// moves or scans most of a large state: `add /0` on a long array, a
/// `replace` of its last element, a `move` from its front to its end.
inline nlohmann::json repeated(const nlohmann::json& operation, int count) {
  auto patch = nlohmann::json::array();
  for (int i = 0; i < count; ++i)
    patch.push_back(operation);
  return patch;
}

} // namespace awf::test
