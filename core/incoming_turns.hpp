// Turns as a device sends them (contract §5): each a whole state or an RFC
// 6902 patch against the turn before, with the state hash the device
// computed. The resolver rebuilds them one by one into canonical states and
// chain positions, checking every claim on the way.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "core/json_budget.hpp"
#include "core/rebuild_budget.hpp"
#include "core/result.hpp"
#include "core/turn_codec.hpp"

namespace awf::core {

/// One turn as canonical bytes. A producer vouches that they are canonical
/// bytes of a value parse_json accepts (the edge reads them with
/// json_document, the engine takes them from states it stored); nothing
/// here parses them again except a patch the fast path does not take.
struct incoming_turn {
  std::int64_t turn_id = 0;
  std::optional<std::string> state; ///< a whole state, or
  std::optional<std::string> patch; ///< a patch against the turn before
  std::string state_hash; ///< required with a patch; checked when present
};

/// Rebuilds consecutive incoming turns on top of a known position. Only the
/// current state and the one before are kept, so a long run of turns needs
/// the memory of two states, not of all of them. The patches of all turns
/// share one `json_budget::for_state(max_state_bytes)`: together they may
/// copy at most that much memory, and their edits move or scan at most that
/// budget's edit work, on the fast path and the exact path alike. With a
/// `rebuild_budget`, every state
/// rebuilt is charged to it as soon as its canonical bytes exist.
class turn_resolver {
public:
  /// Starts at `base` whose state is `base_state` (nullptr: the state before
  /// turn 1, which is `null`). The base state is borrowed and must outlive
  /// the resolver; its canonical bytes never change, but a patch moves its
  /// parsed value away (state_image::parsed() rebuilds it when needed).
  turn_resolver(chain_head base, state_image* base_state,
                std::size_t max_state_bytes, rebuild_budget* budget = nullptr);

  /// Rebuilds the next turn (turn ids must follow on; the caller checks).
  /// Fails with invalid_patch, hash_mismatch, payload_too_large (also when
  /// the rebuild budget is spent),
  /// unsupported_number or invalid_json; the resolver is then unusable.
  result<std::monostate> advance(incoming_turn turn);

  /// The position reached (the base before any advance).
  const chain_head& head() const noexcept { return head_; }
  /// The state hash of the position reached (empty before any advance).
  const std::string& state_hash() const noexcept { return state_hash_; }
  /// The state reached; nullptr at turn 0.
  state_image* state() noexcept { return current_; }
  /// The state before the last advance (its value may have been moved:
  /// use its canonical bytes); nullptr before turn 1.
  state_image* previous() noexcept { return previous_; }

  /// Moves the state reached out (only after at least one advance).
  state_image take_state() { return std::move(*current_); }

private:
  /// The state before, parsed and patched by `patch` (canonical bytes):
  /// the exact path, for patches the fast path does not take.
  result<nlohmann::json> patched(std::string_view patch);

  chain_head head_;
  std::string state_hash_;
  std::size_t max_state_bytes_;
  json_budget patch_budget_;
  rebuild_budget* rebuild_budget_;
  state_image* current_;
  state_image* previous_ = nullptr;
  std::array<std::optional<state_image>, 2> owned_;
  int current_slot_ = -1; ///< -1: current_ is the borrowed base
};

} // namespace awf::core
