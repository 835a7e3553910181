#include "tools/load/save_timeline.hpp"

#include <algorithm>
#include <stdexcept>

#include "core/canonical_json.hpp"
#include "tools/load/patch_fitting.hpp"

namespace awf::load {

save_timeline::save_timeline(std::string session_id, unsigned seed,
                             timeline_settings settings)
  : session_id_(std::move(session_id)), settings_(settings),
    model_(seed, settings.state_bytes),
    chain_(chain_tracker::genesis(session_id_)) {
  settings_.full_every = std::max(1, settings_.full_every);
  settings_.full_phase = std::max(0, settings_.full_phase);
  genesis_.turn_id = 0;
  genesis_.chain_hash = chain_.head().chain_hash;
}

played_turns save_timeline::play(int count) {
  played_turns played;
  played.patches.reserve(static_cast<std::size_t>(std::max(0, count)));
  auto& out = played.entries;
  out += '[';
  for (int i = 0; i < count; ++i) {
    nlohmann::json patch;
    model_.advance(settings_.change_fraction, &patch);
    std::string adopted_canonical;
    if (adopted_) {
      patch = apply_fitting_operations(*adopted_, patch);
      adopted_canonical = core::canonicalize(*adopted_);
    }
    const auto& canonical = adopted_ ? adopted_canonical : model_.canonical();
    auto hash = core::state_hash(canonical);
    auto turn_id = chain_.head().turn_id + 1;
    if (i > 0)
      out += ',';
    out += "{\"turn_id\":";
    out += std::to_string(turn_id);
    if (turn_id == 1 ||
        (turn_id + settings_.full_phase) % settings_.full_every == 0) {
      // Now and then, the model's piecewise bytes against a whole walk.
      if (!adopted_ && canonical != core::canonicalize(model_.state()))
        throw std::logic_error{"the game state model's canonical bytes "
                               "differ from core::canonicalize"};
      out += ",\"state\":";
      out += canonical;
      played.patches.emplace_back(nullptr);
    } else {
      out += ",\"patch\":";
      out += patch.dump();
      out += ",\"state_hash\":\"";
      out += hash;
      out += '"';
      played.patches.push_back(std::move(patch));
    }
    out += '}';
    // Cannot fail: the timeline is the only writer of its chain.
    (void)chain_.append(turn_id, hash);
    recent_.push_back({turn_id, std::move(hash), chain_.head().chain_hash});
  }
  out += ']';
  return played;
}

save_timeline save_timeline::fork(unsigned seed) const {
  save_timeline branch{session_id_, seed, settings_};
  branch.chain_ = chain_;
  branch.adopted_ = state();
  branch.forked_from_ = head();
  return branch;
}

void save_timeline::adopt(save_timeline branch) {
  if (!branch.forked_from_ || !branch.adopted_)
    throw std::logic_error{"a timeline adopts only a fork of itself"};
  auto fork_turn = branch.forked_from_->turn_id;
  while (!recent_.empty() && recent_.back().turn_id > fork_turn)
    recent_.pop_back();
  // find() relies on consecutive turn ids: the fork point must be known.
  if (!recent_.empty() && recent_.back().turn_id != fork_turn)
    throw std::logic_error{"the timeline forgot the turn a branch forked "
                           "from"};
  for (auto& turn : branch.recent_)
    recent_.push_back(std::move(turn));
  chain_ = std::move(branch.chain_);
  adopted_ = std::move(branch.adopted_);
}

check_result save_timeline::append_merged(const core::chain_head& head,
                                          nlohmann::json state,
                                          const std::string& state_hash,
                                          load_clock::time_point sent_at,
                                          int device) {
  if (auto ok = chain_.append(head.turn_id, state_hash, head.chain_hash); !ok)
    return ok.error();
  recent_.push_back(
    {head.turn_id, state_hash, head.chain_hash, sent_at, device});
  adopted_ = std::move(state);
  return passed();
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
