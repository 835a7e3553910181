// How many CPUs this process may run on: its affinity mask (taskset,
// cgroup cpusets), not the machine's count, so thread pools are sized for
// the cores the server really has.
#pragma once

#include <cstddef>

namespace awf::config {

/// The CPUs in this process's affinity mask; at least 1.
std::size_t usable_cpus();

} // namespace awf::config
