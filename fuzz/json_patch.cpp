// Fuzzes JSON Patch application with the real limits on. The input is a
// document, a newline, and a patch (both parsed as the server parses
// bodies). Whatever applies is a valid state within the depth limit; a
// failed patch leaves the caller's document as it was; applying in place
// with the patch handed over gives the same document; and the canonical
// fast path (patch_canonical), whenever it decides, decides the same.
#include <cstddef>
#include <cstdint>

#include "core/canonical_json.hpp"
#include "core/canonical_patch.hpp"
#include "core/json_budget.hpp"
#include "core/json_patch.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace awf;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto text = fuzz::as_text(data, size);
  auto newline = text.find('\n');
  if (newline == std::string_view::npos)
    return 0;
  auto document = core::parse_json(text.substr(0, newline));
  auto patch = core::parse_json(text.substr(newline + 1));
  if (!document || !patch)
    return 0;
  auto before = core::canonicalize(*document);
  auto applied = core::apply_patch(*document, *patch, fuzz::max_state_bytes);
  fuzz::require(core::canonicalize(*document) == before,
                "apply_patch leaves its input alone");
  auto patch_bytes = core::canonicalize(*patch);
  auto fast = core::patch_canonical(before, patch_bytes);
  fuzz::require(!fast ||
                  (applied && core::canonicalize(*applied) == fast->canonical),
                "the canonical fast path agrees with the parsed-value path");
  if (fast) {
    // The index the edits left behind serves the next patch like a fresh one.
    auto carried =
      core::patch_canonical(fast->canonical, patch_bytes, fast->brackets);
    auto fresh = core::patch_canonical(fast->canonical, patch_bytes);
    fuzz::require(carried.has_value() == fresh.has_value() &&
                    (!fresh || carried->canonical == fresh->canonical),
                  "a carried index agrees with a fresh one");
  }
  if (!applied) {
    auto code = applied.error().code;
    fuzz::require(code == core::errc::invalid_patch ||
                    code == core::errc::invalid_json ||
                    code == core::errc::payload_too_large,
                  "a patch fails with a patch, depth or size error");
    return 0;
  }
  std::string canonical;
  fuzz::require(core::canonicalize_within_depth(*applied, canonical),
                "a patched document stays within the depth limit");
  auto unlimited = core::json_budget::unlimited();
  auto again = core::parse_json(canonical, unlimited);
  fuzz::require(again.ok(), "a patched document is I-JSON");
  // The in-place variant, with the patch handed over (as the server applies
  // a device's turns: values moved out of it), agrees with the copying one.
  auto in_place = *document;
  auto handed_over = *patch;
  auto budget = core::json_budget::for_state(fuzz::max_state_bytes);
  fuzz::require(core::apply_patch_in_place(in_place, std::move(handed_over),
                                           fuzz::max_state_bytes, budget)
                  .ok(),
                "apply_patch_in_place accepts what apply_patch accepts");
  fuzz::require(core::canonicalize(in_place) == canonical,
                "both variants give the same document");
  return 0;
}
