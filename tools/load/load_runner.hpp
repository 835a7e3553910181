// Runs one load test: resolves the server, sets up every save (bounded
// concurrency), starts them together, shows progress, stops at the deadline,
// the turn budget or SIGINT/SIGTERM, and gathers the measurements.
#pragma once

#include <string>

#include "core/result.hpp"
#include "tools/load/load_options.hpp"
#include "tools/load/load_report.hpp"

namespace awf::load {

/// Runs the load `options` describe, signing the simulated users' tokens
/// with `secret`, on `options.threads` threads. Fails only when the run
/// cannot begin (the host does not resolve); errors during the run are
/// counted in the summary. Progress goes to stderr when it is a terminal.
core::result<load_summary, std::string> run_load(const load_options& options,
                                                 std::string secret);

} // namespace awf::load
