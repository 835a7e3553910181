// Building responses in the contract's shapes: JSON bodies, and the error
// body {"error": {"code", "message", "details"}} with its status.
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "net/http_types.hpp"

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

/// A JSON response that keeps the request's version and keep-alive.
http_response json_response(const http_request& req, http::status status,
                            const nlohmann::json& body);

/// An error response in the contract's format.
http_response
error_response(const http_request& req, http::status status,
               const std::string& code, const std::string& message,
               const nlohmann::json& details = nlohmann::json::object());

} // namespace awf::net
