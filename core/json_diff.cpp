// RFC 6902 diff: walks two JSON values side by side and emits the operations
// that turn the first into the second. Only add, remove and replace are
// emitted, so any RFC 6902 implementation applies the result.
#include "core/json_patch.hpp"

#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/canonical_json.hpp"
#include "core/json_array_diff.hpp"

namespace awf::core {

namespace {

using json = nlohmann::json;

/// Collects the operations of one diff. `path_` is the pointer of the pair
/// being compared; it grows and shrinks in place rather than being rebuilt
/// per node.
class differ {
public:
  json take_ops() && { return std::move(ops_); }

  void compare(const json& from, const json& to) {
    if (from.is_object() && to.is_object())
      compare_objects(from.get_ref<const json::object_t&>(),
                      to.get_ref<const json::object_t&>());
    else if (from.is_array() && to.is_array())
      compare_arrays(from.get_ref<const json::array_t&>(),
                     to.get_ref<const json::array_t&>());
    else if (from != to)
      emit("replace", &to);
  }

private:
  /// Members of `from` are replaced, recursed into or removed in key order,
  /// then the members only `to` has are added. Both maps are sorted, so one
  /// merging pass pairs the members without a lookup per key.
  void compare_objects(const json::object_t& from, const json::object_t& to) {
    const auto less = from.key_comp();
    std::vector<const json::object_t::value_type*> added;
    auto it = from.begin();
    auto match = to.begin();
    while (it != from.end() || match != to.end()) {
      if (match == to.end() ||
          (it != from.end() && less(it->first, match->first))) {
        under(it->first, [&] { emit("remove", nullptr); });
        ++it;
      } else if (it == from.end() || less(match->first, it->first)) {
        added.push_back(&*match);
        ++match;
      } else {
        under(it->first, [&] { compare(it->second, match->second); });
        ++it;
        ++match;
      }
    }
    for (const auto* member : added)
      under(member->first, [&] { emit("add", &member->second); });
  }

  /// Edits hunk by hunk, in ascending order; the equal elements between
  /// hunks stay untouched. At the start of a hunk the partly patched array
  /// holds to[0, to_begin) followed by the rest of `from`, so its current
  /// index is `to_begin`. Within a hunk, elements present on both sides are
  /// compared in place (an element changed in place becomes an edit deep
  /// inside it); the surplus is removed (highest index first) or inserted
  /// (ascending).
  void compare_arrays(const json::array_t& from, const json::array_t& to) {
    for (const auto& hunk : align_arrays(from, to)) {
      const auto shared = std::min(hunk.from_count, hunk.to_count);
      const auto at = hunk.to_begin;
      for (std::size_t i = 0; i < shared; ++i)
        under(std::to_string(at + i), [&] {
          compare_in_place(from[hunk.from_begin + i], to[hunk.to_begin + i]);
        });
      for (auto i = at + hunk.from_count; i-- > at + shared;)
        under(std::to_string(i), [&] { emit("remove", nullptr); });
      for (auto i = shared; i < hunk.to_count; ++i)
        under(std::to_string(at + i),
              [&] { emit("add", &to[hunk.to_begin + i]); });
    }
  }

  /// Compares two array elements that met at one position. Unlike members
  /// of one key they may be unrelated values, so when the nested edits come
  /// out longer than the new element, one `replace` is emitted instead.
  void compare_in_place(const json& from, const json& to) {
    const auto first = ops_list().size();
    compare(from, to);
    if (ops_list().size() - first < 2)
      return;
    std::size_t nested_size = 0;
    for (auto i = first; i < ops_list().size(); ++i)
      nested_size += ops_list()[i].dump().size();
    auto whole = make_op("replace", &to);
    if (whole.dump().size() < nested_size) {
      ops_list().resize(first);
      ops_list().push_back(std::move(whole));
    }
  }

  /// Runs `step` with `token` appended to the current path.
  template<class Step>
  void under(std::string_view token, Step&& step) {
    const auto size = path_.size();
    append_pointer_token(path_, token);
    step();
    path_.resize(size);
  }

  json make_op(const char* op, const json* value) const {
    json entry = {{"op", op}, {"path", path_}};
    if (value != nullptr)
      entry["value"] = *value;
    return entry;
  }

  void emit(const char* op, const json* value) {
    ops_list().push_back(make_op(op, value));
  }

  json::array_t& ops_list() { return ops_.get_ref<json::array_t&>(); }

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
