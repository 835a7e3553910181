// Private to the REST routes: the request being answered, and the steps
// every route shares (authentication, body parsing, field checks, replies).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "core/json_document.hpp"
#include "net/api_context.hpp"
#include "net/client_ids.hpp"
#include "net/http_types.hpp"
#include "net/sync_api.hpp"

namespace awf::net {

struct request_handle {
  http_request req;
  reply_fn reply;
  /// Who sent it, authenticated from the request head before its body was
  /// read (api_router); empty on routes that need no token.
  std::optional<caller> who;
};

using handle_ptr = std::shared_ptr<request_handle>;

/// Answers with `out` (status, JSON body, Retry-After, ETag).
void reply_outcome(request_handle& h, const api_outcome& out);

/// Answers an error in the contract's format.
void reply_error(request_handle& h, int status, std::string code,
                 std::string message,
                 nlohmann::json details = nlohmann::json::object());

/// Answers an engine error with the contract's status and code (503 with
/// Retry-After).
void reply_engine_error(request_handle& h, const caf::error& err);

/// Runs `next` with the caller the router authenticated from the request
/// head (answers 401 when there is none: a route that needs a caller must
/// be declared so in api_router).
void with_caller(api_context& ctx, const handle_ptr& h,
                 std::function<void(caller)> next);

/// Like with_caller, but only for a user token with role admin (403
/// otherwise).
void with_admin(api_context& ctx, const handle_ptr& h,
                std::function<void(caller)> next);

/// Admits one expensive operation of `who` (expensive_work.hpp), or answers
/// 429 rate_limited with Retry-After and returns nullopt. Keep the ticket
/// until the answer is ready, then release it.
std::optional<work_ticket> admit_expensive(api_context& ctx, request_handle& h,
                                           const caller& who);

/// True when `err` says the edge stopped waiting for the engine.
bool is_edge_timeout(const caf::error& err);

/// Gives `ticket`'s slot back now when the engine answered (its work is
/// over), but not when the wait for it ran out: the engine's share of the
/// ticket then gives it back once the work has stopped.
template<class T>
void release_unless_timed_out(work_ticket& ticket,
                              const caf::expected<T>& answer) {
  if (answer || !is_edge_timeout(answer.error()))
    ticket.release();
}

/// Parses the body as a JSON object (an empty body counts as {} when
/// `empty_ok`), or answers 400/422 and returns nullopt.
std::optional<nlohmann::json> json_body(request_handle& h,
                                        bool empty_ok = false);

/// The same without a tree of values, for bodies whose parts go on as
/// canonical bytes (core/json_document.hpp).
std::optional<core::json_document> json_document_body(request_handle& h);

/// Reads a string field of at most `max` bytes; a missing one gives
/// `fallback` when there is one. Answers 400 naming the field otherwise.
std::optional<std::string> string_field(request_handle& h,
                                        const nlohmann::json& body,
                                        const char* name, std::size_t max,
                                        std::optional<std::string> fallback);

/// Reads the id field `name` of `shape`; answers 400 naming the field (never
/// echoing the value) and returns nullopt when it is missing or ill-formed.
std::optional<std::string> id_field(request_handle& h,
                                    const nlohmann::json& body,
                                    const char* name, const id_shape& shape);

/// Reads the id query parameter `name` of `shape` into `out` (left alone when
/// absent or empty). Answers 400 naming it and returns false when it is
/// ill-formed.
bool id_param(request_handle& h, std::string_view target, const char* name,
              const id_shape& shape, std::optional<std::string>& out);

/// The value of query parameter `name` (percent-decoded), if present.
std::optional<std::string> query_param(std::string_view target,
                                       std::string_view name);

/// Reads integer query parameter `name` into `out` (left alone when
/// absent). Answers 400 naming the parameter and returns false when it is
/// not an integer from `lo` to `hi`.
bool integer_param(request_handle& h, std::string_view target, const char* name,
                   std::int64_t& out, std::int64_t lo, std::int64_t hi);

/// The request path without the query.
std::string_view path_of(const http_request& req);

} // namespace awf::net
