// What every save of a run shares: the options, the server's addresses, the
// token secret, the measurements, the turn budget and the stop signal.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "tools/load/admission_gate.hpp"
#include "tools/load/load_clock.hpp"
#include "tools/load/load_options.hpp"
#include "tools/load/load_stats.hpp"
#include "tools/load/net_types.hpp"
#include "tools/load/turn_pacer.hpp"

namespace awf::load {

struct load_context {
  load_context(const load_options& opts, endpoint_list eps, std::string key,
               std::string run)
    : options(opts), endpoints(std::move(eps)), secret(std::move(key)),
      run_id(std::move(run)),
      timeout(std::chrono::milliseconds{
        static_cast<std::int64_t>(opts.timeout_s * 1000)}),
      pacer(opts.turns, opts.rate),
      setup_gate(static_cast<std::size_t>(opts.setup_concurrency)) {}

  const load_options& options;
  const endpoint_list endpoints;
  const std::string secret; ///< Signs the simulated users' tokens.
  const std::string run_id; ///< Makes session and device ids unique.
  const std::chrono::milliseconds timeout;
  load_stats stats;
  turn_pacer pacer;
  admission_gate setup_gate;
  std::atomic<bool> stopping{false};
  /// When the run ends (--duration). Written once before the saves are
  /// started, read only after (the start is posted to each save).
  load_clock::time_point deadline{};
  /// Each save calls this once when its devices are set up (or failed).
  std::function<void(bool ok)> setup_done;
  /// Each save calls this once when it has finished (clean: no error).
  std::function<void(bool clean)> save_done;
};

} // namespace awf::load
