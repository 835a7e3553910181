// Random game states for property tests: each call to `next` applies a few
// random edits (values, keys, array inserts and deletes) and now and then
// swaps in a tiny or a large state, so every storage path gets exercised.
#pragma once

#include <random>
#include <string>

#include <nlohmann/json.hpp>

namespace awf::test {

class state_generator {
public:
  explicit state_generator(unsigned seed) : rng_(seed) {
    state_ = {{"player", {{"name", "Ada"}, {"hp", 100}, {"pos", {0, 0}}}},
              {"inventory", nlohmann::json::array()},
              {"log", nlohmann::json::array()},
              {"flags", nlohmann::json::object()}};
    for (int i = 0; i < 40; ++i)
      state_["inventory"].push_back(item(i));
  }

  /// Returns the next state.
  const nlohmann::json& next() {
    auto roll = pick(0, 99);
    if (roll < 2) {
      tiny_backup_ = state_;
      state_ = tiny();
    } else if (roll < 4) {
      state_ = large();
    } else {
      if (!state_.is_object() || !state_.contains("inventory"))
        state_ = tiny_backup_.is_object() ? tiny_backup_ : fresh();
      for (int i = pick(1, 4); i > 0; --i)
        edit();
    }
    return state_;
  }

private:
  int pick(int lo, int hi) {
    return std::uniform_int_distribution<int>{lo, hi}(rng_);
  }

  nlohmann::json item(int id) {
    return {
      {"id", id}, {"qty", pick(1, 99)}, {"tag", "item-" + std::to_string(id)}};
  }

  nlohmann::json fresh() {
    return {{"player", {{"hp", 1}}},
            {"inventory", nlohmann::json::array()},
            {"log", nlohmann::json::array()},
            {"flags", nlohmann::json::object()}};
  }

  nlohmann::json tiny() {
    switch (pick(0, 4)) {
      case 0: return nullptr;
      case 1: return nlohmann::json::object();
      case 2: return nlohmann::json::array();
      case 3: return pick(-5, 5) * 0.5;
      default: return "x";
    }
  }

  nlohmann::json large() {
    auto big = fresh();
    std::string blob(static_cast<std::size_t>(pick(100, 300)) * 1024, 'a');
    for (auto& c : blob)
      c = static_cast<char>('a' + pick(0, 25));
    big["map"] = blob;
    return big;
  }

  void edit() {
    auto& inv = state_["inventory"];
    switch (pick(0, 7)) {
      case 0: state_["player"]["hp"] = pick(0, 100); break;
      case 1:
        state_["player"]["pos"] = {pick(-50, 50) / 4.0, pick(-50, 50)};
        break;
      case 2: // insert in the middle of an array
        inv.insert(inv.begin() + pick(0, static_cast<int>(inv.size())),
                   item(pick(100, 100000)));
        break;
      case 3: // delete from an array
        if (!inv.empty())
          inv.erase(inv.begin() + pick(0, static_cast<int>(inv.size()) - 1));
        break;
      case 4:
        state_["flags"]["f" + std::to_string(pick(0, 30))] = pick(0, 1) == 1;
        break;
      case 5: {
        auto& flags = state_["flags"];
        if (!flags.empty())
          flags.erase(flags.begin());
        break;
      }
      case 6:
        state_["log"].push_back("turn event \u00e9\U0001F600 " +
                                std::to_string(pick(0, 1 << 20)));
        break;
      default:
        if (!inv.empty())
          inv[static_cast<std::size_t>(
            pick(0, static_cast<int>(inv.size()) - 1))]["qty"] = pick(0, 999);
    }
  }

  std::mt19937 rng_;
  nlohmann::json state_;
  nlohmann::json tiny_backup_;
};

} // namespace awf::test
