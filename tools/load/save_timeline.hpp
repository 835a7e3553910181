// The game a simulated save plays: the states its devices send, turn after
// turn, and what the client expects the server to hold for each recent turn
// (state hash, chain hash, when and by which device it was sent). The
// devices of one save share one timeline and take turns extending it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "tools/game_state_model.hpp"
#include "tools/load/chain_tracker.hpp"
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
  const nlohmann::json& state() const { return model_.state(); }

  /// Plays `count` turns and returns their sync-up entries (contract §5):
  /// `{"turn_id", "state"}` on turn 1 and on every turn divisible by
  /// `full_every`, otherwise `{"turn_id", "patch", "state_hash"}` with the
  /// JSON Patch of the model's edits. The head moves to the last one. Each
  /// state is hashed once from the model's canonical bytes; a whole state
  /// is sent as those bytes, after checking them against
  /// core::canonicalize (throws std::logic_error if they differ).
  played_turns play(int count);

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
};

} // namespace awf::load
