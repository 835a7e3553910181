#include "net/api_response.hpp"

#include "actors/save_errc.hpp"

namespace awf::net {

status_and_code map_engine_error(actors::save_errc code) {
  using actors::save_errc;
  switch (code) {
    case save_errc::invalid_json:
      return {http::status::bad_request, "invalid_json"};
    case save_errc::invalid_request:
      return {http::status::bad_request, "invalid_request"};
    case save_errc::not_found: return {http::status::not_found, "not_found"};
    case save_errc::turn_gap: return {http::status::conflict, "turn_gap"};
    case save_errc::divergent_turn:
      return {http::status::conflict, "divergent_turn"};
    case save_errc::payload_too_large:
      return {http::status::payload_too_large, "payload_too_large"};
    case save_errc::invalid_patch:
      return {http::status::unprocessable_entity, "invalid_patch"};
    case save_errc::unsupported_number:
      return {http::status::unprocessable_entity, "unsupported_number"};
    case save_errc::integrity_failure:
      return {http::status::internal_server_error, "integrity_failure"};
    case save_errc::storage_failure:
    case save_errc::unavailable:
    case save_errc::deadline_exceeded:
    case save_errc::head_moved:
    case save_errc::key_exhausted:
      return {http::status::service_unavailable, "unavailable"};
    case save_errc::unauthorized:
      return {http::status::unauthorized, "unauthorized"};
    case save_errc::token_expired:
      return {http::status::unauthorized, "token_expired"};
    case save_errc::forbidden: return {http::status::forbidden, "forbidden"};
    case save_errc::precondition_failed:
      return {http::status::precondition_failed, "precondition_failed"};
    case save_errc::unknown_base:
      return {http::status::conflict, "unknown_base"};
    case save_errc::hash_mismatch:
      return {http::status::unprocessable_entity, "hash_mismatch"};
    case save_errc::device_taken:
      return {http::status::conflict, "device_taken"};
  }
  return {http::status::service_unavailable, "unavailable"};
}

http_response http_answer(const http_request& req, const api_outcome& out) {
  http_response res{static_cast<http::status>(out.status), req.version()};
  res.keep_alive(req.keep_alive());
  if (out.status != 304) {
    res.set(http::field::content_type, "application/json");
    res.body() = out.body.dump();
  }
  if (out.retry_after_s > 0)
    res.set(http::field::retry_after, std::to_string(out.retry_after_s));
  if (!out.etag.empty())
    res.set(http::field::etag, "\"" + out.etag + "\"");
  res.prepare_payload();
  return res;
}

nlohmann::json ws_answer(const api_outcome& out, std::string_view type,
                         const nlohmann::json& req_id,
                         const std::string& save_id) {
  using json = nlohmann::json;
  if (out.status < 300) {
    json msg = out.body.is_object() ? out.body : json::object();
    msg["type"] = type;
    if (!req_id.is_null())
      msg["req_id"] = req_id;
    if (!save_id.empty())
      msg["save_id"] = save_id;
    return msg;
  }
  auto error = out.body.is_object() ? out.body.value("error", json::object())
                                    : json::object();
  if (!error.is_object() || !error.contains("code"))
    error = {{"code", "unavailable"}, {"message", "the request failed"}};
  if (out.retry_after_s > 0) {
    if (!error.contains("details") || !error["details"].is_object())
      error["details"] = json::object();
    error["details"]["retry_after_s"] = out.retry_after_s;
  }
  json msg{{"type", "error"}, {"req_id", req_id}, {"error", std::move(error)}};
  if (!save_id.empty())
    msg["save_id"] = save_id;
  return msg;
}

} // namespace awf::net
