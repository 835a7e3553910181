#include "actors/actor_config.hpp"

#include <caf/atom.hpp>

#include "actors/type_ids.hpp"
#include "config/usable_cpus.hpp"

namespace awf::actors {

actor_config::actor_config() {
  register_message_types(*this);
  set("scheduler.policy", caf::atom("sharing"));
  // One worker per CPU the process may use: more workers than cores only
  // wake each other (CAF's default is at least four).
  set("scheduler.max-threads", config::usable_cpus());
}

} // namespace awf::actors
