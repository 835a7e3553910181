// A synthetic but realistic game state for benchmarks and load tests: a
// player, an inventory, quests and an explored map, about `target_bytes`
// canonical bytes, of which `advance` changes roughly the asked fraction.
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace awf::tools {

class game_state_model {
public:
  game_state_model(unsigned seed, std::size_t target_bytes);

  const nlohmann::json& state() const { return state_; }

  /// The canonical bytes (RFC 8785) of state(), equal to
  /// core::canonicalize(state()) but kept piece by piece: each edit
  /// re-canonicalizes only what it touched (an item, a quest, a map cell,
  /// the player), so a turn costs a concatenation, not a whole walk.
  const std::string& canonical();

  /// Plays one turn: edits values until about `fraction` of the canonical
  /// bytes changed; now and then an item is picked up or dropped. With
  /// `patch`, also sets it to the RFC 6902 patch of the turn's edits, in
  /// order (the turn before plus the patch gives the new state), so callers
  /// need not diff two states. The edits do not depend on `patch`.
  void advance(double fraction, nlohmann::json* patch = nullptr);

private:
  int pick(int lo, int hi);
  nlohmann::json make_item(int id);
  void edit_once(nlohmann::json* patch);
  static std::string member_bytes(const std::string& key,
                                  const nlohmann::json& value);

  std::mt19937 rng_;
  std::size_t target_bytes_;
  int next_item_id_ = 0;
  nlohmann::json state_;
  /// The member names of "quests" and "map" in iteration order (they only
  /// grow in the constructor), so an edit picks one without a walk.
  std::vector<std::string> quest_keys_;
  std::vector<std::string> map_keys_;
  // Canonical bytes of the pieces: each inventory item, each quest and map
  // member (`"name":value`, parallel to the keys) and the player.
  std::vector<std::string> item_bytes_;
  std::vector<std::string> quest_bytes_;
  std::vector<std::string> map_bytes_;
  std::string player_bytes_;
  std::string canonical_;
  bool canonical_stale_ = true;
};

} // namespace awf::tools
