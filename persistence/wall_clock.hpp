// The wall clock persistence stamps rows with (created_at, updated_at).
// The server uses the system clock; tests pass their own, so that times
// differ (or stand still) without sleeping.
#pragma once

#include <chrono>
#include <functional>

namespace awf::persistence {

using wall_clock = std::function<std::chrono::system_clock::time_point()>;

} // namespace awf::persistence
