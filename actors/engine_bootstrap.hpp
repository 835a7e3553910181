// Start-up of the save engine from configuration: settings from the
// environment and the config table, the schema migrated, the blob key ring
// loaded (or generated), and the engine context built from them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "actors/engine_context.hpp"
#include "actors/save_service.hpp"
#include "config/settings.hpp"
#include "core/result.hpp"

namespace awf::actors {

struct engine_setup {
  config::settings settings;
  engine_context_ptr context;
  service_options service;
  /// Things the operator should know at start (a setting that does nothing
  /// yet, a data directory open to others); the caller prints them.
  std::vector<std::string> warnings;
};

/// Reads the environment, creates the data directory (0700) when missing,
/// opens and migrates the database, applies the awf_cloud_sync_config
/// overrides (environment still wins), loads the blob keys and turns it all
/// into an engine context. Fails with a message that
/// names the offending variable (never a secret's value).
core::result<engine_setup> bootstrap_engine(const config::env_lookup& env);

/// Converts settings into engine options.
engine_options engine_options_from(const config::settings& s);

} // namespace awf::actors
