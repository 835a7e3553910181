// What the kernel says about this process, for /metrics: CPU time,
// resident memory and open file descriptors (the standard Prometheus
// process_* metrics), read from /proc/self.
#pragma once

#include <cstdint>
#include <optional>

namespace awf::net {

struct process_stats {
  double cpu_seconds = 0;          ///< user + system time so far
  std::int64_t resident_bytes = 0; ///< resident set size
  std::int64_t open_fds = 0;       ///< entries of /proc/self/fd
};

/// Reads /proc/self; nullopt where /proc is not mounted.
std::optional<process_stats> read_process_stats();

} // namespace awf::net
