// Fuzzes the I-JSON parser and the RFC 8785 canonicalizer: whatever parses
// has canonical bytes that parse again to the same canonical bytes, and
// normalizing the parsed value changes nothing.
#include <cstddef>
#include <cstdint>

#include "core/canonical_json.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace awf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto parsed = core::parse_json(fuzz::as_text(data, size));
  if (!parsed)
    return 0;
  auto canonical = core::canonicalize(*parsed);
  auto again = core::parse_json(canonical);
  fuzz::require(again.ok(), "canonical bytes parse");
  fuzz::require(core::canonicalize(*again) == canonical,
                "canonical bytes are a fixed point");
  auto normalized = core::normalize_json(*parsed);
  fuzz::require(normalized.ok(), "a parsed value is normalized");
  fuzz::require(core::canonicalize(*normalized) == canonical,
                "normalizing a parsed value changes nothing");
  std::string bounded;
  fuzz::require(core::canonicalize_within_depth(*parsed, bounded) &&
                  bounded == canonical,
                "a parsed value is within the depth limit");
  return 0;
}
