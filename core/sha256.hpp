// SHA-256 digests as lowercase hex, the only hash format of the contract.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace awf::core {

/// Returns the lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Returns the raw 32-byte SHA-256 of `data`.
std::string sha256_raw(std::string_view data);

/// Returns lowercase hex of raw bytes.
std::string to_hex(std::string_view bytes);

/// The value of the hex digit `c` (either case), or -1 for any other
/// character.
int hex_digit_value(char c) noexcept;

/// Returns the bytes written as hex (either case) in `hex`; nullopt when it
/// has an odd length or a character that is not a hex digit.
std::optional<std::string> from_hex(std::string_view hex);

/// Compares two byte strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

} // namespace awf::core
