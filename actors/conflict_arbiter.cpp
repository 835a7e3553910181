#include "actors/conflict_arbiter.hpp"

#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/save_errc.hpp"
#include "core/canonical_json.hpp"
#include "core/conflict_rules.hpp"
#include "core/three_way_merge.hpp"

namespace awf::actors {

namespace {

/// Parses canonical text the engine produced itself; empty text is the
/// state before turn 1 (null).
caf::expected<nlohmann::json> parse_state(const std::string& canonical) {
  if (canonical.empty())
    return nlohmann::json(nullptr);
  auto value = nlohmann::json::parse(canonical, nullptr, false);
  if (value.is_discarded())
    return make_save_error(save_errc::integrity_failure,
                           "a branch state does not parse");
  return value;
}

} // namespace

caf::expected<conflict_ruling> rule_on(const conflict_case& c) {
  auto strategy = core::parse_conflict_strategy(c.strategy);
  if (!strategy)
    return make_save_error(save_errc::invalid_request,
                           "unknown strategy \"" + c.strategy + "\"");
  auto decision = core::decide_conflict(
    *strategy, {c.server_turn, core::is_empty_canonical(c.server_state)},
    {c.client_turn, core::is_empty_canonical(c.client_state)},
    c.confirm_regression);
  conflict_ruling ruling{decision.chosen, decision.reason, {}, {}, 0};
  if (decision.chosen != core::branch_choice::merged)
    return ruling;
  auto fork = parse_state(c.fork_state);
  auto server = parse_state(c.server_state);
  auto client = parse_state(c.client_state);
  if (!fork || !server || !client)
    return make_save_error(save_errc::integrity_failure,
                           "a branch state does not parse");
  auto merge = core::three_way_merge(*fork, *server, *client,
                                     decision.client_wins_overlaps);
  // The guard holds for a merge too: it must not empty a non-empty head.
  if (core::regression_blocked(core::is_empty_state(merge.merged),
                               core::is_empty_state(*server),
                               c.confirm_regression)) {
    ruling.chosen = core::branch_choice::server;
    ruling.reason = "regression_guard";
    return ruling;
  }
  ruling.merged_state = core::canonicalize(merge.merged);
  ruling.conflicting_paths = std::move(merge.conflicting_paths);
  ruling.conflicting_paths_total =
    static_cast<std::int64_t>(merge.conflicting_paths_total);
  return ruling;
}

conflict_arbiter spawn_conflict_arbiter(caf::actor_system& sys) {
  return sys.spawn([]() -> conflict_arbiter::behavior_type {
    return {
      [](arbitrate_atom,
         const conflict_case& c) -> caf::result<conflict_ruling> {
        auto ruling = rule_on(c);
        if (!ruling)
          return std::move(ruling.error());
        return std::move(*ruling);
      },
    };
  });
}

} // namespace awf::actors
