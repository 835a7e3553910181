// Typed reads of the members of server replies, shared by the reply checks.
// A member that is missing or of the wrong type reads as nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"

namespace awf::load {

/// Parses a WebSocket frame (numbers read as doubles, as the server's
/// parser reads them); discarded when it is not JSON. Without
/// `keep_patches`, the elements of each turn's "patch" array (in a
/// top-level "turns" array) are skipped
/// while parsing (the array stays, empty): a device that keeps no replica
/// checks a pushed turn by its hashes, and building the patch's values
/// would cost more than the rest of the frame.
nlohmann::json parse_frame(const std::string& text, bool keep_patches);

/// The member `key` of `object`, or null when `object` is not an object or
/// has no such member.
const nlohmann::json* member(const nlohmann::json& object, const char* key);

std::optional<std::string> string_member(const nlohmann::json& object,
                                         const char* key);

/// An integer, also when a server writes it as a double (RFC 8785 style).
std::optional<std::int64_t> as_integer(const nlohmann::json& value);

std::optional<std::int64_t> integer_member(const nlohmann::json& object,
                                           const char* key);

/// "{turn_id, chain_hash}", for error sentences.
std::string head_text(const core::chain_head& head);

/// The state hash of `state`: sha256 of its canonical bytes.
std::string hash_of(const nlohmann::json& state);

} // namespace awf::load
