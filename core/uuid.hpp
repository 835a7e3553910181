// Server-made UUIDs: random (version 4), time-ordered (version 7) and named
// (version 8, RFC 9562), lowercase and hyphenated, as the contract requires.
#pragma once

#include <string>
#include <string_view>

namespace awf::core {

/// Returns a new random UUID from the OS's cryptographic generator.
std::string random_uuid();

/// Returns a new version 7 UUID: the Unix time in milliseconds, then 74
/// random bits. Ids made later sort later (to the millisecond), so a B-tree
/// index over them grows at its right edge instead of touching a random page
/// per insert, as random ids do.
std::string time_ordered_uuid();

/// Returns the version 8 UUID named by `name` (the first 16 bytes of its
/// SHA-256): the same name always gives the same id, so a record derived
/// from stored data has a stable id without storing one.
std::string name_based_uuid(std::string_view name);

} // namespace awf::core

namespace awf::core {

/// True for a lowercase hyphenated UUID (8-4-4-4-12 hex digits).
bool is_uuid(std::string_view text) noexcept;

} // namespace awf::core
