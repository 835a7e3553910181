// RFC 6902 JSON Patch: applying patches from devices and computing compact
// patches between two states.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_budget.hpp"
#include "core/result.hpp"

namespace awf::core {

/// The state limit assumed when a caller names none (tools, stored data).
inline constexpr std::size_t default_patch_state_bytes = std::size_t{64} << 20;

/// Splits an RFC 6901 pointer into unescaped tokens. "" is the whole
/// document (no tokens) and any other pointer starts with '/'; '~' must be
/// followed by '0' (for '~') or '1' (for '/'). Fails with invalid_patch.
result<std::vector<std::string>> parse_json_pointer(std::string_view text);

/// Applies `patch` (an array of RFC 6902 operations) to `document`.
/// All-or-nothing: on any malformed operation, missing path or failed
/// `test`, returns `errc::invalid_patch` naming the operation index and
/// leaves nothing half applied. Each operation is checked before it runs:
/// a value that `add`, `replace`, `move` or `copy` would place deeper than
/// `max_json_depth` levels fails with `errc::invalid_json`, so a document
/// within the depth limit stays within it and every walk over it is
/// bounded. `copy`, the one operation that allocates more than the patch
/// itself holds, is charged at its real memory cost (`json_cost`) before it
/// is made; once the copies would pass
/// `json_budget::for_state(max_state_bytes)`, the patch fails with
/// `errc::payload_too_large`.
result<nlohmann::json>
apply_patch(const nlohmann::json& document, const nlohmann::json& patch,
            std::size_t max_state_bytes = default_patch_state_bytes);

/// Applies `patch` to `document` in place, without the copy. On failure
/// `document` may be left partly patched: callers must discard it.
status
apply_patch_in_place(nlohmann::json& document, const nlohmann::json& patch,
                     std::size_t max_state_bytes = default_patch_state_bytes);

/// The same, charging `budget` (which may be shared by several patches,
/// e.g. all the turns of one request); `max_state_bytes` only names the
/// limit in messages.
status apply_patch_in_place(nlohmann::json& document,
                            const nlohmann::json& patch,
                            std::size_t max_state_bytes, json_budget& budget);

/// The same for a patch handed over: `add` and `replace` move their values
/// out of it rather than copying them, so a large value is held once. The
/// patch is left unspecified.
status apply_patch_in_place(nlohmann::json& document, nlohmann::json&& patch,
                            std::size_t max_state_bytes, json_budget& budget);

/// Returns a patch that turns `from` into `to` under any RFC 6902
/// implementation. Objects are compared member by member. Arrays trim their
/// common prefix and suffix, then align the rest with a sequence diff
/// (Myers, over element hashes) so inserts and deletes anywhere touch only
/// those elements and an element changed in place gets a nested diff; past
/// an edit budget they fall back to position by position. Returns `[]` for
/// equal values.
nlohmann::json diff(const nlohmann::json& from, const nlohmann::json& to);

} // namespace awf::core
