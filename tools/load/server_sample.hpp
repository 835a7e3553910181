// What the server and the load tester spent during a run: the server's own
// process metrics (contract §8 /metrics: process_cpu_seconds_total,
// process_resident_memory_bytes), read before and after, beside this
// process's CPU time. Lets a run report CPU per turn on both sides.
#pragma once

#include <optional>

#include "tools/load/server_url.hpp"

namespace awf::load {

/// One reading of the server's process metrics.
struct server_sample {
  double cpu_seconds = 0;
  double resident_bytes = 0;
};

/// GETs /metrics (blocking, a few seconds at most) and reads the server's
/// process metrics; nothing when the server does not answer them.
std::optional<server_sample> sample_server(const server_url& url);

/// CPU seconds (user + system) this process has used so far.
double own_cpu_seconds();

} // namespace awf::load
