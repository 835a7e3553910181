// Which device of a save plays next. The devices take turns in order; with
// a conflict rate, the device whose turn it is may go offline instead,
// while the others play on for a few turns, and then come back with turns
// of its own built on the head it last knew. Pure and deterministic for a
// seed, so the schedule is testable without a server.
#pragma once

#include <cstddef>
#include <optional>
#include <random>

namespace awf::load {

enum class step_kind {
  play,       ///< Catch up with the head, then sync the next turns up.
  go_offline, ///< Catch up with the head, then stop following the save.
  come_back,  ///< Sync up `turns` turns built on the stale head, then rejoin.
};

struct rotation_step {
  step_kind kind = step_kind::play;
  std::size_t device = 0;
  int turns = 0; ///< come_back: turns the device played while offline.
};

class device_rotation {
public:
  /// Turns the other devices play while one is away: 1 to this many.
  static constexpr int max_turns_away = 3;
  /// Turns the device plays on its own while away: 1 to this many.
  static constexpr int max_branch_turns = 3;

  /// `devices` devices (at least 1); `conflict_rate` (0..1) is the chance
  /// that a device goes offline at its turn. At most one device of a save
  /// is offline at a time, and a save of one device never goes offline.
  device_rotation(std::size_t devices, double conflict_rate, unsigned seed);

  /// The next step. Without a conflict rate: play by device 0, 1, ...,
  /// n-1, 0, ... and nothing else.
  rotation_step next();

  /// The device that is offline now, if any.
  std::optional<std::size_t> offline() const { return offline_; }

private:
  int pick(int lo, int hi);

  std::size_t devices_;
  double conflict_rate_;
  std::mt19937 rng_;
  std::size_t next_ = 0;
  std::optional<std::size_t> offline_;
  int turns_away_ = 0; ///< Turns the others still play before it returns.
};

} // namespace awf::load
