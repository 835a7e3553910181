// The shapes of the ids and short strings clients send (contract §1, §2):
// checked at the edge, before a value goes to the engine, the database or
// the audit trail, and refused without echoing it back.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "net/sync_api.hpp"

namespace awf::net {

/// Longest client-chosen texts: a save's session id and a device's label.
inline constexpr std::size_t max_session_id_bytes = 256;
inline constexpr std::size_t max_label_bytes = 256;
inline constexpr std::size_t max_version_bytes = 64;

/// True for a device id the contract allows: [A-Za-z0-9._-]{1,64}.
bool is_device_id(std::string_view text) noexcept;

/// True for 64 lowercase hex digits (a chain or state hash).
bool is_hex_hash(std::string_view text) noexcept;

/// What a well-formed value of one kind of id looks like.
struct id_shape {
  bool (*accepts)(std::string_view) noexcept;
  const char* description; ///< completes "\"<field>\" must be …"
};

/// Save, conflict and archive ids: the server makes them as UUIDs.
extern const id_shape uuid_shape;
/// Device ids: chosen by the client within the contract's pattern, or made
/// by the server as UUIDs (which fit it).
extern const id_shape device_id_shape;
/// Chain hashes.
extern const id_shape hash_shape;

/// The 400 invalid_request a field of the wrong shape gets: names the field
/// and the shape, never the value.
api_outcome bad_field(const std::string& field, const id_shape& shape);

/// Checks a JSON value that must be a string of `shape`; nullopt when it is.
std::optional<api_outcome> check_json_id(const nlohmann::json& value,
                                         const std::string& field,
                                         const id_shape& shape);

/// Checks a text (e.g. a query parameter) that must be of `shape`.
std::optional<api_outcome> check_id(std::string_view value,
                                    const std::string& field,
                                    const id_shape& shape);

} // namespace awf::net
