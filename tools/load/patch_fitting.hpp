// Replays the edits of one game on another state: a device that went
// offline edits its copy of the head with its own game's moves, and a
// timeline whose head a conflict replaced goes on editing that head.
#pragma once

#include <nlohmann/json.hpp>

namespace awf::load {

/// Applies to `state`, in order, each `add`, `remove` and `replace` of the
/// RFC 6902 `patch` that fits it: an array index past the end is moved into
/// range (an add past the end appends), an operation on a missing object
/// member or inside a missing or scalar parent is left out, as are other
/// operations. Returns the operations as applied: a patch that turns the
/// old `state` into the new one.
nlohmann::json apply_fitting_operations(nlohmann::json& state,
                                        const nlohmann::json& patch);

} // namespace awf::load
