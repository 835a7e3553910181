// Reads operator overrides from awf_cloud_sync_config (row 'default').
#pragma once

#include <map>
#include <string>

#include "persistence/database.hpp"

namespace awf::persistence {

/// Returns the non-null setting columns of the 'default' row as text, keyed
/// by column name (e.g. "snapshot_every" -> "25"); empty without a row.
stored<std::map<std::string, std::string>> read_config_overrides(database& db);

} // namespace awf::persistence
