// RFC 6902 patch application: parses each operation, resolves its RFC 6901
// pointers and applies it to one private copy of the document, so a failing
// operation leaves the caller's document untouched. The diff side lives in
// json_diff.cpp.
#include "core/json_patch.hpp"

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json_budget.hpp"

namespace awf::core {

namespace {

using json = nlohmann::json;

/// The unescaped reference tokens of a JSON Pointer; empty for the root.
using pointer = std::vector<std::string>;

/// The six RFC 6902 operations.
enum class op_kind { add, remove, replace, move, copy, test };

/// One operation with its members checked. Refers into the patch, which
/// outlives it, so parsing copies no values.
struct operation {
  op_kind kind;
  std::string_view name;
  std::string_view path_text;
  pointer path;
  std::string_view from_text;
  pointer from;
  const json* value = nullptr;
};

error invalid(std::string reason) {
  return error{errc::invalid_patch, std::move(reason)};
}

/// Longest quotation of a pointer or key in an error message.
constexpr std::size_t max_quoted_bytes = 100;

/// Quotes `text` as a JSON string for messages, cut to `max_quoted_bytes`
/// (a client's pointer may be megabytes long). Replaces invalid UTF-8
/// rather than throwing, since keys built in code need not be valid and the
/// cut may split a character.
std::string json_string(std::string_view text) {
  bool cut = text.size() > max_quoted_bytes;
  auto quoted = json(std::string{text.substr(0, max_quoted_bytes)})
                  .dump(-1, ' ', false, json::error_handler_t::replace);
  return cut ? quoted + "..." : quoted;
}

/// Prefixes `cause` with the pointer it is about: `path "/a": no member "a"`.
error at(std::string_view field, std::string_view text, const error& cause) {
  return error{cause.code, std::string{field} + ' ' + json_string(text) + ": " +
                             cause.message};
}

/// The error of a patch whose edits passed `budget`'s edit work.
error edits_too_costly(const json_budget& budget) {
  return error{errc::payload_too_large,
               "the patch's edits cost more than " +
                 std::to_string(budget.max_edit_units()) +
                 " units of work in all (a byte scanned is one; each insert "
                 "into or removal from an array moves what follows); send "
                 "the state whole"};
}

/// Charges the array slots that inserting or erasing at `pos` of `array`
/// shifts.
status charge_shift(const json& array, std::size_t pos, json_budget& budget) {
  if (!budget.charge_edit((array.size() - pos + 1) *
                          json_budget::edit_units_per_array_slot))
    return edits_too_costly(budget);
  return ok_status();
}

// -- pointers -----------------------------------------------------------------

/// Parses an array index token: "0" or digits without a leading zero.
/// Everything else ("-", "01", "1e0", "+1") is no index. Indices too large
/// for size_t saturate, so the caller reports them as out of range.
std::optional<std::size_t> parse_index(std::string_view token) {
  if (token.empty() || (token.size() > 1 && token.front() == '0'))
    return std::nullopt;
  for (char c : token)
    if (c < '0' || c > '9')
      return std::nullopt;
  std::size_t index = 0;
  auto [end, ec] =
    std::from_chars(token.data(), token.data() + token.size(), index);
  if (ec == std::errc::result_out_of_range)
    return SIZE_MAX;
  return index;
}

/// Returns the position `token` names in `array`. With `for_insert`, "-" and
/// size() name the end (RFC 6902 add); otherwise the element must exist.
result<std::size_t> array_position(const json& array, std::string_view token,
                                   bool for_insert) {
  if (for_insert && token == "-")
    return array.size();
  auto index = parse_index(token);
  if (!index)
    return invalid(json_string(token) + " is not an array index");
  if (for_insert ? *index > array.size() : *index >= array.size())
    return invalid("index " + std::string{token} +
                   " is out of range for an array of " +
                   std::to_string(array.size()) + " elements");
  return *index;
}

/// Returns the member or element `token` names inside `node`.
result<json*> child_of(json& node, const std::string& token) {
  if (node.is_object()) {
    auto it = node.find(token);
    if (it == node.end())
      return invalid("no member " + json_string(token));
    return &*it;
  }
  if (node.is_array()) {
    auto pos = array_position(node, token, false);
    if (!pos)
      return pos.error();
    return &node[*pos];
  }
  return invalid("cannot look up " + json_string(token) + " in a " +
                 node.type_name());
}

/// Returns the value `tokens` points to inside `root`, or why none exists.
result<json*> resolve(json& root, std::span<const std::string> tokens) {
  json* node = &root;
  for (const auto& token : tokens) {
    auto child = child_of(*node, token);
    if (!child)
      return child.error();
    node = *child;
  }
  return node;
}

/// Returns the container holding the value `path` points to.
result<json*> resolve_parent(json& root, const pointer& path) {
  return resolve(root, std::span{path}.first(path.size() - 1));
}

/// True when `inner` lies strictly below `outer`.
bool is_strictly_inside(const pointer& inner, const pointer& outer) {
  return inner.size() > outer.size() &&
         std::equal(outer.begin(), outer.end(), inner.begin());
}

// -- the primitive edits ------------------------------------------------------

/// Puts `value` at `path`: sets an object member, inserts into an array, or
/// replaces the whole document for the root pointer.
status add_value(json& doc, const pointer& path, json value,
                 json_budget& budget) {
  if (path.empty()) {
    doc = std::move(value);
    return ok_status();
  }
  auto parent = resolve_parent(doc, path);
  if (!parent)
    return parent.error();
  json& container = **parent;
  const std::string& key = path.back();
  if (container.is_object()) {
    container[key] = std::move(value);
    return ok_status();
  }
  if (container.is_array()) {
    auto pos = array_position(container, key, true);
    if (!pos)
      return pos.error();
    if (auto shift = charge_shift(container, *pos, budget); !shift)
      return shift;
    container.insert(container.begin() + static_cast<std::ptrdiff_t>(*pos),
                     std::move(value));
    return ok_status();
  }
  return invalid("cannot add " + json_string(key) + " to a " +
                 container.type_name());
}

/// Removes the value at `path` and hands it back, moved rather than copied.
result<json> take_value(json& doc, const pointer& path, json_budget& budget) {
  if (path.empty())
    return invalid("cannot remove the whole document");
  auto parent = resolve_parent(doc, path);
  if (!parent)
    return parent.error();
  json& container = **parent;
  const std::string& key = path.back();
  if (container.is_object()) {
    auto it = container.find(key);
    if (it == container.end())
      return invalid("no member " + json_string(key));
    json value = std::move(*it);
    container.erase(it);
    return value;
  }
  if (container.is_array()) {
    auto pos = array_position(container, key, false);
    if (!pos)
      return pos.error();
    if (auto shift = charge_shift(container, *pos, budget); !shift)
      return shift.error();
    json value = std::move(container[*pos]);
    container.erase(*pos);
    return value;
  }
  return invalid("cannot remove " + json_string(key) + " from a " +
                 container.type_name());
}

/// Cuts `text` to a length fit for an error message.
std::string brief(const json& value) {
  constexpr std::size_t limit = 60;
  auto text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

// -- operations ---------------------------------------------------------------

/// Everything an operation may spend: the budget of the whole patch.
struct patch_limits {
  json_budget& budget;
  std::size_t max_state_bytes;
  /// True when the caller handed the patch over: `add` and `replace` then
  /// move their values out of it instead of copying them.
  bool consume_values = false;
};

/// The value of `op` to put into the document: moved out of the patch when
/// the caller handed it over (the patch object is then not const), copied
/// otherwise.
json take_op_value(const operation& op, const patch_limits& limits) {
  if (limits.consume_values)
    return std::move(const_cast<json&>(*op.value));
  return *op.value;
}

error too_deep(const operation& op) {
  return error{errc::invalid_json,
               "the value at path " + json_string(op.path_text) +
                 " would be nested deeper than " +
                 std::to_string(max_json_depth) + " levels"};
}

error too_large(const patch_limits& limits) {
  if (limits.budget.edits_exhausted())
    return edits_too_costly(limits.budget);
  return error{
    errc::payload_too_large,
    "the patch copies more than " + std::to_string(limits.budget.max_bytes()) +
      " bytes of memory (the bound for a state of at most " +
      std::to_string(limits.max_state_bytes) + " bytes); send the state whole"};
}

/// A move whose depth walks passed the budget's node bound: moving
/// allocates nothing, so the copy message would mislead.
error walks_too_much(const patch_limits& limits) {
  return error{errc::payload_too_large,
               "the patch moves values deeper that hold more than " +
                 std::to_string(limits.budget.max_nodes()) +
                 " nodes in all (the bound for a state of at most " +
                 std::to_string(limits.max_state_bytes) +
                 " bytes); send the state whole"};
}

/// Maps a failed charge to the operation's error.
status charged(copy_charge outcome, const operation& op,
               const patch_limits& limits) {
  switch (outcome) {
    case copy_charge::ok: return ok_status();
    case copy_charge::too_deep: return too_deep(op);
    case copy_charge::too_large:
      return op.kind == op_kind::move && !limits.budget.edits_exhausted()
               ? walks_too_much(limits)
               : too_large(limits);
  }
  return too_large(limits);
}

/// Checks that a value from the patch itself fits at `op.path` within the
/// depth limit. Each such value is walked and copied once, so its cost is
/// bounded by the patch (whose parse was charged) and takes no budget.
status check_patch_value(const operation& op, const patch_limits& limits) {
  auto walk_budget = json_budget::unlimited();
  return charged(charge_depth_walk(*op.value, op.path.size(), walk_budget), op,
                 limits);
}

/// Charges the budget for a copy of `value` (a value of the document) put
/// at `op.path`, before it is made: every node and byte, and the new member
/// or element itself.
status charge_copy_to(const json& value, const operation& op,
                      patch_limits& limits) {
  if (auto ok =
        charged(charge_copy(value, op.path.size(), limits.budget), op, limits);
      !ok)
    return ok;
  auto slot = op.path.empty()
                ? 0
                : std::max(json_cost::member_bytes(op.path.back()),
                           json_cost::array_element_bytes);
  if (!limits.budget.charge(slot))
    return too_large(limits);
  return ok_status();
}

status apply_add(json& doc, const operation& op, patch_limits& limits) {
  if (auto fits = check_patch_value(op, limits); !fits)
    return fits;
  if (auto added =
        add_value(doc, op.path, take_op_value(op, limits), limits.budget);
      !added)
    return at("path", op.path_text, added.error());
  return ok_status();
}

status apply_remove(json& doc, const operation& op, patch_limits& limits) {
  if (auto taken = take_value(doc, op.path, limits.budget); !taken)
    return at("path", op.path_text, taken.error());
  return ok_status();
}

status apply_replace(json& doc, const operation& op, patch_limits& limits) {
  auto target = resolve(doc, op.path);
  if (!target)
    return at("path", op.path_text, target.error());
  if (auto fits = check_patch_value(op, limits); !fits)
    return fits;
  **target = take_op_value(op, limits);
  return ok_status();
}

/// RFC 6902 move: remove at `from`, then add at `path`, so `path` indices
/// refer to the document after the removal. Moving allocates nothing, but a
/// value moved deeper than it was may pass the depth limit: that is checked
/// by a walk whose nodes count against the budget (the walk is the work).
status apply_move(json& doc, const operation& op, patch_limits& limits) {
  if (is_strictly_inside(op.path, op.from))
    return invalid("cannot move " + json_string(op.from_text) +
                   " into its own child " + json_string(op.path_text));
  if (op.path == op.from) {
    // A no-op, but the source must still exist.
    if (auto source = resolve(doc, op.from); !source)
      return at("from", op.from_text, source.error());
    return ok_status();
  }
  if (op.path.size() > op.from.size()) {
    auto source = resolve(doc, op.from);
    if (!source)
      return at("from", op.from_text, source.error());
    if (auto fits =
          charged(charge_depth_walk(**source, op.path.size(), limits.budget),
                  op, limits);
        !fits)
      return fits;
  }
  auto value = take_value(doc, op.from, limits.budget);
  if (!value)
    return at("from", op.from_text, value.error());
  if (auto added = add_value(doc, op.path, std::move(*value), limits.budget);
      !added)
    return at("path", op.path_text, added.error());
  return ok_status();
}

/// RFC 6902 copy. Copying a value into itself doubles it: the budget is
/// charged for every node before the copy is made.
status apply_copy(json& doc, const operation& op, patch_limits& limits) {
  auto source = resolve(doc, op.from);
  if (!source)
    return at("from", op.from_text, source.error());
  if (auto fits = charge_copy_to(**source, op, limits); !fits)
    return fits;
  if (auto added = add_value(doc, op.path, **source, limits.budget); !added)
    return at("path", op.path_text, added.error());
  return ok_status();
}

/// RFC 6902 test. nlohmann's equality already is JSON equality: objects
/// ignore member order and numbers compare by value across integer and
/// floating-point storage, so 1 equals 1.0.
status apply_test(json& doc, const operation& op) {
  auto target = resolve(doc, op.path);
  if (!target)
    return at("path", op.path_text, target.error());
  if (**target != *op.value)
    return invalid("test failed: " + json_string(op.path_text) + " is " +
                   brief(**target) + ", not " + brief(*op.value));
  return ok_status();
}

status apply_operation(json& doc, const operation& op, patch_limits& limits) {
  switch (op.kind) {
    case op_kind::add: return apply_add(doc, op, limits);
    case op_kind::remove: return apply_remove(doc, op, limits);
    case op_kind::replace: return apply_replace(doc, op, limits);
    case op_kind::move: return apply_move(doc, op, limits);
    case op_kind::copy: return apply_copy(doc, op, limits);
    case op_kind::test: return apply_test(doc, op);
  }
  return invalid("unknown op");
}

// -- parsing operations -------------------------------------------------------

std::optional<op_kind> parse_kind(std::string_view name) {
  if (name == "add")
    return op_kind::add;
  if (name == "remove")
    return op_kind::remove;
  if (name == "replace")
    return op_kind::replace;
  if (name == "move")
    return op_kind::move;
  if (name == "copy")
    return op_kind::copy;
  if (name == "test")
    return op_kind::test;
  return std::nullopt;
}

/// Reads the required string member `key` of `op`.
result<std::string_view> string_member(const json& op, const char* key) {
  auto it = op.find(key);
  if (it == op.end())
    return invalid(std::string{"missing '"} + key + "'");
  if (!it->is_string())
    return invalid('\'' + std::string{key} + "' is a " + it->type_name() +
                   ", not a string");
  return std::string_view{it->get_ref<const std::string&>()};
}

/// Reads the required pointer member `key` of `op` into `text` and `tokens`.
status pointer_member(const json& op, const char* key, std::string_view& text,
                      pointer& tokens) {
  auto member = string_member(op, key);
  if (!member)
    return member.error();
  text = *member;
  auto parsed = parse_json_pointer(text);
  if (!parsed)
    return at(key, text, parsed.error());
  tokens = std::move(*parsed);
  return ok_status();
}

/// Checks that `op` is a well-formed operation; does not look at the
/// document. Unknown members are ignored, as RFC 6902 section 4 requires.
result<operation> parse_operation(const json& op) {
  if (!op.is_object())
    return invalid(std::string{"is a "} + op.type_name() + ", not an object");
  auto name = string_member(op, "op");
  if (!name)
    return name.error();
  auto kind = parse_kind(*name);
  if (!kind)
    return invalid("unknown op " + json_string(*name));
  operation parsed{*kind, *name, {}, {}, {}, {}, nullptr};
  if (auto path = pointer_member(op, "path", parsed.path_text, parsed.path);
      !path)
    return path.error();
  if (*kind == op_kind::move || *kind == op_kind::copy) {
    if (auto from = pointer_member(op, "from", parsed.from_text, parsed.from);
        !from)
      return from.error();
  }
  if (*kind == op_kind::add || *kind == op_kind::replace ||
      *kind == op_kind::test) {
    auto value = op.find("value");
    if (value == op.end())
      return invalid("missing 'value'");
    parsed.value = &*value;
  }
  return parsed;
}

/// Parses and applies operation `index` of `patch` to `doc`, naming the
/// operation in any error.
status apply_at(json& doc, const json& patch, std::size_t index,
                patch_limits& limits) {
  auto label = "operation " + std::to_string(index);
  auto op = parse_operation(patch[index]);
  if (!op)
    return invalid(label + ": " + op.error().message);
  if (auto applied = apply_operation(doc, *op, limits); !applied)
    return error{applied.error().code, label + " (" + std::string{op->name} +
                                         "): " + applied.error().message};
  return ok_status();
}

} // namespace

status apply_patch_in_place(json& document, const json& patch,
                            std::size_t max_state_bytes) {
  auto budget = json_budget::for_state(max_state_bytes);
  return apply_patch_in_place(document, patch, max_state_bytes, budget);
}

namespace {

status apply_all(json& document, const json& patch, patch_limits limits) {
  if (!patch.is_array())
    return invalid(std::string{"patch is a "} + patch.type_name() +
                   ", not an array");
  std::size_t index = 0;
  try {
    for (; index < patch.size(); ++index)
      if (auto applied = apply_at(document, patch, index, limits); !applied)
        return applied.error();
    return ok_status();
  } catch (const std::exception& ex) {
    return invalid("operation " + std::to_string(index) + ": " + ex.what());
  }
}

} // namespace

status apply_patch_in_place(json& document, const json& patch,
                            std::size_t max_state_bytes, json_budget& budget) {
  return apply_all(document, patch, patch_limits{budget, max_state_bytes});
}

status apply_patch_in_place(json& document, json&& patch,
                            std::size_t max_state_bytes, json_budget& budget) {
  return apply_all(document, patch,
                   patch_limits{budget, max_state_bytes, true});
}

result<json> apply_patch(const json& document, const json& patch,
                         std::size_t max_state_bytes) {
  // The only deep copy: on failure it is dropped, which makes the patch
  // all-or-nothing.
  json doc = document;
  if (auto applied = apply_patch_in_place(doc, patch, max_state_bytes);
      !applied)
    return applied.error();
  return doc;
}

result<std::vector<std::string>> parse_json_pointer(std::string_view text) {
  std::vector<std::string> tokens;
  if (text.empty())
    return tokens;
  if (text.front() != '/')
    return invalid("does not start with '/'");
  std::string token;
  for (std::size_t i = 1; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
    } else if (text[i] != '~') {
      token += text[i];
    } else if (i + 1 < text.size() &&
               (text[i + 1] == '0' || text[i + 1] == '1')) {
      token += text[++i] == '0' ? '~' : '/';
    } else {
      return invalid("'~' not followed by '0' or '1'");
    }
  }
  return tokens;
}

} // namespace awf::core
