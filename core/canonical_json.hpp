// I-JSON parsing and RFC 8785 canonicalization: the one place that decides
// which bytes a game state is (contract §1).
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace awf::core {

/// Deepest nesting of arrays and objects a state may have.
inline constexpr std::size_t max_json_depth = 128;

class json_budget;

/// Parses `text` under I-JSON rules (RFC 7493 as tightened by contract §1):
/// valid UTF-8, no duplicate object keys, no NaN or Infinity, nesting depth
/// at most `max_json_depth`. Fails with `errc::invalid_json` for those and
/// with `errc::unsupported_number` for an integer literal whose value is not
/// exactly a double and whose double's canonical text differs from the
/// literal. Every number of the result is stored as a double. The value
/// being built is charged to `json_budget::for_text(text.size())`: past it
/// the parse stops with `errc::payload_too_large`.
result<nlohmann::json> parse_json(std::string_view text);

/// The same, charging `budget` (memory, nodes and depth) as the value grows.
result<nlohmann::json> parse_json(std::string_view text, json_budget& budget);

/// Checks that an already built value obeys the same rules as `parse_json`
/// (depth, finite numbers) and converts integer numbers to doubles with the
/// same `unsupported_number` rule. Used for values that arrive embedded in a
/// larger document.
result<nlohmann::json> normalize_json(nlohmann::json value);

/// Appends "/" + `token` with RFC 6901 escapes ('~' as "~0", '/' as "~1")
/// to the JSON Pointer `pointer`.
void append_pointer_token(std::string& pointer, std::string_view token);

/// Returns the RFC 8785 canonical bytes of `value`: object members sorted by
/// the UTF-16 code units of their names, ECMAScript number formatting, the
/// minimal JSON string escapes, no whitespace.
std::string canonicalize(const nlohmann::json& value);

/// Appends the UTF-8 string `text` to `out` as a canonical JSON string
/// (quoted, with the minimal escapes).
void append_canonical_string(std::string_view text, std::string& out);

/// Appends the canonical bytes of `value` to `out`.
void canonicalize_to(const nlohmann::json& value, std::string& out);

/// The same for a value whose leaves are known to be valid (a normalized
/// document after a normalized patch) but whose depth and size are not:
/// returns false, leaving `out` partial, when it nests arrays and objects
/// deeper than `max_json_depth`, or as soon as `out` holds more than
/// `max_bytes` (then `out.size() > max_bytes` tells the two apart).
bool canonicalize_within_depth(
  const nlohmann::json& value, std::string& out,
  std::size_t max_bytes = std::numeric_limits<std::size_t>::max());

/// Formats a finite double exactly as ECMAScript's Number.prototype.toString
/// does (shortest round-trip digits, ES exponent rules, -0 as "0").
std::string format_es_number(double value);

/// Appends format_es_number(value) to `out`.
void append_es_number(double value, std::string& out);

/// Orders member names by UTF-16 code units (RFC 8785 §3.2.3), the order of
/// the canonical bytes. UTF-8 byte order is code point order, which agrees
/// with UTF-16 order except that U+E000..U+FFFF (lead bytes EE, EF) sort
/// after the supplementary planes (lead bytes F0..F4, surrogates
/// D800..DFFF in UTF-16). At the first differing byte both names have the
/// same sequence shape before it, so only those lead bytes need swapping;
/// continuation bytes never reach EE.
bool utf16_less(std::string_view a, std::string_view b);

} // namespace awf::core
