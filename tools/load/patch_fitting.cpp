#include "tools/load/patch_fitting.hpp"

#include <charconv>
#include <optional>
#include <string>

namespace awf::load {

namespace {

using json = nlohmann::json;
using pointer = json::json_pointer;

std::optional<std::size_t> array_index(const std::string& token) {
  std::size_t index = 0;
  auto end = token.data() + token.size();
  auto [last, ec] = std::from_chars(token.data(), end, index);
  if (token.empty() || ec != std::errc{} || last != end)
    return std::nullopt;
  return index;
}

/// Applies one operation if it fits; returns it as applied, or null.
json apply_one(json& state, const json& op) {
  if (!op.is_object() || !op.contains("op") || !op.contains("path") ||
      !op["op"].is_string() || !op["path"].is_string())
    return nullptr;
  const auto& name = op["op"].get_ref<const std::string&>();
  bool add = name == "add";
  if (!add && name != "remove" && name != "replace")
    return nullptr;
  if ((add || name == "replace") && !op.contains("value"))
    return nullptr;
  pointer path;
  try {
    path = pointer{op["path"].get<std::string>()};
  } catch (const json::exception&) {
    return nullptr;
  }
  if (path.empty()) {
    if (name == "remove")
      return nullptr;
    state = op["value"];
    return op;
  }
  auto key = path.back();
  auto parent_path = path.parent_pointer();
  if (!state.contains(parent_path))
    return nullptr;
  auto& parent = state[parent_path];
  json applied = op;
  if (parent.is_object()) {
    if (!add && !parent.contains(key))
      return nullptr;
    if (name == "remove")
      parent.erase(key);
    else
      parent[key] = op["value"];
    return applied;
  }
  if (!parent.is_array())
    return nullptr;
  auto size = parent.size();
  auto index = key == "-" && add ? std::optional{size} : array_index(key);
  if (!index)
    return nullptr;
  if (add) {
    index = std::min(*index, size);
    parent.insert(parent.begin() + static_cast<std::ptrdiff_t>(*index),
                  op["value"]);
  } else {
    if (size == 0)
      return nullptr;
    index = *index % size;
    if (name == "remove")
      parent.erase(*index);
    else
      parent[*index] = op["value"];
  }
  applied["path"] = (parent_path / *index).to_string();
  return applied;
}

} // namespace

json apply_fitting_operations(json& state, const json& patch) {
  auto applied = json::array();
  if (!patch.is_array())
    return applied;
  for (const auto& op : patch)
    if (auto done = apply_one(state, op); !done.is_null())
      applied.push_back(std::move(done));
  return applied;
}

} // namespace awf::load
