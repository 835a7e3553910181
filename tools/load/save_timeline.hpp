// The game a simulated save plays: the states its devices send, turn after
// turn, and what the client expects the server to hold for each recent turn
// (state hash, chain hash, when and by which device it was sent). The
// devices of one save share one timeline and take turns extending it; a
// device that goes offline plays a fork of it, which the timeline adopts
// when the server lets that branch win a conflict.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "tools/game_state_model.hpp"
#include "tools/load/chain_tracker.hpp"
#include "tools/load/check_result.hpp"
#include "tools/load/load_clock.hpp"

namespace awf::load {

/// One turn as sent by a device, which the server must echo back exactly.
struct planned_turn {
  std::int64_t turn_id = 0;
  std::string state_hash; ///< Empty for turn 0.
  std::string chain_hash;
  load_clock::time_point sent_at{}; ///< Epoch until sent.
  int sent_by = -1;                 ///< Device index, -1 until sent.
};

/// Turns just played, ready to send.
struct played_turns {
  /// The JSON array text of their sync-up entries (contract §5).
  std::string entries;
  /// Per turn, in order: its patch against the turn before, or null when
  /// the entry holds the whole state.
  std::vector<nlohmann::json> patches;
};

struct timeline_settings {
  std::size_t state_bytes = 16 * 1024; ///< Canonical size of a state.
  double change_fraction = 0.01;       ///< Part of the state a turn edits.
  int full_every = 20; ///< Every this many turns a whole state, not a patch.
  /// Shifts the turns that carry a whole state (turn_id + full_phase
  /// divisible by full_every), so saves that start together do not all
  /// send theirs in the same second.
  int full_phase = 0;
};

class save_timeline {
public:
  save_timeline(std::string session_id, unsigned seed,
                timeline_settings settings);

  const std::string& session_id() const { return session_id_; }

  /// The last planned turn and its chain hash ({0, chain(0)} at first).
  const core::chain_head& head() const { return chain_.head(); }

  /// The state of the head turn (the model's first state before turn 1,
  /// which no device ever sees: turn 1 always carries a whole state).
  const nlohmann::json& state() const {
    return adopted_ ? *adopted_ : model_.state();
  }

  /// Plays `count` turns and returns their sync-up entries (contract §5):
  /// `{"turn_id", "state"}` on turn 1 and on every turn whose id plus
  /// `full_phase` is divisible by `full_every`, otherwise `{"turn_id", "patch",
  /// "state_hash"}` with the JSON Patch of the model's edits. The head moves to
  /// the last one. Each state is hashed once from the model's canonical bytes;
  /// a whole state is sent as those bytes, after checking them against
  /// core::canonicalize (throws std::logic_error if they differ). When the
  /// head's state is not the model's own (a fork, or a state a conflict
  /// put there), the model's edits that fit are applied to that state.
  played_turns play(int count);

  /// A branch from the head, as a device that goes offline plays it: the
  /// edits of another game (seeded with `seed`) on a copy of the head's
  /// state. It knows the turns it plays, not those before the head.
  save_timeline fork(unsigned seed) const;

  /// Makes `branch`, a fork of this timeline, the timeline (the server let
  /// the branch win): its turns replace those after the turn it forked
  /// from, and play() goes on from its state.
  void adopt(save_timeline branch);

  /// Appends `head`, the turn the server merged on top of the head
  /// (contract §6), with its `state` as read back from the server and that
  /// state's hash. `head` must follow the head and chain from it with
  /// `state_hash`; play() goes on from `state`.
  check_result append_merged(const core::chain_head& head, nlohmann::json state,
                             const std::string& state_hash,
                             load_clock::time_point sent_at, int device);

  /// Notes that turns `first`..`last` were sent at `at` by device `device`.
  void mark_sent(std::int64_t first, std::int64_t last,
                 load_clock::time_point at, int device);

  /// The planned turn `turn_id`, or null when it was never planned or was
  /// forgotten. Turn 0 (state hash empty, chain(0)) is always found.
  const planned_turn* find(std::int64_t turn_id) const;

  /// Forgets turns up to `turn_id`, once every device knows them.
  void forget_through(std::int64_t turn_id);

private:
  std::string session_id_;
  timeline_settings settings_;
  tools::game_state_model model_;
  chain_tracker chain_;
  planned_turn genesis_;
  std::deque<planned_turn> recent_; ///< Consecutive turn ids.
  /// The head's state when it is not the model's (see play()).
  std::optional<nlohmann::json> adopted_;
  /// A fork's starting point: the head it was forked from.
  std::optional<core::chain_head> forked_from_;
};

} // namespace awf::load
