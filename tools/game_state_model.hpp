// A synthetic but realistic game state for benchmarks and load tests: a
// player, an inventory, quests and an explored map, about `target_bytes`
// canonical bytes, of which `advance` changes roughly the asked fraction.
#pragma once

#include <cstddef>
#include <random>

#include <nlohmann/json.hpp>

namespace awf::tools {

class game_state_model {
public:
  game_state_model(unsigned seed, std::size_t target_bytes);

  const nlohmann::json& state() const { return state_; }

  /// Plays one turn: edits values until about `fraction` of the canonical
  /// bytes changed; now and then an item is picked up or dropped.
  void advance(double fraction);

private:
  int pick(int lo, int hi);
  nlohmann::json make_item(int id);
  void edit_once();

  std::mt19937 rng_;
  std::size_t target_bytes_;
  int next_item_id_ = 0;
  nlohmann::json state_;
};

} // namespace awf::tools
