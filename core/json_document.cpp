#include "core/json_document.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include <simdjson.h>

#include "core/canonical_json.hpp"
#include "core/json_budget.hpp"

namespace awf::core {

namespace dom = simdjson::dom;

static_assert(sizeof(dom::element) <= 16 && alignof(dom::element) <= 8 &&
              std::is_trivially_copyable_v<dom::element>);

struct json_document::parsed {
  simdjson::padded_string text;
  dom::parser parser;
  dom::element root;
};

namespace {

dom::element element_of(const unsigned char* storage) {
  dom::element e;
  std::memcpy(static_cast<void*>(&e), storage, sizeof(e));
  return e;
}

// By value: value_unsafe() of a temporary result is a reference into it,
// which a range-for over it would outlive.
dom::array array_of(dom::element value) {
  return value.get_array().value_unsafe();
}

dom::object object_of(dom::element value) {
  return value.get_object().value_unsafe();
}

/// The members of an object, in the order of their names' UTF-16 code units
/// (RFC 8785 §3.2.3). Texts often arrive sorted already.
std::vector<dom::key_value_pair> sorted_members(dom::object object) {
  std::vector<dom::key_value_pair> members;
  members.reserve(object.size());
  for (auto member : object)
    members.push_back(member);
  auto less = [](const dom::key_value_pair& a, const dom::key_value_pair& b) {
    return utf16_less(a.key, b.key);
  };
  if (!std::is_sorted(members.begin(), members.end(), less))
    std::sort(members.begin(), members.end(), less);
  return members;
}

/// True if the 64-bit integer `v` reads back as itself through a double, or
/// the double's canonical text is its literal (the integer rule).
template<class Integer>
bool integer_survives(Integer v) {
  auto d = static_cast<double>(v);
  constexpr double upper = std::is_signed_v<Integer> ? 0x1p63 : 0x1p64;
  return (d < upper && static_cast<Integer>(d) == v) ||
         format_es_number(d) == std::to_string(v);
}

/// The elements of `items`: simdjson's count stops at 0xFFFFFF.
std::size_t element_count(dom::array items) {
  auto n = items.size();
  if (n < 0xFFFFFF)
    return n;
  n = 0;
  for ([[maybe_unused]] auto item : items)
    ++n;
  return n;
}

/// What a walk of the document found.
enum class verdict { ok, broken_rule, too_costly };

/// Checks what simdjson lets through and parse_json does not (duplicate
/// keys, the integer rule, nesting deeper than max_json_depth) and charges
/// `budget` what the value would take as a nlohmann tree (json_budget.hpp's
/// model, as tree_of builds it), as parse_json charges its tree. `depth`
/// is the number of containers around `value`.
verdict walk(dom::element value, std::size_t depth, json_budget& budget) {
  using json = nlohmann::json;
  if (!budget.charge(0, 1))
    return verdict::too_costly;
  switch (value.type()) {
    case dom::element_type::INT64:
      return integer_survives(value.get_int64().value_unsafe())
               ? verdict::ok
               : verdict::broken_rule;
    case dom::element_type::UINT64:
      return integer_survives(value.get_uint64().value_unsafe())
               ? verdict::ok
               : verdict::broken_rule;
    case dom::element_type::STRING:
      return budget.charge(json_cost::heap_block(sizeof(json::string_t)) +
                           json_cost::string_buffer(
                             value.get_string().value_unsafe().size()))
               ? verdict::ok
               : verdict::too_costly;
    case dom::element_type::ARRAY: {
      if (depth + 1 > max_json_depth)
        return verdict::broken_rule;
      std::size_t n = 0;
      for (auto item : array_of(value)) {
        ++n;
        if (auto found = walk(item, depth + 1, budget); found != verdict::ok)
          return found;
      }
      auto own = json_cost::heap_block(sizeof(json::array_t)) +
                 (n == 0 ? 0 : json_cost::heap_block(n * sizeof(json)));
      return budget.charge(own) ? verdict::ok : verdict::too_costly;
    }
    case dom::element_type::OBJECT: {
      if (depth + 1 > max_json_depth)
        return verdict::broken_rule;
      if (!budget.charge(json_cost::heap_block(sizeof(json::object_t))))
        return verdict::too_costly;
      auto members = sorted_members(object_of(value));
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i > 0 && members[i - 1].key == members[i].key)
          return verdict::broken_rule;
        if (!budget.charge(json_cost::member_bytes(members[i].key)))
          return verdict::too_costly;
        if (auto found = walk(members[i].value, depth + 1, budget);
            found != verdict::ok)
          return found;
      }
      return verdict::ok;
    }
    default: return verdict::ok;
  }
}

error too_costly_error(const json_budget& budget) {
  return {errc::payload_too_large, "The JSON value would take more than " +
                                     std::to_string(budget.max_bytes()) +
                                     " bytes of memory once parsed."};
}

/// Appends the canonical bytes of `value` to `out`; false as soon as `out`
/// holds more than `max` bytes (checked after each element and member).
bool append_canonical(dom::element value, std::string& out, std::size_t max) {
  switch (value.type()) {
    case dom::element_type::NULL_VALUE: out += "null"; break;
    case dom::element_type::BOOL:
      out += value.get_bool().value_unsafe() ? "true" : "false";
      break;
    case dom::element_type::INT64:
      append_es_number(static_cast<double>(value.get_int64().value_unsafe()),
                       out);
      break;
    case dom::element_type::UINT64:
      append_es_number(static_cast<double>(value.get_uint64().value_unsafe()),
                       out);
      break;
    case dom::element_type::DOUBLE:
      append_es_number(value.get_double().value_unsafe(), out);
      break;
    case dom::element_type::STRING:
      append_canonical_string(value.get_string().value_unsafe(), out);
      break;
    case dom::element_type::ARRAY: {
      out += '[';
      bool first = true;
      for (auto item : array_of(value)) {
        if (!first)
          out += ',';
        first = false;
        if (!append_canonical(item, out, max) || out.size() > max)
          return false;
      }
      out += ']';
      break;
    }
    case dom::element_type::OBJECT: {
      out += '{';
      bool first = true;
      for (const auto& member : sorted_members(object_of(value))) {
        if (!first)
          out += ',';
        first = false;
        append_canonical_string(member.key, out);
        out += ':';
        if (!append_canonical(member.value, out, max) || out.size() > max)
          return false;
      }
      out += '}';
      break;
    }
  }
  return out.size() <= max;
}

nlohmann::json tree_of(dom::element value) {
  switch (value.type()) {
    case dom::element_type::NULL_VALUE: return nullptr;
    case dom::element_type::BOOL: return value.get_bool().value_unsafe();
    case dom::element_type::INT64:
      return static_cast<double>(value.get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return static_cast<double>(value.get_uint64().value_unsafe());
    case dom::element_type::DOUBLE: return value.get_double().value_unsafe();
    case dom::element_type::STRING:
      return std::string{value.get_string().value_unsafe()};
    case dom::element_type::ARRAY: {
      auto source = array_of(value);
      auto items = nlohmann::json::array();
      auto& list = items.get_ref<nlohmann::json::array_t&>();
      list.reserve(element_count(source));
      for (auto item : source)
        list.push_back(tree_of(item));
      return items;
    }
    case dom::element_type::OBJECT: {
      auto members = nlohmann::json::object();
      for (auto member : object_of(value))
        members.emplace(std::string{member.key}, tree_of(member.value));
      return members;
    }
  }
  return nullptr;
}

} // namespace

json_view::kind json_view::type() const noexcept {
  switch (element_of(element_).type()) {
    case dom::element_type::NULL_VALUE: return kind::null;
    case dom::element_type::BOOL: return kind::boolean;
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE: return kind::number;
    case dom::element_type::STRING: return kind::string;
    case dom::element_type::ARRAY: return kind::array;
    case dom::element_type::OBJECT: return kind::object;
  }
  return kind::null;
}

std::optional<json_view> json_view::find(std::string_view key) const {
  auto object = element_of(element_).get_object();
  if (object.error())
    return std::nullopt;
  auto member = object.value_unsafe().at_key(key);
  if (member.error())
    return std::nullopt;
  json_view out;
  auto e = member.value_unsafe();
  std::memcpy(out.element_, static_cast<const void*>(&e), sizeof(e));
  return out;
}

std::size_t json_view::size() const {
  auto e = element_of(element_);
  if (auto array = e.get_array(); !array.error())
    return array.value_unsafe().size();
  if (auto object = e.get_object(); !object.error())
    return object.value_unsafe().size();
  return 0;
}

void json_view::for_each_element(
  const std::function<void(json_view)>& visit) const {
  auto array = element_of(element_).get_array();
  if (array.error())
    return;
  for (auto item : array.value_unsafe()) {
    json_view view;
    std::memcpy(view.element_, static_cast<const void*>(&item), sizeof(item));
    visit(view);
  }
}

void json_view::for_each_member(
  const std::function<void(std::string_view, json_view)>& visit) const {
  auto object = element_of(element_).get_object();
  if (object.error())
    return;
  for (auto member : object.value_unsafe()) {
    json_view view;
    std::memcpy(view.element_, static_cast<const void*>(&member.value),
                sizeof(member.value));
    visit(member.key, view);
  }
}

std::string_view json_view::string() const {
  auto text = element_of(element_).get_string();
  return text.error() ? std::string_view{} : text.value_unsafe();
}

bool json_view::append_canonical(std::string& out,
                                 std::size_t max_bytes) const {
  return core::append_canonical(element_of(element_), out, max_bytes);
}

std::string json_view::canonical() const {
  std::string out;
  append_canonical(out);
  return out;
}

result<nlohmann::json> json_view::to_json(json_budget& budget) const {
  auto value = element_of(element_);
  // The document obeys the rules already: the walk only charges.
  if (walk(value, 0, budget) != verdict::ok)
    return too_costly_error(budget);
  return tree_of(value);
}

json_document::json_document(std::unique_ptr<parsed> doc)
  : doc_(std::move(doc)) {}
json_document::json_document(json_document&&) noexcept = default;
json_document& json_document::operator=(json_document&&) noexcept = default;
json_document::~json_document() = default;

json_view json_document::root() const {
  json_view out;
  std::memcpy(out.element_, static_cast<const void*>(&doc_->root),
              sizeof(doc_->root));
  return out;
}

result<json_document> json_document::parse(std::string_view text) {
  auto budget = json_budget::for_text(text.size());
  bool too_costly = false;
  if (auto doc = read_fast(text, budget, too_costly))
    return json_document{std::move(doc)};
  // Past the budget of a tree of the text, as parse_json refuses it.
  if (too_costly)
    return too_costly_error(budget);
  // simdjson refused it, or it breaks a rule: parse_json decides, and says
  // why. It also reads what simdjson does not (an integer beyond 64 bits
  // that the integer rule lets through, a leading byte order mark): those
  // are written again as plain JSON, which simdjson reads.
  auto tree = parse_json(text);
  if (!tree)
    return tree.error();
  auto again = json_budget::for_text(text.size());
  if (auto doc = read_fast(tree->dump(), again, too_costly))
    return json_document{std::move(doc)};
  if (too_costly)
    return too_costly_error(again);
  return error{errc::invalid_json, "The JSON text could not be read."};
}

std::unique_ptr<json_document::parsed>
json_document::read_fast(std::string_view text, json_budget& budget,
                         bool& too_costly) {
  auto doc = std::make_unique<parsed>();
  doc->text = simdjson::padded_string{text};
  auto root = doc->parser.parse(doc->text);
  if (root.error())
    return nullptr;
  auto found = walk(root.value_unsafe(), 0, budget);
  too_costly = found == verdict::too_costly;
  if (found != verdict::ok)
    return nullptr;
  doc->root = root.value_unsafe();
  return doc;
}

} // namespace awf::core
