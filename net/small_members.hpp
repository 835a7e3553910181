// The small members of a message (all but a sync up's states and patches),
// read as trees for the checks written for trees, within one budget.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/json_budget.hpp"
#include "core/json_document.hpp"

namespace awf::net {

class small_members {
public:
  /// What all the members read through one reader may cost as trees,
  /// whatever the message's size.
  static constexpr std::size_t budget_bytes = std::size_t{64} << 10;

  /// Member `key` of `object` as a tree; nothing when absent. A member past
  /// the budget reads as no JSON value (discarded), which every check
  /// refuses.
  std::optional<nlohmann::json> operator()(const core::json_view& object,
                                           std::string_view key) {
    auto view = object.find(key);
    if (!view)
      return std::nullopt;
    auto tree = view->to_json(budget_);
    return tree ? std::move(*tree)
                : nlohmann::json(nlohmann::json::value_t::discarded);
  }

private:
  core::json_budget budget_{budget_bytes};
};

} // namespace awf::net
