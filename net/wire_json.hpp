// JSON shapes shared by the REST routes, the sync API and WebSocket frames:
// heads, turns in wire form, timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/sync_messages.hpp"

namespace awf::net {

/// {"turn_id", "chain_hash"}
nlohmann::json head_json(const core::chain_head& head);

/// Reads head_json's shape: a non-negative whole turn id and a chain hash
/// of 64 lowercase hex digits; nullopt for anything else. The one head
/// parser of requests and of answers read back (sync down bodies).
std::optional<core::chain_head> head_from_json(const nlohmann::json& value);

/// {"turn_id", "patch"|"state", "state_hash", "chain_hash"}
nlohmann::json turn_json(const actors::sync_turn& turn);

/// Appends head_json(head) as JSON text, members in dump order.
void append_head_text(const core::chain_head& head, std::string& out);

/// Appends turn_json(turn) as JSON text, the body copied as it is (the
/// engine made it canonical JSON), members in the order turn_json's dump
/// has them.
void append_turn_text(const actors::sync_turn& turn, std::string& out);

/// An array of turn_json.
nlohmann::json turns_json(const std::vector<actors::sync_turn>& turns);

/// The body of a sync down (contract §5).
nlohmann::json sync_down_json(const actors::sync_down_reply& reply);

/// The value of a JSON number that is a whole number within ±2^53 (request
/// bodies hold every number as a double), or nullopt.
std::optional<std::int64_t> as_integer(const nlohmann::json& value);

/// RFC 3339 UTC with milliseconds, e.g. 2026-11-24T10:00:00.000Z.
std::string iso8601(std::int64_t unix_ms);

} // namespace awf::net
