// A JSON text read without building a tree of values: the parse is
// simdjson's (an index of the text, about 8 us for a 16 KiB state where a
// nlohmann tree takes about 185), and values are read in place or written
// out as canonical bytes. For request bodies whose parts go on as canonical
// bytes (a sync up's states and patches); the rules and the error messages
// are parse_json's.
#pragma once

#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace awf::core {

class json_budget;
class json_document;

/// One value of a json_document; valid while its document lives. Cheap to
/// copy.
class json_view {
public:
  enum class kind { null, boolean, number, string, array, object };

  kind type() const noexcept;
  bool is_object() const noexcept { return type() == kind::object; }
  bool is_array() const noexcept { return type() == kind::array; }
  bool is_string() const noexcept { return type() == kind::string; }

  /// The member `key` of an object; nothing for another kind.
  std::optional<json_view> find(std::string_view key) const;
  /// Elements of an array or members of an object.
  std::size_t size() const;
  /// Calls `visit(element)` for each element of an array, in order.
  void for_each_element(const std::function<void(json_view)>& visit) const;
  /// Calls `visit(name, value)` for each member of an object, in the
  /// text's order.
  void for_each_member(
    const std::function<void(std::string_view, json_view)>& visit) const;
  /// The text of a string (unescaped).
  std::string_view string() const;

  /// Appends the RFC 8785 canonical bytes of the value to `out`, exactly
  /// what canonicalize(parse_json(text of the value)) writes; false, with
  /// `out` partial, as soon as `out` holds more than `max_bytes` (numbers
  /// may grow: 1e20 is 100000000000000000000).
  bool append_canonical(
    std::string& out,
    std::size_t max_bytes = std::numeric_limits<std::size_t>::max()) const;
  std::string canonical() const;
  /// The value as a nlohmann tree (numbers as doubles, as parse_json
  /// builds them), for small parts read by code written for trees. The tree
  /// is charged to `budget` before it is built: payload_too_large past it.
  result<nlohmann::json> to_json(json_budget& budget) const;

private:
  friend class json_document;
  json_view() = default;

  /// A simdjson::dom::element (see json_document.cpp).
  alignas(8) unsigned char element_[16];
};

/// A parsed JSON text under parse_json's rules (contract §1): valid UTF-8,
/// no duplicate keys, the integer rule, nesting at most max_json_depth, and
/// a tree of it within json_budget::for_text (what parse_json may build),
/// so that what is read here can later be parsed into a tree. The parser's
/// buffers take about 14 bytes per byte of text.
class json_document {
public:
  /// Parses `text`; fails when parse_json(text) fails, with its error. The
  /// tree's cost is counted as tree_of builds it, which differs slightly
  /// from parse_json's count (vector growth): near the budget one may
  /// refuse with payload_too_large what the other accepts.
  static result<json_document> parse(std::string_view text);

  json_document(json_document&&) noexcept;
  json_document& operator=(json_document&&) noexcept;
  ~json_document();

  json_view root() const;

private:
  struct parsed;
  explicit json_document(std::unique_ptr<parsed> doc);
  /// simdjson's parse of `text` when it obeys every rule of parse_json,
  /// its tree charged to `budget` (`too_costly` tells when that failed).
  static std::unique_ptr<parsed>
  read_fast(std::string_view text, json_budget& budget, bool& too_costly);
  std::unique_ptr<parsed> doc_;
};

} // namespace awf::core
