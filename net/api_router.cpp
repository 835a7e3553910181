#include "net/api_router.hpp"

#include <boost/beast/websocket/rfc6455.hpp>

#include "net/api_response.hpp"
#include "net/bearer_token.hpp"
#include "net/routes.hpp"
#include "net/websocket_session.hpp"

namespace awf::net {

namespace {

constexpr std::string_view api_prefix = "/api/awf-cloud-sync/";

/// A route answering `status` with an error body, without a caller.
route error_route(std::size_t limit, int status, std::string code,
                  std::string message) {
  return {false, false, limit,
          [status, code = std::move(code),
           message = std::move(message)](api_context&, const handle_ptr& h) {
            reply_error(*h, status, code, message);
          }};
}

/// `r` when the method is `verb`; a route answering 405 otherwise.
route only(const http_request& head, http::verb verb, route r) {
  if (head.method() == verb)
    return r;
  return error_route(r.body_limit, 405, "method_not_allowed",
                     std::string{"use "} + std::string{http::to_string(verb)} +
                       " on this path");
}

/// Splits "a/b/c" into its segments.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos)
      break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

route find_api_route(const api_context& ctx, const http_request& head,
                     std::string_view rest) {
  using http::verb;
  auto small = ctx.limits.max_body_bytes;
  auto parts = segments(rest);
  auto is = [&](std::initializer_list<std::string_view> expected) {
    return parts.size() == expected.size() &&
           std::equal(parts.begin(), parts.end(), expected.begin());
  };
  // Every endpoint under the prefix authenticates its caller.
  auto with_id = [&](void (*fn)(api_context&, handle_ptr, std::string),
                     std::string_view id) {
    return route{true, false, small,
                 [fn, id = std::string{id}](
                   api_context& c, const handle_ptr& h) { fn(c, h, id); }};
  };
  auto plain = [&](void (*fn)(api_context&, handle_ptr),
                   std::size_t limit = 0) {
    return route{true, false, limit > 0 ? limit : small,
                 [fn](api_context& c, const handle_ptr& h) { fn(c, h); }};
  };
  if (is({"saves"})) {
    if (head.method() == verb::get)
      return plain(list_saves);
    return only(head, verb::post, plain(create_save));
  }
  if (is({"devices"}))
    return only(head, verb::post, plain(register_device));
  if (parts.size() == 3 && parts[0] == "devices" && parts[2] == "rotate")
    return only(head, verb::post, with_id(rotate_device, parts[1]));
  if (parts.size() == 2 && parts[0] == "devices")
    return only(head, verb::delete_, with_id(revoke_device, parts[1]));
  if (is({"sync", "up"}))
    return only(head, verb::post,
                plain(sync_up_route, ctx.limits.max_message_bytes));
  if (is({"sync", "down"}))
    return only(head, verb::get, plain(sync_down_route));
  if (is({"save", "materialize"}))
    return only(head, verb::post, plain(materialize_save));
  if (is({"save", "verify"}))
    return only(head, verb::post, plain(verify_save));
  if (is({"save", "restore"}))
    return only(head, verb::post, plain(restore_save));
  if (is({"save", "conflicts"}))
    return only(head, verb::get, plain(save_conflicts));
  if (is({"save", "stats"}))
    return only(head, verb::get, plain(save_stats));
  if (parts.size() == 3 && parts[0] == "admin" && parts[1] == "save")
    return only(head, verb::get, with_id(admin_save, parts[2]));
  if (parts.size() == 3 && parts[0] == "admin" && parts[1] == "device")
    return only(head, verb::get, with_id(admin_device, parts[2]));
  if (is({"admin", "audit"}))
    return only(head, verb::get, plain(admin_audit));
  return error_route(small, 404, "not_found", "no such endpoint");
}

/// The WebSocket path: an upgrade authenticates, anything else gets 426.
route find_websocket_route(const api_context& ctx, const http_request& head) {
  auto small = ctx.limits.max_body_bytes;
  if (boost::beast::websocket::is_upgrade(head))
    return {true, true, small, {}};
  return {false, false, small, [](api_context&, const handle_ptr& h) {
            auto res = http_answer(
              h->req, error_outcome(426, "invalid_request",
                                    "this path takes a WebSocket upgrade"));
            res.set(http::field::upgrade, "websocket");
            h->reply(std::move(res));
          }};
}

} // namespace

route find_route(const api_context& ctx, const http_request& head) {
  auto small = ctx.limits.max_body_bytes;
  auto path = path_of(head);
  // Health, readiness and metrics are anonymous (bind the server to a
  // private interface or filter them at the proxy).
  if (path == "/healthz")
    return only(head, http::verb::get,
                {false, false, small, [](api_context&, const handle_ptr& h) {
                   reply_outcome(*h, {200, {{"status", "ok"}}, 0, {}});
                 }});
  if (path == "/readyz")
    return only(head, http::verb::get,
                {false, false, small, [](api_context& c, const handle_ptr& h) {
                   ready_route(c, h);
                 }});
  if (path == "/metrics")
    return only(head, http::verb::get,
                {false, false, small, [](api_context& c, const handle_ptr& h) {
                   metrics_route(c, h);
                 }});
  if (path == websocket_path)
    return find_websocket_route(ctx, head);
  if (path.substr(0, api_prefix.size()) == api_prefix)
    return find_api_route(ctx, head, path.substr(api_prefix.size()));
  return error_route(small, 404, "not_found", "no such endpoint");
}

void authenticate_route(api_context& ctx, const route& r,
                        const http_request& head,
                        std::function<void(caller)> on_ok,
                        outcome_fn on_error) {
  std::string token;
  if (r.websocket) {
    token = upgrade_token(head);
  } else {
    auto header = head[http::field::authorization];
    token = std::string{bearer_token({header.data(), header.size()})
                          .value_or(std::string_view{})};
  }
  if (token.empty()) {
    on_error(error_outcome(401, "unauthorized",
                           r.websocket
                             ? "send Authorization: Bearer <token>, or "
                               "Sec-WebSocket-Protocol: awf.v1, bearer.<token>"
                             : "send Authorization: Bearer <token>"));
    return;
  }
  authenticate(ctx, token, std::move(on_ok), std::move(on_error));
}

void run_route(api_context& ctx, const route& r, http_request req,
               std::optional<caller> who, reply_fn reply) {
  auto h = std::make_shared<request_handle>(
    request_handle{std::move(req), std::move(reply), std::move(who)});
  if (!r.run) {
    reply_error(*h, 400, "invalid_request",
                "a WebSocket upgrade needs its own connection");
    return;
  }
  r.run(ctx, h);
}

void handle_request(api_context& ctx, http_request req, reply_fn reply) {
  auto r = find_route(ctx, req);
  if (req.body().size() > r.body_limit) {
    auto h = request_handle{std::move(req), std::move(reply), std::nullopt};
    reply_error(h, 413, "payload_too_large",
                "the request body exceeds " + std::to_string(r.body_limit) +
                  " bytes");
    return;
  }
  if (!r.needs_caller)
    return run_route(ctx, r, std::move(req), std::nullopt, std::move(reply));
  auto shared_req = std::make_shared<http_request>(std::move(req));
  auto shared_reply = std::make_shared<reply_fn>(std::move(reply));
  authenticate_route(
    ctx, r, *shared_req,
    [&ctx, r, shared_req, shared_reply](caller who) {
      run_route(ctx, r, std::move(*shared_req), std::move(who),
                std::move(*shared_reply));
    },
    [shared_req, shared_reply](api_outcome out) {
      auto h = request_handle{std::move(*shared_req), std::move(*shared_reply),
                              std::nullopt};
      reply_outcome(h, out);
    });
}

} // namespace awf::net
