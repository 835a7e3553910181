#include "tools/load/load_stats.hpp"

namespace awf::load {

void load_stats::record_sync_up(int turns, double ms) {
  std::lock_guard<std::mutex> guard{mutex_};
  sync_up_.record(ms);
  interval_sync_up_.record(ms);
  turns_ += turns;
}

void load_stats::record_push(double ms) {
  std::lock_guard<std::mutex> guard{mutex_};
  push_.record(ms);
}

void load_stats::record_conflict(const conflict_outcome& outcome, double ms) {
  std::lock_guard<std::mutex> guard{mutex_};
  conflict_resolve_.record(ms);
  ++conflict_winners_[static_cast<std::size_t>(outcome.winner)];
  if (outcome.manual)
    ++manual_conflicts_;
  turns_ += outcome.accepted_turns;
}

void load_stats::record_error(std::string_view message) {
  ++errors_;
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [text, count] : samples_)
    if (text == message) {
      ++count;
      return;
    }
  if (samples_.size() < max_error_samples)
    samples_.emplace_back(std::string{message}, 1);
}

double load_stats::take_interval_sync_up_p95() {
  std::lock_guard<std::mutex> guard{mutex_};
  auto p95 = interval_sync_up_.percentile(95);
  interval_sync_up_.clear();
  return p95;
}

latency_histogram load_stats::sync_up() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return sync_up_;
}

latency_histogram load_stats::push() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return push_;
}

latency_histogram load_stats::conflict_resolve() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return conflict_resolve_;
}

std::array<std::int64_t, 3> load_stats::conflict_winners() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return conflict_winners_;
}

std::int64_t load_stats::manual_conflicts() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return manual_conflicts_;
}

std::vector<std::pair<std::string, std::int64_t>>
load_stats::error_samples() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return samples_;
}

} // namespace awf::load
