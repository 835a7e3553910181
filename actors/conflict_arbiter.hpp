// The conflict arbitration supervisor: given both branches of a divergent
// sync up from their fork, it decides by strategy (contract §6), applies the
// regression guard and merges where asked. It only decides; the save actor
// commits the outcome.
#pragma once

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/conflict_messages.hpp"
#include "actors/type_ids.hpp"

namespace awf::actors {

using conflict_arbiter = caf::typed_actor<
  caf::replies_to<arbitrate_atom, conflict_case>::with<conflict_ruling>>;

/// Rules on one case; pure, so tests can call it directly.
caf::expected<conflict_ruling> rule_on(const conflict_case& c);

conflict_arbiter spawn_conflict_arbiter(caf::actor_system& sys);

} // namespace awf::actors
