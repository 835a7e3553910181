#include "tools/game_state_model.hpp"

#include <map>

#include "core/canonical_json.hpp"

namespace awf::tools {

namespace {

using json = nlohmann::json;

// Each edit rewrites about this many canonical bytes.
constexpr double bytes_per_edit = 18.0;

std::string pointer_of(std::initializer_list<std::string_view> tokens) {
  std::string pointer;
  for (auto token : tokens)
    core::append_pointer_token(pointer, token);
  return pointer;
}

void add_op(json* patch, const char* op, std::string path, json value) {
  if (patch == nullptr)
    return;
  json entry = json::object();
  entry["op"] = op;
  entry["path"] = std::move(path);
  if (!value.is_discarded())
    entry["value"] = std::move(value);
  patch->push_back(std::move(entry));
}

json no_value() {
  return json(json::value_t::discarded);
}

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
            {"inventory", json::array()},
            {"quests", json::object()},
            {"map", json::object()},
            {"turn", 0}};
  player_bytes_ = core::canonicalize(state_["player"]);
  // Grow the state to the target size with items, quests and map cells.
  // The canonical size grows by each new piece and its comma, so it is
  // counted, not recomputed.
  std::map<std::string, std::string> quests;
  std::map<std::string, std::string> cells;
  auto size = core::canonicalize(state_).size();
  while (size < target_bytes_) {
    auto item = make_item(next_item_id_++);
    item_bytes_.push_back(core::canonicalize(item));
    size += item_bytes_.back().size() + (item_bytes_.size() > 1 ? 1 : 0);
    state_["inventory"].push_back(std::move(item));
    auto n = std::to_string(next_item_id_);
    json quest = {{"stage", pick(0, 9)}, {"done", false}};
    auto quest_key = "q" + n;
    auto quest_piece = member_bytes(quest_key, quest);
    size += quest_piece.size() + (quests.empty() ? 0 : 1);
    quests.emplace(quest_key, std::move(quest_piece));
    state_["quests"][quest_key] = std::move(quest);
    json cell = {{"seen", pick(0, 1) == 1}, {"danger", pick(0, 5)}};
    auto cell_key = "cell_" + n;
    auto cell_piece = member_bytes(cell_key, cell);
    size += cell_piece.size() + (cells.empty() ? 0 : 1);
    cells.emplace(cell_key, std::move(cell_piece));
    state_["map"][cell_key] = std::move(cell);
  }
  // Same order as the state's own members (both std::map on the names).
  for (auto& [key, bytes] : quests) {
    quest_keys_.push_back(key);
    quest_bytes_.push_back(std::move(bytes));
  }
  for (auto& [key, bytes] : cells) {
    map_keys_.push_back(key);
    map_bytes_.push_back(std::move(bytes));
  }
}

std::string game_state_model::member_bytes(const std::string& key,
                                           const json& value) {
  std::string out;
  core::canonicalize_to(json(key), out);
  out += ':';
  core::canonicalize_to(value, out);
  return out;
}

const std::string& game_state_model::canonical() {
  if (!canonical_stale_)
    return canonical_;
  auto join = [this](const std::vector<std::string>& pieces, char open,
                     char close) {
    canonical_ += open;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      if (i > 0)
        canonical_ += ',';
      canonical_ += pieces[i];
    }
    canonical_ += close;
  };
  canonical_.clear();
  canonical_ += '{';
  bool first = true;
  // The top-level names are ASCII, so the map's order is the canonical one.
  for (const auto& [key, value] : state_.items()) {
    if (!first)
      canonical_ += ',';
    first = false;
    core::canonicalize_to(json(key), canonical_);
    canonical_ += ':';
    if (key == "inventory")
      join(item_bytes_, '[', ']');
    else if (key == "quests")
      join(quest_bytes_, '{', '}');
    else if (key == "map")
      join(map_bytes_, '{', '}');
    else if (key == "player")
      canonical_ += player_bytes_;
    else
      core::canonicalize_to(value, canonical_);
  }
  canonical_ += '}';
  canonical_stale_ = false;
  return canonical_;
}

int game_state_model::pick(int lo, int hi) {
  return std::uniform_int_distribution<int>{lo, hi}(rng_);
}

json game_state_model::make_item(int id) {
  static const char* kinds[] = {"potion", "sword", "arrow", "herb", "ore"};
  return {{"id", id},
          {"kind", kinds[pick(0, 4)]},
          {"qty", pick(1, 50)},
          {"durability", pick(0, 1000) / 10.0}};
}

void game_state_model::edit_once(json* patch) {
  auto& inv = state_["inventory"];
  switch (pick(0, 9)) {
    case 0: {
      // The item first, then its place: the order in which GCC evaluated
      // `inv.insert(inv.begin() + pick(...), make_item(...))` before, so
      // seeds keep playing the same games.
      auto item = make_item(next_item_id_++);
      auto at = pick(0, static_cast<int>(inv.size()));
      item_bytes_.insert(item_bytes_.begin() + at, core::canonicalize(item));
      if (patch != nullptr)
        add_op(patch, "add", pointer_of({"inventory", std::to_string(at)}),
               item);
      inv.insert(inv.begin() + at, std::move(item));
      break;
    }
    case 1:
      if (inv.size() > 1) {
        auto at = pick(0, static_cast<int>(inv.size()) - 1);
        inv.erase(inv.begin() + at);
        item_bytes_.erase(item_bytes_.begin() + at);
        if (patch != nullptr)
          add_op(patch, "remove", pointer_of({"inventory", std::to_string(at)}),
                 no_value());
      }
      break;
    case 2:
    case 3: {
      // As in `inv[pick(...)]["qty"] = pick(0, 99)`: the value first.
      auto qty = pick(0, 99);
      auto at = pick(0, static_cast<int>(inv.size()) - 1);
      auto& item = inv[static_cast<std::size_t>(at)];
      item["qty"] = qty;
      item_bytes_[static_cast<std::size_t>(at)] = core::canonicalize(item);
      if (patch != nullptr)
        add_op(patch, "replace",
               pointer_of({"inventory", std::to_string(at), "qty"}), qty);
      break;
    }
    case 4: {
      auto at = static_cast<std::size_t>(
        pick(0, static_cast<int>(quest_keys_.size()) - 1));
      const auto& key = quest_keys_[at];
      auto stage = pick(0, 9);
      auto& quest = state_["quests"][key];
      quest["stage"] = stage;
      quest_bytes_[at] = member_bytes(key, quest);
      if (patch != nullptr)
        add_op(patch, "replace", pointer_of({"quests", key, "stage"}), stage);
      break;
    }
    case 5: {
      auto at = static_cast<std::size_t>(
        pick(0, static_cast<int>(map_keys_.size()) - 1));
      const auto& key = map_keys_[at];
      auto& cell = state_["map"][key];
      cell["seen"] = true;
      map_bytes_[at] = member_bytes(key, cell);
      if (patch != nullptr)
        add_op(patch, "replace", pointer_of({"map", key, "seen"}), true);
      break;
    }
    default: {
      auto& player = state_["player"];
      auto hp = pick(1, 100);
      player["hp"] = hp;
      // Braced arguments are evaluated in order: x, y, then z.
      json pos = {pick(-500, 500), pick(-500, 500), pick(0, 3)};
      if (patch != nullptr) {
        add_op(patch, "replace", "/player/hp", hp);
        add_op(patch, "replace", "/player/pos", pos);
      }
      player["pos"] = std::move(pos);
      player_bytes_ = core::canonicalize(player);
      break;
    }
  }
}

void game_state_model::advance(double fraction, json* patch) {
  canonical_stale_ = true;
  auto turn = state_["turn"].get<int>() + 1;
  state_["turn"] = turn;
  if (patch != nullptr) {
    *patch = json::array();
    add_op(patch, "replace", "/turn", turn);
  }
  auto edits = static_cast<int>(static_cast<double>(target_bytes_) * fraction /
                                bytes_per_edit);
  for (int i = 0; i < std::max(1, edits); ++i)
    edit_once(patch);
}

} // namespace awf::tools
