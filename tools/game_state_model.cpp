#include "tools/game_state_model.hpp"

#include "core/canonical_json.hpp"

namespace awf::tools {

namespace {

// Each edit rewrites about this many canonical bytes.
constexpr double bytes_per_edit = 18.0;

} // namespace

game_state_model::game_state_model(unsigned seed, std::size_t target_bytes)
  : rng_(seed), target_bytes_(target_bytes) {
  state_ = {{"player",
             {{"name", "Ada"},
              {"level", 1},
              {"hp", 100},
              {"mp", 40},
              {"xp", 0},
              {"gold", 25},
              {"pos", {0, 0, 0}}}},
            {"inventory", nlohmann::json::array()},
            {"quests", nlohmann::json::object()},
            {"map", nlohmann::json::object()},
            {"turn", 0}};
  // Grow the state to the target size with items, quests and map cells.
  while (core::canonicalize(state_).size() < target_bytes_) {
    state_["inventory"].push_back(make_item(next_item_id_++));
    auto n = std::to_string(next_item_id_);
    state_["quests"]["q" + n] = {{"stage", pick(0, 9)}, {"done", false}};
    state_["map"]["cell_" + n] = {{"seen", pick(0, 1) == 1},
                                  {"danger", pick(0, 5)}};
  }
}

int game_state_model::pick(int lo, int hi) {
  return std::uniform_int_distribution<int>{lo, hi}(rng_);
}

nlohmann::json game_state_model::make_item(int id) {
  static const char* kinds[] = {"potion", "sword", "arrow", "herb", "ore"};
  return {{"id", id},
          {"kind", kinds[pick(0, 4)]},
          {"qty", pick(1, 50)},
          {"durability", pick(0, 1000) / 10.0}};
}

void game_state_model::edit_once() {
  auto& inv = state_["inventory"];
  switch (pick(0, 9)) {
    case 0:
      inv.insert(inv.begin() + pick(0, static_cast<int>(inv.size())),
                 make_item(next_item_id_++));
      break;
    case 1:
      if (inv.size() > 1)
        inv.erase(inv.begin() + pick(0, static_cast<int>(inv.size()) - 1));
      break;
    case 2:
    case 3:
      inv[static_cast<std::size_t>(pick(0, static_cast<int>(inv.size()) - 1))]
         ["qty"] = pick(0, 99);
      break;
    case 4: {
      auto& quests = state_["quests"];
      auto it =
        std::next(quests.begin(), pick(0, static_cast<int>(quests.size()) - 1));
      (*it)["stage"] = pick(0, 9);
      break;
    }
    case 5: {
      auto& map = state_["map"];
      auto it =
        std::next(map.begin(), pick(0, static_cast<int>(map.size()) - 1));
      (*it)["seen"] = true;
      break;
    }
    default: {
      auto& player = state_["player"];
      player["hp"] = pick(1, 100);
      player["pos"] = {pick(-500, 500), pick(-500, 500), pick(0, 3)};
      break;
    }
  }
}

void game_state_model::advance(double fraction) {
  state_["turn"] = state_["turn"].get<int>() + 1;
  auto edits = static_cast<int>(static_cast<double>(target_bytes_) * fraction /
                                bytes_per_edit);
  for (int i = 0; i < std::max(1, edits); ++i)
    edit_once();
}

} // namespace awf::tools
