// Secrets generated on first start and kept in the data directory (mode
// 0600), so a development server restarts with the same keys.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "core/result.hpp"

namespace awf::config {

/// Returns the content of `path`, creating it first with `generate()` (mode
/// 0600, exclusive create, parent directories made) if it does not exist.
/// Fails if the file is readable by group or others.
core::result<std::string>
load_or_create_secret(const std::filesystem::path& path,
                      const std::function<std::string()>& generate);

/// Returns the blob key ring spec: `enc_keys` when set, else a key generated
/// once into <data_dir>/enc_keys.
core::result<std::string> blob_key_spec(const std::string& enc_keys,
                                        const std::string& data_dir);

} // namespace awf::config
