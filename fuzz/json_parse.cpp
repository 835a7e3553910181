// Fuzzes the I-JSON parser and the RFC 8785 canonicalizer: whatever parses
// has canonical bytes that parse again to the same canonical bytes, and
// normalizing the parsed value changes nothing. The tree-less reader
// (json_document) is checked against parse_json on every input.
#include <cstddef>
#include <cstdint>

#include "core/canonical_json.hpp"
#include "core/json_budget.hpp"
#include "core/json_document.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace awf;

namespace {

/// json_document (simdjson, no tree) reads `text` as parse_json does: the
/// same verdict and error, the same canonical bytes, the same tree.
void check_document(std::string_view text,
                    const core::result<nlohmann::json>& parsed) {
  // Both count what a tree would cost, slightly differently (vector
  // growth): near the budget one may refuse what the other accepts.
  const auto too_costly = core::errc::payload_too_large;
  auto document = core::json_document::parse(text);
  if (!document) {
    fuzz::require(document.error().code == too_costly ||
                    (!parsed && parsed.error().code == document.error().code &&
                     parsed.error().message == document.error().message),
                  "json_document refuses what parse_json refuses, alike");
    return;
  }
  if (!parsed) {
    fuzz::require(parsed.error().code == too_costly,
                  "json_document accepts only what parse_json accepts");
    return;
  }
  fuzz::require(document->root().canonical() == core::canonicalize(*parsed),
                "json_document writes parse_json's canonical bytes");
  auto budget = core::json_budget::unlimited();
  auto tree = document->root().to_json(budget);
  fuzz::require(tree && *tree == *parsed,
                "json_document's tree is parse_json's tree");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto text = fuzz::as_text(data, size);
  auto parsed = core::parse_json(text);
  check_document(text, parsed);
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
