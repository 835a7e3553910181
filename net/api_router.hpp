// Turns one HTTP request into engine calls and one response, in steps that
// let the session stop before reading what it need not read: find_route and
// authenticate_route look at the request head only; run_route serves the
// whole request with the caller already known. Plain functions of a
// request; the session owns the socket.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

#include "net/api_context.hpp"
#include "net/http_types.hpp"
#include "net/sync_api.hpp"

namespace awf::net {

struct request_handle;

/// Answers a request through its handle.
using route_fn =
  std::function<void(api_context&, const std::shared_ptr<request_handle>&)>;

/// How a request is served, decided from its head alone.
struct route {
  /// The bearer token must authenticate before the body is read.
  bool needs_caller = false;
  /// A WebSocket upgrade: the session hands the socket over once
  /// authenticated (`run` is empty).
  bool websocket = false;
  /// Body bytes this route reads at most (larger: 413).
  std::size_t body_limit = 0;
  route_fn run;
};

/// The route of the request whose head is `head` (its body is not looked
/// at). Unknown paths and methods get a route that answers 404 or 405.
route find_route(const api_context& ctx, const http_request& head);

/// Authenticates the bearer token of `head` for `r` (for the WebSocket
/// route also a `bearer.<token>` subprotocol). Answers `on_ok` with the
/// caller or `on_error` with 401 (or 503), exactly once, possibly later and
/// from another thread.
void authenticate_route(api_context& ctx, const route& r,
                        const http_request& head,
                        std::function<void(caller)> on_ok, outcome_fn on_error);

/// Serves the complete request `req` on REST route `r` for `who` (empty on
/// a route that needs no caller). Answers through `reply` exactly once,
/// possibly later and from another thread.
void run_route(api_context& ctx, const route& r, http_request req,
               std::optional<caller> who, reply_fn reply);

/// All steps in process, for a request already read whole: finds the
/// route, checks the body limit, authenticates, runs.
void handle_request(api_context& ctx, http_request req, reply_fn reply);

} // namespace awf::net
