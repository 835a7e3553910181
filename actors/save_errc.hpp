// The actor layer's error codes. Each names the contract's error `code`, so
// the network edge can map an actor error to a status without guessing.
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "core/result.hpp"
#include "persistence/storage_error.hpp"

namespace awf::actors {

enum class save_errc : std::uint8_t {
  invalid_json = 1,
  invalid_request,
  not_found,
  turn_gap,
  divergent_turn, ///< a different state for a turn that is already stored
  payload_too_large,
  invalid_patch,
  unsupported_number,
  integrity_failure, ///< stored data that fails its checks
  storage_failure,   ///< the database failed; retry later
  unavailable,       ///< overloaded or shutting down
  head_moved,        ///< the stored head changed under the save actor
  key_exhausted,     ///< the active blob key needs rotation
  unauthorized,      ///< no, bad or revoked token
  token_expired,
  forbidden,           ///< a valid token without the right
  precondition_failed, ///< If-Match differs from the head
  unknown_base,        ///< a sync up's base is not on the head chain
  hash_mismatch,       ///< a sent state_hash differs from the state
  device_taken,        ///< the device id belongs to another user
  deadline_exceeded,   ///< stopped at the request's deadline; nothing stored
};

/// The contract's snake_case code of `code`.
const char* to_string(save_errc code) noexcept;

/// Builds an error carrying a human sentence as context.
caf::error make_save_error(save_errc code, std::string message);

/// Returns the human sentence of an error made by make_save_error (or CAF's
/// rendering of any other error).
std::string error_message(const caf::error& err);

/// Returns the save_errc of `err`, or storage_failure for foreign errors.
save_errc error_code(const caf::error& err);

/// Converts errors of the lower layers.
caf::error from_core_error(const core::error& err);
caf::error from_storage_error(const persistence::storage_error& err);

} // namespace awf::actors

CAF_ERROR_CODE_ENUM(awf::actors::save_errc, "awf")
