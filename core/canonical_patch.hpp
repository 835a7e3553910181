// The fast path of a turn: applies a device's JSON Patch to the canonical
// bytes of the state directly, splicing the canonical bytes of each new
// value in place, so a turn needs neither the parsed state nor a whole
// canonicalization. It takes only what it can decide exactly (add, remove,
// replace and test, on pointers it can resolve without doubt); everything
// else, and every patch that fails, goes to the parsed-value path
// (apply_patch_in_place), which gives the exact answer and error.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace awf::core {

/// The canonical bytes of `canonical_state` (the canonical bytes of a state
/// nested within max_json_depth) patched by `patch` (a normalized RFC 6902
/// patch), exactly as canonicalize(apply_patch(parse(state), patch)) would
/// write them; or nothing when the fast path does not decide: an operation
/// it does not take (move, copy, or replacing the whole document), a
/// pointer it does not resolve, a test
/// that does not hold, a value that could pass the depth limit. Nothing is
/// never wrong: the caller applies the patch to the parsed state instead.
std::optional<std::string> patch_canonical(std::string_view canonical_state,
                                           const nlohmann::json& patch);

} // namespace awf::core
