#include "tools/load/device_rotation.hpp"

#include <algorithm>

namespace awf::load {

device_rotation::device_rotation(std::size_t devices, double conflict_rate,
                                 unsigned seed)
  : devices_(std::max<std::size_t>(1, devices)),
    conflict_rate_(std::clamp(conflict_rate, 0.0, 1.0)), rng_(seed) {}

int device_rotation::pick(int lo, int hi) {
  return std::uniform_int_distribution<int>{lo, hi}(rng_);
}

rotation_step device_rotation::next() {
  if (offline_ && turns_away_ == 0) {
    auto device = *offline_;
    offline_.reset();
    next_ = (device + 1) % devices_;
    return {step_kind::come_back, device, pick(1, max_branch_turns)};
  }
  auto device = next_;
  if (offline_ && device == *offline_)
    device = (device + 1) % devices_;
  next_ = (device + 1) % devices_;
  if (offline_) {
    --turns_away_;
    return {step_kind::play, device, 0};
  }
  // No draw at all without a conflict rate: the plain rotation of old.
  if (conflict_rate_ > 0 && devices_ > 1 &&
      std::bernoulli_distribution{conflict_rate_}(rng_)) {
    offline_ = device;
    turns_away_ = pick(1, max_turns_away);
    return {step_kind::go_offline, device, 0};
  }
  return {step_kind::play, device, 0};
}

} // namespace awf::load
