// The results of a load run as a person or a script reads them: the --json
// object, the text summary and the live progress line.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/load/latency_histogram.hpp"

namespace awf::load {

struct load_summary {
  std::int64_t turns = 0; ///< Turns the server accepted.
  double duration_s = 0;  ///< From the first sync up to the last reply.
  latency_histogram sync_up;
  latency_histogram push; ///< Sync up sent → another device has the turn.
  std::int64_t errors = 0;
  int devices = 0;
  int saves = 0;
  int failed_saves = 0; ///< Saves stopped early by an error.
  std::string mode;     ///< "ws" or "rest".
  /// The first distinct error messages and how often each occurred.
  std::vector<std::pair<std::string, std::int64_t>> error_samples;
  /// --conflict-rate; the conflict figures below are reported only when it
  /// is above 0.
  double conflict_rate = 0;
  std::string conflict_strategy;
  latency_histogram conflict_resolve; ///< One sample per conflict report.
  /// Conflicts by the state at the head afterwards: server, client, merged.
  std::array<std::int64_t, 3> conflict_winners{};
  std::int64_t manual_conflicts = 0; ///< Answered 409 conflict_manual.
  /// CPU seconds the server spent during the run (from its /metrics), and
  /// its resident memory at the end; negative when it did not answer them.
  double server_cpu_s = -1;
  double server_resident_bytes = -1;
  double load_cpu_s = 0; ///< CPU seconds this load tester spent in the run.

  double turns_per_s() const {
    return duration_s > 0 ? static_cast<double>(turns) / duration_s : 0;
  }

  /// Microseconds of CPU per accepted turn (`cpu_s` < 0 or no turns: -1).
  double per_turn_us(double cpu_s) const {
    return cpu_s < 0 || turns == 0 ? -1
                                   : cpu_s * 1e6 / static_cast<double>(turns);
  }
};

/// The --json object: turns, duration_s, turns_per_s, sync_up_p50_ms,
/// sync_up_p95_ms, sync_up_p99_ms, push_p95_ms, errors, devices, saves,
/// mode, server_cpu_us_per_turn and server_resident_mb (from the server's
/// /metrics; null when it does not serve them), load_cpu_us_per_turn, plus
/// a few more (error_samples: [{"message", "count"}]). A latency
/// without samples is null (push latency in rest mode, or with one device per
/// save). With a conflict rate also conflict_rate, conflict_strategy,
/// conflicts, conflicts_manual, conflict_heads: {"server", "client",
/// "merged"}, conflict_resolve_p50_ms and conflict_resolve_p95_ms.
nlohmann::json summary_json(const load_summary& summary);

/// A few lines for people.
std::string summary_text(const load_summary& summary);

/// "turns 1234 | 456.7 turns/s | p95 3.21 ms | errors 0".
std::string progress_line(std::int64_t turns, double turns_per_s, double p95_ms,
                          std::int64_t errors);

} // namespace awf::load
