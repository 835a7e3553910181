// The parsing step of a sync up (contract §5): the shape of the body checked
// and turned into the engine's request, before anything else looks at it.
// Pure (no engine, no I/O), so the fuzz target fuzz/sync_up_request.cpp and
// tests can feed it bodies directly.
#pragma once

#include <optional>

#include "actors/sync_messages.hpp"
#include "core/json_document.hpp"
#include "net/api_context.hpp"
#include "net/sync_api.hpp"

namespace awf::net {

/// Checks the shape of a sync up body for `who` within `limits`; fills
/// `req` (its turns as canonical bytes) and returns nullopt, or returns the
/// 4xx outcome. `body` comes from core::json_document, so its values
/// already follow the contract's rules. Ids are checked before `req` keeps
/// them, so on a refusal `req.save_id` is empty or a well-formed id.
std::optional<api_outcome> parse_sync_up(const sync_limits& limits,
                                         const caller& who,
                                         const core::json_view& body,
                                         actors::sync_up_request& req);

} // namespace awf::net
