// Answers in the contract's shapes: an api_outcome (a status and a JSON
// body, the error body {"error": {"code", "message", "details"}} for a
// failure) rendered as an HTTP response or a WebSocket message, and the
// status and code of each engine error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "net/http_types.hpp"
#include "net/sync_api.hpp"

namespace awf::actors {
enum class save_errc : std::uint8_t;
} // namespace awf::actors

namespace awf::net {

struct status_and_code {
  http::status status;
  const char* code;
};

/// The contract's status and code for an engine error code.
status_and_code map_engine_error(actors::save_errc code);

/// The one place an outcome becomes an HTTP answer to `req`: its status,
/// its JSON body (none for 304), Retry-After and ETag when set, and the
/// request's version and keep-alive.
http_response http_answer(const http_request& req, const api_outcome& out);

/// The one place an outcome becomes a WebSocket message answering `req_id`
/// (null: none, e.g. a catch-up): on success the body with `"type": type`;
/// otherwise {"type": "error", "req_id", "error"} with the outcome's error
/// and `retry_after_s` in its details when set. Either names `save_id` when
/// given.
nlohmann::json ws_answer(const api_outcome& out, std::string_view type,
                         const nlohmann::json& req_id,
                         const std::string& save_id = {});

} // namespace awf::net
