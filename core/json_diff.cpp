// RFC 6902 diff: walks two JSON values side by side and emits the operations
// that turn the first into the second. Only add, remove and replace are
// emitted, so any RFC 6902 implementation applies the result.
#include "core/json_patch.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>

namespace awf::core {

namespace {

using json = nlohmann::json;

/// Appends `token` to a pointer with RFC 6901 escapes: '~' first becomes
/// "~0" so that the "~1" written for '/' is not escaped twice.
void append_token(std::string& path, std::string_view token) {
  path += '/';
  for (char c : token) {
    if (c == '~')
      path += "~0";
    else if (c == '/')
      path += "~1";
    else
      path += c;
  }
}

/// Collects the operations of one diff. `path_` is the pointer of the pair
/// being compared; it grows and shrinks in place rather than being rebuilt
/// per node.
class differ {
public:
  json take_ops() && { return std::move(ops_); }

  void compare(const json& from, const json& to) {
    if (from.is_object() && to.is_object())
      compare_objects(from, to);
    else if (from.is_array() && to.is_array())
      compare_arrays(from, to);
    else if (from != to)
      emit("replace", &to);
  }

private:
  void compare_objects(const json& from, const json& to) {
    for (auto it = from.begin(); it != from.end(); ++it) {
      auto match = to.find(it.key());
      under(it.key(), [&] {
        if (match == to.end())
          emit("remove", nullptr);
        else
          compare(*it, *match);
      });
    }
    for (auto it = to.begin(); it != to.end(); ++it)
      if (!from.contains(it.key()))
        under(it.key(), [&] { emit("add", &*it); });
  }

  /// Trims the common prefix and suffix, then edits the middle. Positions
  /// present in both middles are compared in place; the surplus is removed
  /// (highest index first, so lower indices stay put) or inserted (ascending,
  /// each in front of the common suffix). An insert or delete anywhere in a
  /// long array therefore costs one operation.
  void compare_arrays(const json& from, const json& to) {
    const std::size_t from_size = from.size();
    const std::size_t to_size = to.size();
    std::size_t prefix = 0;
    while (prefix < from_size && prefix < to_size && from[prefix] == to[prefix])
      ++prefix;
    std::size_t suffix = 0;
    while (suffix < from_size - prefix && suffix < to_size - prefix &&
           from[from_size - 1 - suffix] == to[to_size - 1 - suffix])
      ++suffix;
    const std::size_t from_middle = from_size - prefix - suffix;
    const std::size_t to_middle = to_size - prefix - suffix;
    const std::size_t shared = std::min(from_middle, to_middle);
    for (std::size_t i = prefix; i < prefix + shared; ++i)
      under(std::to_string(i), [&] { compare(from[i], to[i]); });
    for (std::size_t i = prefix + from_middle; i-- > prefix + to_middle;)
      under(std::to_string(i), [&] { emit("remove", nullptr); });
    for (std::size_t i = prefix + from_middle; i < prefix + to_middle; ++i)
      under(std::to_string(i), [&] { emit("add", &to[i]); });
  }

  /// Runs `step` with `token` appended to the current path.
  template<class Step>
  void under(std::string_view token, Step&& step) {
    const auto size = path_.size();
    append_token(path_, token);
    step();
    path_.resize(size);
  }

  void emit(const char* op, const json* value) {
    json entry = {{"op", op}, {"path", path_}};
    if (value != nullptr)
      entry["value"] = *value;
    ops_.push_back(std::move(entry));
  }

  std::string path_;
  json ops_ = json::array();
};

} // namespace

json diff(const json& from, const json& to) {
  differ walk;
  walk.compare(from, to);
  return std::move(walk).take_ops();
}

} // namespace awf::core
