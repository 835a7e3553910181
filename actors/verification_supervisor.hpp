// Periodically samples saves and rebuilds them from their stored turns; a
// mismatch flags the save (integrity_ok = false) and writes an audit record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/engine_context.hpp"
#include "actors/storage_actor.hpp"

namespace awf::actors {

using verification_actor = caf::typed_actor<
  // Runs one sweep now over `percent` % of saves and reports it.
  caf::replies_to<sweep_atom, double>::with<sweep_report>,
  // The timer: a sweep at options.verify_sample_pct.
  caf::reacts_to<tick_atom>>;

/// Spawns the supervisor; with `periodic`, it sweeps every
/// options.verify_interval on its own.
verification_actor spawn_verification_supervisor(
  caf::actor_system& sys, engine_context_ptr context,
  std::vector<storage_reader_actor> readers, bool periodic);

} // namespace awf::actors
