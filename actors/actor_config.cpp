#include "actors/actor_config.hpp"

#include <caf/atom.hpp>

#include "actors/type_ids.hpp"

namespace awf::actors {

actor_config::actor_config() {
  register_message_types(*this);
  set("scheduler.policy", caf::atom("sharing"));
}

} // namespace awf::actors
