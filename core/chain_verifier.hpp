// Walks a save's stored turns in order and checks everything that makes the
// history trustworthy: consecutive turn ids, the hash chain, and (where
// asked) that each blob decrypts, decodes and rebuilds the recorded state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/chain.hpp"
#include "core/key_ring.hpp"
#include "core/turn_codec.hpp"

namespace awf::core {

/// Verifies turns fed in order from turn 1. Stops checking at the first bad
/// turn: later diffs cannot be trusted once their base is wrong.
class chain_verifier {
public:
  chain_verifier(std::string genesis_chain, const key_ring& keys,
                 std::size_t max_state_bytes);

  /// Verifies turns fed in order after `start`, whose rebuilt state is
  /// `start_state` (nullopt at turn 0, or when diffs will not be rebuilt).
  chain_verifier(chain_head start, std::optional<state_image> start_state,
                 const key_ring& keys, std::size_t max_state_bytes);

  /// Checks the next turn. With `rebuild`, also decodes its blob and checks
  /// the state hash; without, only ids and the chain (cheap, metadata only).
  /// A rebuilt diff needs the state before it: rebuild from a snapshot on.
  /// Returns false once a bad turn was found.
  bool feed(const stored_turn& turn, bool rebuild);

  /// Number of turns checked so far.
  std::int64_t checked_turns() const noexcept { return checked_turns_; }

  /// The first turn that failed a check, if any.
  std::optional<std::int64_t> first_bad_turn() const noexcept {
    return first_bad_turn_;
  }

  /// Human sentences describing what failed.
  const std::vector<std::string>& errors() const noexcept { return errors_; }

  /// The last good position of the chain.
  const chain_head& head() const noexcept { return head_; }

  /// The last rebuilt state, if the last fed turn was rebuilt.
  const state_image* last_state() const noexcept {
    return state_ ? &*state_ : nullptr;
  }

  /// Records a failure found outside the walk (e.g. a head pointer that
  /// disagrees with the last turn).
  void fail(std::int64_t turn_id, std::string message);

private:
  const key_ring* keys_;
  std::size_t max_state_bytes_;
  chain_head head_;
  std::optional<state_image> state_;
  std::int64_t checked_turns_ = 0;
  std::optional<std::int64_t> first_bad_turn_;
  std::vector<std::string> errors_;
};

/// Rebuilds the state of the last of `turns`, which must start at a snapshot
/// and be consecutive.
result<state_image> rebuild_state(const std::vector<stored_turn>& turns,
                                  const key_ring& keys,
                                  std::size_t max_state_bytes);

} // namespace awf::core
