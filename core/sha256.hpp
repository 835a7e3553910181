// SHA-256 digests as lowercase hex, the only hash format of the contract.
#pragma once

#include <string>
#include <string_view>

namespace awf::core {

/// Returns the lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Returns the raw 32-byte SHA-256 of `data`.
std::string sha256_raw(std::string_view data);

/// Returns lowercase hex of raw bytes.
std::string to_hex(std::string_view bytes);

/// Compares two byte strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

} // namespace awf::core
