// The sync operations shared by the REST routes and the WebSocket session:
// authentication of a bearer token, sync up and sync down. Each takes parsed
// input and answers exactly once through a callback (on an actor thread:
// post to your strand), with a status and a JSON body in the contract's
// shapes, so either transport can wrap it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <caf/error.hpp>
#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "core/json_document.hpp"

namespace awf::net {

struct api_context;

/// Who is calling, after authentication.
struct caller {
  std::string user_id_hash;
  std::string device_id; ///< empty when authenticated by a user token
  bool admin = false;
  std::int64_t expires_at_ms = 0; ///< when the token stops working
};

/// A finished operation: the HTTP status it maps to, and the body (the
/// contract's error body for non-2xx statuses).
struct api_outcome {
  int status = 200;
  nlohmann::json body;
  int retry_after_s = 0; ///< > 0: send Retry-After
  std::string etag;      ///< non-empty: send ETag (quoted)
};

using outcome_fn = std::function<void(api_outcome)>;

/// Builds an error outcome in the contract's format.
api_outcome error_outcome(int status, std::string code, std::string message,
                          nlohmann::json details = nlohmann::json::object());

/// Maps an engine error to the contract's status and code (503 with
/// Retry-After: 1).
api_outcome engine_error_outcome(const caf::error& err);

/// Sends one audit record of a request on behalf of `who` (the user goes
/// into the details). Overload answers (429, 503) are not recorded: writing
/// under overload would feed the overload.
void audit_request(api_context& ctx, const std::string& save_id,
                   const caller& who, const std::string& operation,
                   nlohmann::json details);

/// Authenticates `token` (a user token `awf1.…` or a device sync token).
/// Answers the caller, or an error outcome (401 unauthorized/token_expired).
void authenticate(api_context& ctx, std::string_view token,
                  std::function<void(caller)> on_ok, outcome_fn on_error);

/// Identifies the connection a sync up came from, so that its own
/// subscriptions get the reply rather than a push. nullptr for REST.
using origin_id = const void*;

/// What a sync up did to the head, for the connection that sent it (it
/// gets no push of its own turns).
struct sync_up_effect {
  core::chain_head head; ///< the head after the sync up
  /// The sender holds the head's state: its last sent turn is the head (a
  /// fast forward, a replay up to the head, or its branch winning a
  /// conflict as it was sent).
  bool sender_holds_head = false;
  /// The head became a state the sender may not hold (a conflict the
  /// server branch or a merge won): it should read it.
  bool head_replaced = false;
};

using sync_up_fn = std::function<void(api_outcome, sync_up_effect)>;

/// Sync up (contract §5). `body` is the request object (read before this
/// returns). On success the new turns are published to the save's
/// subscribers except `origin`.
void sync_up(api_context& ctx, const caller& who, const core::json_view& body,
             std::optional<std::string> if_match, origin_id origin,
             sync_up_fn done);

/// Parameters of a sync down.
struct sync_down_params {
  std::string save_id;
  std::int64_t since_turn = 0;
  std::string since_chain;
  std::optional<std::string> if_none_match; ///< unquoted chain hash
};

/// Sync down (contract §5): 200 with the body, or 304 (empty body) when
/// `if_none_match` equals the head.
void sync_down(api_context& ctx, const caller& who, sync_down_params params,
               outcome_fn done);

} // namespace awf::net
