#include "actors/save_errc.hpp"

#include "actors/request_scope.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace awf::actors {

const char* to_string(save_errc code) noexcept {
  switch (code) {
    case save_errc::invalid_json: return "invalid_json";
    case save_errc::invalid_request: return "invalid_request";
    case save_errc::not_found: return "not_found";
    case save_errc::turn_gap: return "turn_gap";
    case save_errc::divergent_turn: return "divergent_turn";
    case save_errc::payload_too_large: return "payload_too_large";
    case save_errc::invalid_patch: return "invalid_patch";
    case save_errc::unsupported_number: return "unsupported_number";
    case save_errc::integrity_failure: return "integrity_failure";
    case save_errc::storage_failure: return "storage_failure";
    case save_errc::unavailable: return "unavailable";
    case save_errc::head_moved: return "head_moved";
    case save_errc::key_exhausted: return "key_exhausted";
    case save_errc::unauthorized: return "unauthorized";
    case save_errc::token_expired: return "token_expired";
    case save_errc::forbidden: return "forbidden";
    case save_errc::precondition_failed: return "precondition_failed";
    case save_errc::unknown_base: return "unknown_base";
    case save_errc::hash_mismatch: return "hash_mismatch";
    case save_errc::device_taken: return "device_taken";
    case save_errc::deadline_exceeded: return "deadline_exceeded";
  }
  return "storage_failure";
}

caf::error make_save_error(save_errc code, std::string message) {
  return caf::error{code, std::move(message)};
}

caf::error deadline_error(const char* what) {
  return make_save_error(
    save_errc::deadline_exceeded,
    std::string{what} +
      " ran out of time and was stopped; nothing was stored. Retry later, "
      "or send fewer turns per request");
}

caf::error check_deadline(request_scope::clock_type::time_point now,
                          request_scope::clock_type::time_point deadline,
                          const char* what) {
  if (now >= deadline)
    return deadline_error(what);
  return {};
}

std::string error_message(const caf::error& err) {
  if (!err)
    return {};
  const auto& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  if (err.category() == caf::atom("system")) {
    // The edge stopped waiting; the engine's own deadline came first and
    // stops the work before it commits anything.
    if (static_cast<caf::sec>(err.code()) == caf::sec::request_timeout)
      return "the server did not finish this request in time; it was stopped "
             "and stored nothing. Retry later";
    return "internal error: " + to_string(static_cast<caf::sec>(err.code()));
  }
  return "internal error (code " + std::to_string(err.code()) + ")";
}

save_errc error_code(const caf::error& err) {
  if (err && err.category() == caf::atom("awf"))
    return static_cast<save_errc>(err.code());
  return save_errc::storage_failure;
}

caf::error from_core_error(const core::error& err) {
  switch (err.code) {
    case core::errc::invalid_json:
      return make_save_error(save_errc::invalid_json, err.message);
    case core::errc::unsupported_number:
      return make_save_error(save_errc::unsupported_number, err.message);
    case core::errc::invalid_patch:
      return make_save_error(save_errc::invalid_patch, err.message);
    case core::errc::payload_too_large:
      return make_save_error(save_errc::payload_too_large, err.message);
    case core::errc::key_exhausted:
      return make_save_error(save_errc::key_exhausted, err.message);
    case core::errc::hash_mismatch:
      return make_save_error(save_errc::hash_mismatch, err.message);
    case core::errc::invalid_setting:
    case core::errc::invalid_key:
    case core::errc::io_failure:
      return make_save_error(save_errc::storage_failure, err.message);
    case core::errc::corrupt_data:
    case core::errc::authentication_failed:
    case core::errc::unknown_key:
      return make_save_error(save_errc::integrity_failure, err.message);
  }
  return make_save_error(save_errc::storage_failure, err.message);
}

caf::error from_storage_error(const persistence::storage_error& err) {
  switch (err.code) {
    case persistence::storage_errc::not_found:
      return make_save_error(save_errc::not_found, err.message);
    case persistence::storage_errc::head_moved:
      return make_save_error(save_errc::head_moved, err.message);
    case persistence::storage_errc::corrupt:
      return make_save_error(save_errc::integrity_failure, err.message);
    case persistence::storage_errc::failure:
      return make_save_error(save_errc::storage_failure, err.message);
    case persistence::storage_errc::conflict:
      return make_save_error(save_errc::invalid_request, err.message);
  }
  return make_save_error(save_errc::storage_failure, err.message);
}

} // namespace awf::actors
