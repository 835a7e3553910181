// The one clock of a load run. Every latency is the difference of two
// readings taken in this process, so devices of one save can time a push
// against the sync up that caused it.
#pragma once

#include <chrono>

namespace awf::load {

using load_clock = std::chrono::steady_clock;

/// Milliseconds from `from` to `to`.
inline double ms_between(load_clock::time_point from,
                         load_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

} // namespace awf::load
