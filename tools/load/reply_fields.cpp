#include "tools/load/reply_fields.hpp"

#include <cmath>

#include "core/canonical_json.hpp"
#include "core/json_budget.hpp"
#include "core/json_document.hpp"

namespace awf::load {

using json = nlohmann::json;

namespace {

/// The tree of `value`; the load tester reads only frames of its own
/// server, so no budget applies.
json tree_of(const core::json_view& value) {
  auto unlimited = core::json_budget::unlimited();
  auto tree = value.to_json(unlimited);
  return tree ? std::move(*tree) : json(json::value_t::discarded);
}

/// A turn of a "turns" array with its "patch" left empty.
json turn_without_patch(const core::json_view& turn) {
  if (!turn.is_object())
    return tree_of(turn);
  auto out = json::object();
  turn.for_each_member([&](std::string_view key, core::json_view value) {
    out[std::string{key}] =
      key == "patch" && value.is_array() ? json::array() : tree_of(value);
  });
  return out;
}

} // namespace

json parse_frame(const std::string& text, bool keep_patches) {
  // simdjson's index, then a tree of what the checks read: far cheaper
  // than a nlohmann parse of the whole frame.
  auto document = core::json_document::parse(text);
  if (!document)
    return json(json::value_t::discarded);
  auto root = document->root();
  if (keep_patches || !root.is_object())
    return tree_of(root);
  auto out = json::object();
  root.for_each_member([&](std::string_view key, core::json_view value) {
    if (key != "turns" || !value.is_array()) {
      out[std::string{key}] = tree_of(value);
      return;
    }
    auto turns = json::array();
    value.for_each_element(
      [&](core::json_view turn) { turns.push_back(turn_without_patch(turn)); });
    out["turns"] = std::move(turns);
  });
  return out;
}

const json* member(const json& object, const char* key) {
  if (!object.is_object())
    return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<std::string> string_member(const json& object, const char* key) {
  auto* value = member(object, key);
  if (value == nullptr || !value->is_string())
    return std::nullopt;
  return value->get<std::string>();
}

std::optional<std::int64_t> as_integer(const json& value) {
  if (value.is_number_integer())
    return value.get<std::int64_t>();
  if (value.is_number_float()) {
    double d = value.get<double>();
    if (std::trunc(d) == d && std::abs(d) < 9.0e15)
      return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<std::int64_t> integer_member(const json& object,
                                           const char* key) {
  auto* value = member(object, key);
  return value == nullptr ? std::nullopt : as_integer(*value);
}

std::string head_text(const core::chain_head& head) {
  return "{" + std::to_string(head.turn_id) + ", " + head.chain_hash + "}";
}

std::string hash_of(const json& state) {
  // One buffer per I/O thread: states are about the same size every turn.
  thread_local std::string canonical;
  canonical.clear();
  core::canonicalize_to(state, canonical);
  return core::state_hash(canonical);
}

} // namespace awf::load
