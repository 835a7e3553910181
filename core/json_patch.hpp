// RFC 6902 JSON Patch: applying patches from devices and computing compact
// patches between two states.
#pragma once

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace awf::core {

/// Applies `patch` (an array of RFC 6902 operations) to `document`.
/// All-or-nothing: on any malformed operation, missing path or failed
/// `test`, returns `errc::invalid_patch` naming the operation index and
/// leaves nothing half applied. `copy` operations together may copy values
/// of about `max_copied_bytes` serialized bytes at most; past that the patch
/// fails with `errc::payload_too_large` (a value copied into itself doubles,
/// so a short patch could otherwise exhaust memory).
result<nlohmann::json>
apply_patch(const nlohmann::json& document, const nlohmann::json& patch,
            std::size_t max_copied_bytes = std::size_t{64} << 20);

/// Applies `patch` to `document` in place, without the copy. On failure
/// `document` may be left partly patched: callers must discard it.
result<std::monostate>
apply_patch_in_place(nlohmann::json& document, const nlohmann::json& patch,
                     std::size_t max_copied_bytes = std::size_t{64} << 20);

/// Returns a patch that turns `from` into `to` under any RFC 6902
/// implementation. Objects are compared member by member. Arrays trim their
/// common prefix and suffix, then align the rest with a sequence diff
/// (Myers, over element hashes) so inserts and deletes anywhere touch only
/// those elements and an element changed in place gets a nested diff; past
/// an edit budget they fall back to position by position. Returns `[]` for
/// equal values.
nlohmann::json diff(const nlohmann::json& from, const nlohmann::json& to);

} // namespace awf::core
