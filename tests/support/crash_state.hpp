// The deterministic state of turn t used by the crash test: the writer child
// and the checking parent must agree on it without talking.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace awf::test {

inline nlohmann::json crash_state(std::int64_t turn) {
  nlohmann::json cells = nlohmann::json::array();
  for (int i = 0; i < 120; ++i)
    cells.push_back(
      {{"i", i}, {"v", (turn * 31 + i * 7) % 97 == 0 ? turn : i}});
  return {{"turn", turn},
          {"gold", turn * 3},
          {"name", "crash-" + std::to_string(turn % 13)},
          {"cells", cells}};
}

} // namespace awf::test
