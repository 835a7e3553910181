// Random (version 4) UUIDs for server-made ids: lowercase and hyphenated, as
// the contract requires.
#pragma once

#include <string>
#include <string_view>

namespace awf::core {

/// Returns a new random UUID from the OS's cryptographic generator.
std::string random_uuid();

} // namespace awf::core

namespace awf::core {

/// True for a lowercase hyphenated UUID (8-4-4-4-12 hex digits).
bool is_uuid(std::string_view text) noexcept;

} // namespace awf::core
