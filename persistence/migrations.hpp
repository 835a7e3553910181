// Numbered schema migrations, applied in order at start-up and recorded in
// awf_schema_migrations, so every database reaches the same schema.
#pragma once

#include <vector>

#include "persistence/database.hpp"

namespace awf::persistence {

/// The highest migration version this build knows.
int latest_schema_version() noexcept;

/// Applies every migration the database lacks up to `target_version` (all of
/// them by default; tests stop earlier to check upgrades), each in its own
/// transaction, serialized against other processes migrating the same
/// database. Returns the versions applied by this call.
stored<std::vector<int>> migrate(database& db,
                                 int target_version = latest_schema_version());

} // namespace awf::persistence
