#include "tools/load/save_timeline.hpp"

#include <algorithm>

#include "core/canonical_json.hpp"
#include "core/json_patch.hpp"

namespace awf::load {

save_timeline::save_timeline(std::string session_id, unsigned seed,
                             timeline_settings settings)
  : session_id_(std::move(session_id)), settings_(settings),
    model_(seed, settings.state_bytes),
    chain_(chain_tracker::genesis(session_id_)) {
  settings_.full_every = std::max(1, settings_.full_every);
  genesis_.turn_id = 0;
  genesis_.chain_hash = chain_.head().chain_hash;
}

nlohmann::json save_timeline::play(int count) {
  auto entries = nlohmann::json::array();
  for (int i = 0; i < count; ++i) {
    model_.advance(settings_.change_fraction);
    const auto& state = model_.state();
    auto turn_id = chain_.head().turn_id + 1;
    auto hash = core::state_hash(core::canonicalize(state));
    if (turn_id == 1 || turn_id % settings_.full_every == 0)
      entries.push_back({{"turn_id", turn_id}, {"state", state}});
    else
      entries.push_back({{"turn_id", turn_id},
                         {"patch", core::diff(previous_, state)},
                         {"state_hash", hash}});
    // Cannot fail: the timeline is the only writer of its chain.
    (void)chain_.append(turn_id, hash);
    recent_.push_back({turn_id, std::move(hash), chain_.head().chain_hash});
    previous_ = state;
  }
  return entries;
}

void save_timeline::mark_sent(std::int64_t first, std::int64_t last,
                              load_clock::time_point at, int device) {
  for (auto& turn : recent_)
    if (turn.turn_id >= first && turn.turn_id <= last) {
      turn.sent_at = at;
      turn.sent_by = device;
    }
}

const planned_turn* save_timeline::find(std::int64_t turn_id) const {
  if (turn_id == 0)
    return &genesis_;
  if (recent_.empty() || turn_id < recent_.front().turn_id ||
      turn_id > recent_.back().turn_id)
    return nullptr;
  return &recent_[static_cast<std::size_t>(turn_id - recent_.front().turn_id)];
}

void save_timeline::forget_through(std::int64_t turn_id) {
  while (!recent_.empty() && recent_.front().turn_id <= turn_id)
    recent_.pop_front();
}

} // namespace awf::load
