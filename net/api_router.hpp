// Turns one parsed HTTP request into engine calls and one response:
// routing, authentication, body validation. Plain functions of a request;
// the session owns the socket.
#pragma once

#include "net/api_context.hpp"
#include "net/http_types.hpp"

namespace awf::net {

/// Answers `req` through `reply`, exactly once, possibly later and from
/// another thread.
void handle_request(api_context& ctx, http_request req, reply_fn reply);

} // namespace awf::net
