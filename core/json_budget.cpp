#include "core/json_budget.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace awf::core {

namespace {

using json = nlohmann::json;

/// glibc: a chunk holds the request plus an 8-byte size field, aligned to
/// 16, and is never smaller than 32 bytes.
constexpr std::size_t malloc_header = 8;
constexpr std::size_t malloc_align = 16;
constexpr std::size_t malloc_min_block = 32;

/// libstdc++ keeps up to 15 characters inside the std::string itself.
constexpr std::size_t sso_capacity = 15;

/// A std::map node: colour and three links, then the (key, value) pair.
constexpr std::size_t map_node_bytes =
  sizeof(int) + 3 * sizeof(void*) + sizeof(json::object_t::value_type);

constexpr std::size_t slot_bytes = sizeof(json);

} // namespace

namespace json_cost {

std::size_t heap_block(std::size_t bytes) noexcept {
  auto block = (bytes + malloc_header + malloc_align - 1) & ~(malloc_align - 1);
  return block < malloc_min_block ? malloc_min_block : block;
}

std::size_t string_buffer(std::size_t capacity) noexcept {
  return capacity > sso_capacity ? heap_block(capacity + 1) : 0;
}

std::size_t own_bytes(const json& value) noexcept {
  switch (value.type()) {
    case json::value_t::string:
      return heap_block(sizeof(json::string_t)) +
             string_buffer(value.get_ref<const json::string_t&>().size());
    case json::value_t::array: {
      auto n = value.get_ref<const json::array_t&>().size();
      return heap_block(sizeof(json::array_t)) +
             (n == 0 ? 0 : heap_block(n * slot_bytes));
    }
    case json::value_t::object: return heap_block(sizeof(json::object_t));
    case json::value_t::binary:
      return heap_block(sizeof(json::binary_t)) +
             heap_block(value.get_ref<const json::binary_t&>().size());
    default: return 0;
  }
}

std::size_t member_bytes(std::string_view key) noexcept {
  return heap_block(map_node_bytes) + string_buffer(key.size());
}

std::size_t tree_bytes(const json& value) {
  json_budget budget = json_budget::unlimited();
  charge_copy(value, 0, budget);
  return budget.spent_bytes();
}

} // namespace json_cost

json_budget::json_budget(std::size_t max_bytes, std::size_t max_depth) noexcept
  : max_bytes_(max_bytes), max_nodes_(max_bytes / slot_bytes),
    max_depth_(max_depth) {}

json_budget json_budget::for_text(std::size_t text_bytes) noexcept {
  if (text_bytes >
      (std::numeric_limits<std::size_t>::max() - parse_floor_bytes) /
        bytes_per_text_byte)
    return unlimited();
  return json_budget{parse_floor_bytes + bytes_per_text_byte * text_bytes};
}

json_budget json_budget::for_state(std::size_t max_state_bytes) noexcept {
  constexpr auto most = std::numeric_limits<std::size_t>::max();
  if (max_state_bytes >
      most / std::max(edit_units_per_state_byte, copy_bytes_per_state_byte))
    return unlimited();
  json_budget budget{copy_bytes_per_state_byte * max_state_bytes};
  budget.max_edit_units_ =
    std::max(edit_floor_units, edit_units_per_state_byte * max_state_bytes);
  return budget;
}

json_budget json_budget::unlimited() noexcept {
  json_budget budget{std::numeric_limits<std::size_t>::max()};
  budget.max_nodes_ = std::numeric_limits<std::size_t>::max();
  return budget;
}

bool json_budget::charge(std::size_t bytes, std::size_t nodes) noexcept {
  if (exhausted_ || bytes > max_bytes_ - spent_bytes_ ||
      nodes > max_nodes_ - spent_nodes_) {
    exhausted_ = true;
    return false;
  }
  spent_bytes_ += bytes;
  spent_nodes_ += nodes;
  return true;
}

bool json_budget::charge_edit(std::size_t units) noexcept {
  if (exhausted_ || units > max_edit_units_ - spent_edit_units_) {
    edits_exhausted_ = edits_exhausted_ || !exhausted_;
    exhausted_ = true;
    return false;
  }
  spent_edit_units_ += units;
  return true;
}

namespace {

/// Walks `value` depth first with an explicit stack, calling
/// `charge(node, key)` for each node (`key` is null for the root and for
/// array elements). Stops at the first node nested deeper than the budget
/// allows below `levels_above` containers, or at the first failed charge.
template<class Charge>
copy_charge walk(const json& value, std::size_t levels_above,
                 json_budget& budget, Charge charge) {
  struct frame {
    json::const_iterator next;
    json::const_iterator end;
    bool object;
  };
  auto max_depth = budget.max_depth();
  if (levels_above > max_depth)
    return copy_charge::too_deep;
  std::vector<frame> stack;
  // Enters `node`: charges it and, for a container, pushes its children.
  auto enter = [&](const json& node, const std::string* key) {
    if (!charge(node, key))
      return copy_charge::too_large;
    if (node.is_array() || node.is_object()) {
      if (levels_above + stack.size() + 1 > max_depth)
        return copy_charge::too_deep;
      if (!node.empty())
        stack.push_back({node.cbegin(), node.cend(), node.is_object()});
    }
    return copy_charge::ok;
  };
  if (auto entered = enter(value, nullptr); entered != copy_charge::ok)
    return entered;
  while (!stack.empty()) {
    auto& top = stack.back();
    if (top.next == top.end) {
      stack.pop_back();
      continue;
    }
    auto it = top.next++;
    const std::string* key = top.object ? &it.key() : nullptr;
    if (auto entered = enter(*it, key); entered != copy_charge::ok)
      return entered;
  }
  return copy_charge::ok;
}

} // namespace

copy_charge charge_copy(const json& value, std::size_t levels_above,
                        json_budget& budget) {
  return walk(value, levels_above, budget,
              [&](const json& node, const std::string* key) {
                auto bytes = json_cost::own_bytes(node);
                if (key != nullptr)
                  bytes += json_cost::member_bytes(*key);
                return budget.charge(bytes, 1);
              });
}

copy_charge charge_depth_walk(const json& value, std::size_t levels_above,
                              json_budget& budget) {
  return walk(
    value, levels_above, budget,
    [&](const json&, const std::string*) { return budget.charge(0, 1); });
}

} // namespace awf::core
