// The actor system configuration every program of ours uses (server, tools,
// tests), so message types and scheduling behave the same everywhere.
#pragma once

#include <caf/actor_system_config.hpp>

namespace awf::actors {

/// Registers the awf type-id block and error category, and picks the
/// 'sharing' scheduler: idle workers wait on a condition variable and wake at
/// once, where work stealing would poll with sleeps of up to 10 ms. Turn
/// latency matters more to us than the last bit of throughput.
class actor_config : public caf::actor_system_config {
public:
  actor_config();
};

} // namespace awf::actors
