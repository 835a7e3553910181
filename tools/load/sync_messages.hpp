// The request bodies and WebSocket frames a device sends (contract §2, §4,
// §5), built in one place so they match the contract field by field.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"

namespace awf::load {

inline constexpr std::string_view devices_path = "/api/awf-cloud-sync/devices";
inline constexpr std::string_view saves_path = "/api/awf-cloud-sync/saves";
inline constexpr std::string_view sync_up_path = "/api/awf-cloud-sync/sync/up";
inline constexpr std::string_view sync_down_path =
  "/api/awf-cloud-sync/sync/down";
inline constexpr std::string_view ws_path = "/api/awf-cloud-sync/ws";

/// {"turn_id", "chain_hash"}.
nlohmann::json head_json(const core::chain_head& head);

/// POST devices: {"device_id", "label"}.
nlohmann::json device_registration_body(std::string_view device_id,
                                        std::string_view label);

/// POST saves: {"session_id"}.
nlohmann::json create_save_body(std::string_view session_id);

/// POST sync/up: {"save_id", "device_id", "base", "strategy", "turns"}, as
/// text, without "strategy" when `strategy` is empty; `turns` is the JSON
/// array text of the entries (save_timeline::play). With a `req_id`, the
/// WebSocket frame {"type": "sync_up", "req_id", ...the same members...}.
/// Built as text so a turn's state is never copied.
std::string sync_up_text(std::string_view req_id, std::string_view save_id,
                         std::string_view device_id,
                         const core::chain_head& base,
                         std::string_view strategy, std::string_view turns);

/// WebSocket: {"type": "subscribe", "save_id", "since_turn", "since_chain"}.
nlohmann::json subscribe_frame(std::string_view save_id,
                               const core::chain_head& since);

/// WebSocket: {"type": "unsubscribe", "save_id"}.
nlohmann::json unsubscribe_frame(std::string_view save_id);

/// The target of GET sync/down for `save_id` since `since`, under
/// `base_path` (the --url prefix).
std::string sync_down_target(std::string_view base_path,
                             std::string_view save_id,
                             const core::chain_head& since);

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text);

} // namespace awf::load
