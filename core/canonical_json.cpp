#include "core/canonical_json.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/json_budget.hpp"

namespace awf::core {

// '~' first becomes "~0" so that the "~1" written for '/' is not escaped
// twice.
void append_pointer_token(std::string& pointer, std::string_view token) {
  pointer += '/';
  for (char c : token) {
    if (c == '~')
      pointer += "~0";
    else if (c == '/')
      pointer += "~1";
    else
      pointer += c;
  }
}

namespace {

using json = nlohmann::json;

// -- UTF-8 helpers ------------------------------------------------------------

/// Returns the length of the well-formed UTF-8 sequence at the start of `s`,
/// or 0 if it is not one (overlong forms, surrogates and values above
/// U+10FFFF are not well-formed; see RFC 3629 §4).
std::size_t utf8_sequence_length(std::string_view s) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  auto continuation_in = [&](std::size_t i, unsigned lo, unsigned hi) {
    return i < s.size() && byte(i) >= lo && byte(i) <= hi;
  };
  auto lead = byte(0);
  if (lead < 0x80)
    return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    return continuation_in(1, 0x80, 0xBF) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    // E0 needs A0.. (no overlongs), ED needs ..9F (no surrogates).
    unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
    unsigned hi = lead == 0xED ? 0x9F : 0xBF;
    return continuation_in(1, lo, hi) && continuation_in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    // F0 needs 90.. (no overlongs), F4 needs ..8F (nothing above U+10FFFF).
    unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
    unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;
    return continuation_in(1, lo, hi) && continuation_in(2, 0x80, 0xBF) &&
               continuation_in(3, 0x80, 0xBF)
             ? 4
             : 0;
  }
  return 0;
}

bool is_valid_utf8(std::string_view s) {
  while (!s.empty()) {
    auto n = utf8_sequence_length(s);
    if (n == 0)
      return false;
    s.remove_prefix(n);
  }
  return true;
}

/// Longest quotation of user data (a key, a path) in an error message.
constexpr std::size_t max_quoted_bytes = 100;

/// Makes `text` safe to put into an error message: at most `limit` bytes,
/// cut on a character boundary, and invalid bytes written as \xNN. Messages
/// end up inside JSON responses, which must be valid UTF-8.
std::string printable(std::string_view text,
                      std::size_t limit = max_quoted_bytes) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  while (!text.empty()) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    auto n = utf8_sequence_length(text);
    if (n == 0) {
      auto c = static_cast<unsigned char>(text[0]);
      out += "\\x";
      out += hex[c >> 4];
      out += hex[c & 0xF];
      n = 1;
    } else {
      out.append(text.data(), n);
    }
    text.remove_prefix(n);
  }
  return out;
}

// -- error construction -------------------------------------------------------

/// Describes where a value is, for error messages.
std::string location(const std::string& pointer) {
  if (pointer.empty())
    return "at the top level";
  return "at " + printable(pointer);
}

error duplicate_key_error(std::string_view key, const std::string& pointer) {
  return {errc::invalid_json, "The object " + location(pointer) +
                                " has the key \"" + printable(key) +
                                "\" more than once."};
}

error too_deep_error(std::size_t max_depth = max_json_depth) {
  return {errc::invalid_json, "The JSON value is nested deeper than " +
                                std::to_string(max_depth) + " levels."};
}

error too_costly_error(const json_budget& budget) {
  return {errc::payload_too_large, "The JSON value would take more than " +
                                     std::to_string(budget.max_bytes()) +
                                     " bytes of memory once parsed."};
}

error inexact_integer_error(std::string_view literal, double value,
                            const std::string& pointer) {
  return {errc::unsupported_number,
          "The integer " + printable(literal) + " " + location(pointer) +
            " is not exactly representable as a double and would read back"
            " as " +
            format_es_number(value) + "."};
}

error invalid_string_error(const std::string& pointer) {
  return {errc::invalid_json,
          "The string " + location(pointer) + " is not valid UTF-8."};
}

/// nlohmann's parse message without its quotation of the input
/// ("...; last read: '<token>'; expected ..."): the position says where,
/// and the request's own bytes are not sent back.
std::string without_quoted_input(std::string_view what) {
  constexpr std::string_view quote_start = "; last read: '";
  auto start = what.find(quote_start);
  if (start == std::string_view::npos)
    return std::string{what};
  std::string out{what.substr(0, start)};
  // The token may hold any bytes, "'" and ";" too: what follows it has a
  // fixed form, so it is found from the end.
  if (auto expected = what.rfind("; expected ");
      expected != std::string_view::npos && expected > start)
    out += what.substr(expected);
  return out;
}

/// Turns a nlohmann parse failure into a sentence. Its what() reads
/// "[json.exception.parse_error.101] parse error at line 1, column 4: ...";
/// the bracketed id means nothing to a client, so it is dropped.
error parse_failure_error(std::size_t position, const std::exception& ex) {
  std::string_view what = ex.what();
  if (auto end = what.find("] ");
      !what.empty() && what[0] == '[' && end != std::string_view::npos)
    what.remove_prefix(end + 2);
  std::string message =
    "Invalid JSON: " + printable(without_quoted_input(what), 200);
  if (what.find(" at line ") == std::string_view::npos)
    message += " (at byte " + std::to_string(position) + ")";
  message += '.';
  return {errc::invalid_json, std::move(message)};
}

// -- the integer rule (contract §1) -------------------------------------------

/// Returns the exact decimal value of an integral double, e.g.
/// "18446744073709551616" for 2^64 (where ES would write
/// "18446744073709552000").
std::string exact_integer_text(double value) {
  char buf[400];
  auto res =
    std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, 0);
  return std::string(buf, res.ptr);
}

/// True if reading `value` back yields the integer that `literal` wrote:
/// either the literal is exactly the double, or the double's canonical text
/// is the literal itself (as JavaScript would print it).
bool integer_text_survives(std::string_view literal, double value) {
  return format_es_number(value) == literal ||
         exact_integer_text(value) == literal;
}

bool is_integer_literal(std::string_view text) {
  return text.find_first_of(".eE") == std::string_view::npos;
}

/// Converts an exact 64-bit integer to a double if that keeps its meaning.
template<class Integer>
std::optional<double> integer_as_double(Integer v) {
  auto d = static_cast<double>(v);
  // Range guards first: converting an out-of-range double back is undefined.
  // The double nearest to INT64_MAX or UINT64_MAX is 2^63 or 2^64.
  constexpr double upper = std::is_signed_v<Integer> ? 0x1p63 : 0x1p64;
  bool exact = d < upper && static_cast<Integer>(d) == v;
  if (exact || format_es_number(d) == std::to_string(v))
    return d;
  return std::nullopt;
}

// -- parsing ------------------------------------------------------------------

/// SAX handler for nlohmann's parser that builds the value itself, so it can
/// enforce what the DOM parser lets through: duplicate keys (the DOM parser
/// keeps the last), nesting depth and the integer rule. Every value is
/// charged to the budget (see `json_cost`) as it is placed, so the parse
/// stops the moment the tree would cost more than allowed.
class ijson_builder {
public:
  explicit ijson_builder(json_budget& budget) : budget_(budget) {}

  bool null() { return add(json(nullptr)); }

  bool boolean(bool value) { return add(json(value)); }

  bool number_integer(json::number_integer_t value) {
    return add_integer(value);
  }

  bool number_unsigned(json::number_unsigned_t value) {
    return add_integer(value);
  }

  /// Also receives integer literals beyond the 64-bit range, with their text.
  bool number_float(json::number_float_t value, const std::string& text) {
    if (is_integer_literal(text) && !integer_text_survives(text, value))
      return fail(inexact_integer_error(text, value, pending_pointer()));
    return add(json(value));
  }

  bool string(std::string& value) {
    json text(std::move(value));
    auto bytes = json_cost::heap_block(sizeof(json::string_t)) +
                 json_cost::string_buffer(
                   text.get_ref<const json::string_t&>().capacity());
    if (!budget_.charge(bytes))
      return fail(too_costly_error(budget_));
    return add(std::move(text));
  }

  bool binary(json::binary_t&) {
    // JSON text has no binary values; only the binary formats produce them.
    return fail({errc::invalid_json, "Binary values are not JSON."});
  }

  bool start_object(std::size_t) { return open(json::value_t::object); }

  bool key(std::string& name) {
    auto& top = frames_.back();
    auto& members = top.container->get_ref<json::object_t&>();
    // try_emplace leaves `name` intact when the key exists, for the message.
    auto [pos, inserted] = members.try_emplace(std::move(name));
    if (!inserted)
      return fail(duplicate_key_error(name, committed_pointer()));
    if (!budget_.charge(json_cost::member_bytes(pos->first)))
      return fail(too_costly_error(budget_));
    top.member = &pos->second;
    top.key = &pos->first;
    return true;
  }

  bool end_object() {
    frames_.pop_back();
    return true;
  }

  bool start_array(std::size_t) { return open(json::value_t::array); }

  bool end_array() {
    frames_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const json::exception& ex) {
    return fail(parse_failure_error(position, ex));
  }

  result<json> take_result() && {
    if (error_)
      return std::move(*error_);
    return std::move(root_);
  }

  /// Records a failure that happened outside the handler (an exception).
  void set_error(error err) { error_ = std::move(err); }

private:
  /// One open array or object. For objects, `member` and `key` name the
  /// member whose value comes next.
  struct frame {
    json* container;
    json* member = nullptr;
    const std::string* key = nullptr;
  };

  bool fail(error err) {
    error_ = std::move(err);
    return false;
  }

  template<class Integer>
  bool add_integer(Integer value) {
    if (auto d = integer_as_double(value))
      return add(json(*d));
    return fail(inexact_integer_error(
      std::to_string(value), static_cast<double>(value), pending_pointer()));
  }

  /// Stores `value` where the parser is, returning where it went, or null
  /// when the budget is spent. Pointers into parent arrays stay valid: only
  /// the innermost container grows. An array that grows is charged its new
  /// storage (vectors double), an object member was charged by `key`.
  json* place(json&& value) {
    if (!budget_.charge(0, 1)) {
      fail(too_costly_error(budget_));
      return nullptr;
    }
    if (frames_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    auto& top = frames_.back();
    if (top.container->is_array()) {
      auto& items = top.container->get_ref<json::array_t&>();
      if (items.size() == items.capacity()) {
        auto grown = items.empty() ? 1 : 2 * items.size();
        if (!budget_.charge(json_cost::heap_block(grown * sizeof(json)))) {
          fail(too_costly_error(budget_));
          return nullptr;
        }
      }
      return &items.emplace_back(std::move(value));
    }
    *top.member = std::move(value);
    return top.member;
  }

  bool add(json&& value) { return place(std::move(value)) != nullptr; }

  bool open(json::value_t type) {
    if (frames_.size() >= budget_.max_depth())
      return fail(too_deep_error(budget_.max_depth()));
    json container(type);
    if (!budget_.charge(json_cost::own_bytes(container)))
      return fail(too_costly_error(budget_));
    auto* placed = place(std::move(container));
    if (placed == nullptr)
      return false;
    frames_.push_back(frame{placed});
    return true;
  }

  /// The JSON Pointer of the value the parser is about to add.
  std::string pending_pointer() const { return pointer(true); }

  /// The JSON Pointer of the innermost open container.
  std::string committed_pointer() const { return pointer(false); }

  /// Computed only for error messages. Each open container below the top
  /// already holds its child as the last element; the top one's child is
  /// still pending when `with_pending` is set.
  std::string pointer(bool with_pending) const {
    std::string result;
    auto count = with_pending ? frames_.size() : frames_.size() - 1;
    for (std::size_t i = 0; i < count && i < frames_.size(); ++i) {
      const auto& f = frames_[i];
      if (f.container->is_object()) {
        append_pointer_token(result, f.key ? *f.key : std::string{});
      } else {
        auto size = f.container->size();
        bool is_top = i + 1 == frames_.size();
        append_pointer_token(result, std::to_string(is_top ? size : size - 1));
      }
    }
    return result;
  }

  json_budget& budget_;
  json root_;
  std::vector<frame> frames_;
  std::optional<error> error_;
};

// -- normalization ------------------------------------------------------------

/// Walks an already built value, applying `parse_json`'s rules in place.
/// On failure, `path_` holds the reference tokens of the offending value,
/// innermost first (collected while unwinding, so the happy path pays
/// nothing for it).
class normalizer {
public:
  std::optional<error> run(json& value) {
    if (visit(value, 0))
      return std::nullopt;
    std::string pointer;
    for (auto i = path_.rbegin(); i != path_.rend(); ++i)
      append_pointer_token(pointer, *i);
    return make_error_(pointer);
  }

private:
  using error_factory = std::function<error(const std::string&)>;

  bool fail(error_factory make) {
    make_error_ = std::move(make);
    return false;
  }

  bool visit(json& value, std::size_t depth) {
    switch (value.type()) {
      case json::value_t::null:
      case json::value_t::boolean: return true;
      case json::value_t::string: return visit_string(value);
      case json::value_t::number_integer:
        return visit_integer(value, value.get<json::number_integer_t>());
      case json::value_t::number_unsigned:
        return visit_integer(value, value.get<json::number_unsigned_t>());
      case json::value_t::number_float: return visit_float(value);
      case json::value_t::array: return visit_array(value, depth + 1);
      case json::value_t::object: return visit_object(value, depth + 1);
      case json::value_t::binary:
      case json::value_t::discarded: break;
    }
    return fail([](const std::string& pointer) {
      return error{errc::invalid_json,
                   "The value " + location(pointer) + " is not JSON."};
    });
  }

  bool visit_string(const json& value) {
    if (is_valid_utf8(value.get_ref<const std::string&>()))
      return true;
    return fail(invalid_string_error);
  }

  template<class Integer>
  bool visit_integer(json& value, Integer v) {
    if (auto d = integer_as_double(v)) {
      value = *d;
      return true;
    }
    return fail([v](const std::string& pointer) {
      return inexact_integer_error(std::to_string(v), static_cast<double>(v),
                                   pointer);
    });
  }

  bool visit_float(const json& value) {
    if (std::isfinite(value.get<double>()))
      return true;
    return fail([](const std::string& pointer) {
      return error{errc::invalid_json,
                   "The number " + location(pointer) + " is NaN or infinite."};
    });
  }

  bool check_depth(std::size_t depth) {
    if (depth <= max_json_depth)
      return true;
    return fail([](const std::string&) { return too_deep_error(); });
  }

  bool visit_array(json& value, std::size_t depth) {
    if (!check_depth(depth))
      return false;
    auto& items = value.get_ref<json::array_t&>();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!visit(items[i], depth)) {
        path_.push_back(std::to_string(i));
        return false;
      }
    }
    return true;
  }

  bool visit_object(json& value, std::size_t depth) {
    if (!check_depth(depth))
      return false;
    for (auto& [key, member] : value.get_ref<json::object_t&>()) {
      if (!is_valid_utf8(key)) {
        return fail([](const std::string& pointer) {
          return error{errc::invalid_json, "The object " + location(pointer) +
                                             " has a key that is not valid"
                                             " UTF-8."};
        });
      }
      if (!visit(member, depth)) {
        path_.push_back(key);
        return false;
      }
    }
    return true;
  }

  std::vector<std::string> path_;
  error_factory make_error_;
};

// -- canonical output ---------------------------------------------------------

/// Appends `text` as a JSON string with RFC 8785's minimal escapes: `"`, `\`
/// and control characters; everything else is copied as is.
void append_string(std::string_view text, std::string& out) {
  static constexpr char hex[] = "0123456789abcdef";
  out += '"';
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\')
      continue;
    out.append(text.data() + run_start, i - run_start);
    run_start = i + 1;
    out += '\\';
    switch (c) {
      case '"': out += '"'; break;
      case '\\': out += '\\'; break;
      case '\b': out += 'b'; break;
      case '\f': out += 'f'; break;
      case '\n': out += 'n'; break;
      case '\r': out += 'r'; break;
      case '\t': out += 't'; break;
      default:
        out += "u00";
        out += hex[c >> 4];
        out += hex[c & 0xF];
    }
  }
  out.append(text.data() + run_start, text.size() - run_start);
  out += '"';
}

/// True if the map's byte order may differ from UTF-16 order: some name holds
/// a character in U+E000..U+FFFF and some name one beyond U+FFFF.
bool needs_utf16_sort(const json::object_t& members) {
  bool has_private_or_late_bmp = false;
  bool has_supplementary = false;
  for (const auto& member : members) {
    for (char c : member.first) {
      auto byte = static_cast<unsigned char>(c);
      has_private_or_late_bmp |= byte == 0xEE || byte == 0xEF;
      has_supplementary |= byte >= 0xF0;
    }
    if (has_private_or_late_bmp && has_supplementary)
      return true;
  }
  return false;
}

// Each function below returns false, leaving `out` partial, when its value
// nests arrays and objects more than `levels` deep, so a value of any depth
// is written with bounded recursion, or once `out` holds more than `max`
// bytes (checked after each member and element).
bool append_value(const json& value, std::string& out, std::size_t levels,
                  std::size_t max);

bool append_member(const json::object_t::value_type& member, bool first,
                   std::string& out, std::size_t levels, std::size_t max) {
  if (!first)
    out += ',';
  append_string(member.first, out);
  out += ':';
  return append_value(member.second, out, levels, max) && out.size() <= max;
}

bool append_object(const json::object_t& members, std::string& out,
                   std::size_t levels, std::size_t max) {
  out += '{';
  bool first = true;
  if (!needs_utf16_sort(members)) {
    // nlohmann's std::map already iterates in UTF-8 byte order.
    for (const auto& member : members) {
      if (!append_member(member, first, out, levels, max))
        return false;
      first = false;
    }
  } else {
    std::vector<const json::object_t::value_type*> sorted;
    sorted.reserve(members.size());
    for (const auto& member : members)
      sorted.push_back(&member);
    std::sort(sorted.begin(), sorted.end(),
              [](auto* x, auto* y) { return utf16_less(x->first, y->first); });
    for (const auto* member : sorted) {
      if (!append_member(*member, first, out, levels, max))
        return false;
      first = false;
    }
  }
  out += '}';
  return true;
}

bool append_array(const json::array_t& items, std::string& out,
                  std::size_t levels, std::size_t max) {
  out += '[';
  bool first = true;
  for (const auto& item : items) {
    if (!first)
      out += ',';
    if (!append_value(item, out, levels, max) || out.size() > max)
      return false;
    first = false;
  }
  out += ']';
  return true;
}

bool append_value(const json& value, std::string& out, std::size_t levels,
                  std::size_t max) {
  switch (value.type()) {
    case json::value_t::null: out += "null"; break;
    case json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      break;
    case json::value_t::string:
      append_string(value.get_ref<const std::string&>(), out);
      break;
    case json::value_t::number_integer:
      append_es_number(static_cast<double>(value.get<json::number_integer_t>()),
                       out);
      break;
    case json::value_t::number_unsigned:
      append_es_number(
        static_cast<double>(value.get<json::number_unsigned_t>()), out);
      break;
    case json::value_t::number_float:
      append_es_number(value.get<double>(), out);
      break;
    case json::value_t::object:
      return levels > 0 && append_object(value.get_ref<const json::object_t&>(),
                                         out, levels - 1, max);
    case json::value_t::array:
      return levels > 0 && append_array(value.get_ref<const json::array_t&>(),
                                        out, levels - 1, max);
    case json::value_t::binary:
    case json::value_t::discarded:
      // Not JSON; normalize_json rejects them. Write something valid.
      out += "null";
      break;
  }
  return true;
}

} // namespace

result<nlohmann::json> parse_json(std::string_view text) {
  auto budget = json_budget::for_text(text.size());
  return parse_json(text, budget);
}

result<nlohmann::json> parse_json(std::string_view text, json_budget& budget) {
  ijson_builder builder{budget};
  try {
    json::sax_parse(text.begin(), text.end(), &builder);
  } catch (const json::exception& ex) {
    // The SAX parser reports through parse_error; this is only a safety net.
    builder.set_error(parse_failure_error(0, ex));
  }
  return std::move(builder).take_result();
}

result<nlohmann::json> normalize_json(nlohmann::json value) {
  try {
    if (auto err = normalizer{}.run(value))
      return std::move(*err);
  } catch (const json::exception& ex) {
    return error{errc::invalid_json,
                 "Invalid JSON value: " + printable(ex.what()) + "."};
  }
  return value;
}

void append_canonical_string(std::string_view text, std::string& out) {
  append_string(text, out);
}

std::string canonicalize(const nlohmann::json& value) {
  std::string out;
  canonicalize_to(value, out);
  return out;
}

void canonicalize_to(const nlohmann::json& value, std::string& out) {
  // parse_json and normalize_json bound the depth of what reaches here.
  append_value(value, out, std::numeric_limits<std::size_t>::max(),
               std::numeric_limits<std::size_t>::max());
}

bool canonicalize_within_depth(const nlohmann::json& value, std::string& out,
                               std::size_t max_bytes) {
  return append_value(value, out, max_json_depth, max_bytes) &&
         out.size() <= max_bytes;
}

bool utf16_less(std::string_view a, std::string_view b) {
  auto [pa, pb] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  if (pb == b.end())
    return false;
  if (pa == a.end())
    return true;
  auto rank = [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte == 0xEE || byte == 0xEF ? byte + 0x100u : unsigned{byte};
  };
  return rank(*pa) < rank(*pb);
}

void append_es_number(double value, std::string& out) {
  if (value == 0) { // Also -0, which ES prints as "0".
    out += '0';
    return;
  }
  if (!std::isfinite(value)) { // Unreachable for normalized values.
    out += "null";
    return;
  }
  // Integers within 2^53 (most numbers of a game state) are their own
  // decimal digits in ES, with no exponent: no shortest-digits search.
  if (std::abs(value) <= 0x1p53 && std::trunc(value) == value) {
    char buf[24];
    auto* end =
      std::to_chars(buf, buf + sizeof(buf), static_cast<std::int64_t>(value))
        .ptr;
    out.append(buf, end);
    return;
  }
  // Shortest round-trip digits, e.g. "-1.2345e+02" or "5e-324".
  char buf[32];
  auto* end =
    std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific)
      .ptr;
  const char* p = buf;
  if (*p == '-') {
    out += '-';
    ++p;
  }
  const char* e = std::find(p, static_cast<const char*>(end), 'e');
  char digits[24];
  int k = 0;
  for (const char* q = p; q != e; ++q)
    if (*q != '.')
      digits[k++] = *q;
  int exponent = 0;
  const char* exp_text = e + 1;
  if (*exp_text == '+')
    ++exp_text;
  std::from_chars(exp_text, end, exponent);
  // ES Number::toString, with value = 0.d1...dk × 10^n.
  int n = exponent + 1;
  if (k <= n && n <= 21) {
    out.append(digits, k);
    out.append(n - k, '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, n);
    out += '.';
    out.append(digits + n, k - n);
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(-n, '0');
    out.append(digits, k);
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out.append(digits + 1, k - 1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    char exp_buf[8];
    auto* exp_end =
      std::to_chars(exp_buf, exp_buf + sizeof(exp_buf), std::abs(n - 1)).ptr;
    out.append(exp_buf, exp_end);
  }
}

std::string format_es_number(double value) {
  std::string out;
  append_es_number(value, out);
  return out;
}

} // namespace awf::core
