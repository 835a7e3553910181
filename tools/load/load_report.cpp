#include "tools/load/load_report.hpp"

#include <cmath>
#include <cstdio>

namespace awf::load {

namespace {

/// A figure rounded to a tenth, or null when negative (not measured).
nlohmann::json tenth_or_null(double value) {
  if (value < 0)
    return nullptr;
  return std::round(value * 10.0) / 10.0;
}

/// Milliseconds rounded to the microsecond, or null without samples.
nlohmann::json ms_or_null(const latency_histogram& h, double p) {
  if (h.count() == 0)
    return nullptr;
  return std::round(h.percentile(p) * 1000.0) / 1000.0;
}

std::string latency_line(const char* name, const latency_histogram& h) {
  if (h.count() == 0)
    return std::string{name} + " no samples\n";
  char line[200];
  std::snprintf(line, sizeof line,
                "%s p50 %.2f  p95 %.2f  p99 %.2f  max %.2f ms (%lld samples)\n",
                name, h.percentile(50), h.percentile(95), h.percentile(99),
                h.max_ms(), static_cast<long long>(h.count()));
  return line;
}

} // namespace

nlohmann::json summary_json(const load_summary& s) {
  auto samples = nlohmann::json::array();
  for (const auto& [message, count] : s.error_samples)
    samples.push_back({{"message", message}, {"count", count}});
  nlohmann::json out = {
    {"turns", s.turns},
    {"duration_s", std::round(s.duration_s * 1000.0) / 1000.0},
    {"turns_per_s", std::round(s.turns_per_s() * 10.0) / 10.0},
    {"sync_up_p50_ms", ms_or_null(s.sync_up, 50)},
    {"sync_up_p95_ms", ms_or_null(s.sync_up, 95)},
    {"sync_up_p99_ms", ms_or_null(s.sync_up, 99)},
    {"sync_up_max_ms", ms_or_null(s.sync_up, 100)},
    {"push_p50_ms", ms_or_null(s.push, 50)},
    {"push_p95_ms", ms_or_null(s.push, 95)},
    {"push_p99_ms", ms_or_null(s.push, 99)},
    {"push_samples", s.push.count()},
    {"errors", s.errors},
    {"failed_saves", s.failed_saves},
    {"devices", s.devices},
    {"saves", s.saves},
    {"mode", s.mode},
    {"server_cpu_us_per_turn", tenth_or_null(s.per_turn_us(s.server_cpu_s))},
    {"server_resident_mb",
     tenth_or_null(s.server_resident_bytes < 0
                     ? -1
                     : s.server_resident_bytes / (1024.0 * 1024.0))},
    {"load_cpu_us_per_turn", tenth_or_null(s.per_turn_us(s.load_cpu_s))},
    {"error_samples", std::move(samples)}};
  if (s.conflict_rate > 0) {
    const auto& w = s.conflict_winners;
    out["conflict_rate"] = s.conflict_rate;
    out["conflict_strategy"] = s.conflict_strategy;
    out["conflicts"] = s.conflict_resolve.count();
    out["conflicts_manual"] = s.manual_conflicts;
    out["conflict_heads"] = {
      {"server", w[0]}, {"client", w[1]}, {"merged", w[2]}};
    out["conflict_resolve_p50_ms"] = ms_or_null(s.conflict_resolve, 50);
    out["conflict_resolve_p95_ms"] = ms_or_null(s.conflict_resolve, 95);
  }
  return out;
}

std::string summary_text(const load_summary& s) {
  char head[200];
  std::snprintf(head, sizeof head,
                "awf-load: %s, %d devices on %d saves: %lld turns in %.2f s "
                "= %.1f turns/s\n",
                s.mode.c_str(), s.devices, s.saves,
                static_cast<long long>(s.turns), s.duration_s, s.turns_per_s());
  auto text = std::string{head} + latency_line("  sync up", s.sync_up) +
              latency_line("  push   ", s.push);
  if (s.conflict_rate > 0) {
    char line[200];
    const auto& w = s.conflict_winners;
    std::snprintf(line, sizeof line,
                  "  conflicts %lld (%s; head afterwards: server %lld, "
                  "client %lld, merged %lld; 409 conflict_manual %lld)\n",
                  static_cast<long long>(s.conflict_resolve.count()),
                  s.conflict_strategy.c_str(), static_cast<long long>(w[0]),
                  static_cast<long long>(w[1]), static_cast<long long>(w[2]),
                  static_cast<long long>(s.manual_conflicts));
    text += line + latency_line("  conflict resolve", s.conflict_resolve);
  }
  char cpu[200];
  if (s.server_cpu_s >= 0)
    std::snprintf(cpu, sizeof cpu,
                  "  cpu per turn: server %.1f us, load tester %.1f us; "
                  "server resident %.1f MiB\n",
                  s.per_turn_us(s.server_cpu_s), s.per_turn_us(s.load_cpu_s),
                  s.server_resident_bytes / (1024.0 * 1024.0));
  else
    std::snprintf(cpu, sizeof cpu,
                  "  cpu per turn: load tester %.1f us (the server has no "
                  "process metrics)\n",
                  s.per_turn_us(s.load_cpu_s));
  text += cpu;
  text += "  errors  " + std::to_string(s.errors);
  if (s.failed_saves > 0)
    text += " (" + std::to_string(s.failed_saves) + " saves stopped early)";
  return text + "\n";
}

std::string progress_line(std::int64_t turns, double turns_per_s, double p95_ms,
                          std::int64_t errors) {
  char line[160];
  std::snprintf(line, sizeof line,
                "turns %lld | %.1f turns/s | p95 %.2f ms | errors %lld",
                static_cast<long long>(turns), turns_per_s, p95_ms,
                static_cast<long long>(errors));
  return line;
}

} // namespace awf::load
