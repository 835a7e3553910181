#include "tools/load/reply_fields.hpp"

#include <cmath>

#include "core/canonical_json.hpp"

namespace awf::load {

using json = nlohmann::json;

json parse_frame(const std::string& text, bool keep_patches) {
  if (keep_patches)
    return json::parse(text, nullptr, false);
  // Depth of the "patch" array being skipped, or -1; `patch_key` notes
  // that the member just named is a turn's "patch" (a member of an object
  // in a top-level array: {"turns": [{"patch": …}]}).
  constexpr int turn_member_depth = 3;
  int patch_depth = -1;
  bool patch_key = false;
  json::parser_callback_t skip_patches =
    [&](int depth, json::parse_event_t event, json& parsed) {
      if (patch_depth >= 0) {
        if (event == json::parse_event_t::array_end && depth == patch_depth) {
          patch_depth = -1;
          return true;
        }
        return false; // inside the patch: build nothing
      }
      if (event == json::parse_event_t::key) {
        patch_key = depth == turn_member_depth && parsed.is_string() &&
                    parsed.get_ref<const std::string&>() == "patch";
        return true;
      }
      if (event == json::parse_event_t::array_start && patch_key)
        patch_depth = depth;
      patch_key = false;
      return true;
    };
  return json::parse(text, skip_patches, false);
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
