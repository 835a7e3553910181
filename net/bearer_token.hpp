// The one parser of `Authorization: Bearer <token>` (RFC 6750 §2.1). The
// scheme name is matched case-insensitively, as RFC 7235 §2.1 requires.
#pragma once

#include <optional>
#include <string_view>

namespace awf::net {

/// The token of an Authorization value "Bearer <token>": the scheme in any
/// case, then one or more spaces, then a token without spaces (surrounding
/// spaces and tabs are ignored). nullopt for any other value, including a
/// missing token.
std::optional<std::string_view> bearer_token(std::string_view authorization);

} // namespace awf::net
