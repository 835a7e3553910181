// Base64 (RFC 4648 §4) and unpadded base64url (§5) codecs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace awf::core {

std::string base64_encode(std::string_view bytes);

/// Returns nullopt for characters outside the alphabet or bad padding.
std::optional<std::string> base64_decode(std::string_view text);

std::string base64url_encode(std::string_view bytes);

std::optional<std::string> base64url_decode(std::string_view text);

} // namespace awf::core
