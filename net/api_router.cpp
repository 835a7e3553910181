#include "net/api_router.hpp"

#include <memory>

#include "net/routes.hpp"

namespace awf::net {

namespace {

constexpr std::string_view api_prefix = "/api/awf-cloud-sync/";

/// Runs `fn` when the method is `verb`; answers 405 otherwise.
template<class F>
void only(const handle_ptr& h, http::verb verb, F&& fn) {
  if (h->req.method() == verb) {
    fn();
    return;
  }
  reply_error(*h, 405, "method_not_allowed",
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

void route_api(api_context& ctx, const handle_ptr& h, std::string_view rest) {
  using http::verb;
  auto parts = segments(rest);
  auto is = [&](std::initializer_list<std::string_view> expected) {
    return parts.size() == expected.size() &&
           std::equal(parts.begin(), parts.end(), expected.begin());
  };
  if (is({"saves"})) {
    if (h->req.method() == verb::get)
      return list_saves(ctx, h);
    return only(h, verb::post, [&] { create_save(ctx, h); });
  }
  if (is({"devices"}))
    return only(h, verb::post, [&] { register_device(ctx, h); });
  if (parts.size() == 3 && parts[0] == "devices" && parts[2] == "rotate")
    return only(h, verb::post,
                [&] { rotate_device(ctx, h, std::string{parts[1]}); });
  if (parts.size() == 2 && parts[0] == "devices")
    return only(h, verb::delete_,
                [&] { revoke_device(ctx, h, std::string{parts[1]}); });
  if (is({"sync", "up"}))
    return only(h, verb::post, [&] { sync_up_route(ctx, h); });
  if (is({"sync", "down"}))
    return only(h, verb::get, [&] { sync_down_route(ctx, h); });
  if (is({"save", "materialize"}))
    return only(h, verb::post, [&] { materialize_save(ctx, h); });
  if (is({"save", "verify"}))
    return only(h, verb::post, [&] { verify_save(ctx, h); });
  if (is({"save", "restore"}))
    return only(h, verb::post, [&] { restore_save(ctx, h); });
  if (is({"save", "conflicts"}))
    return only(h, verb::get, [&] { save_conflicts(ctx, h); });
  if (is({"save", "stats"}))
    return only(h, verb::get, [&] { save_stats(ctx, h); });
  if (parts.size() == 3 && parts[0] == "admin" && parts[1] == "save")
    return only(h, verb::get,
                [&] { admin_save(ctx, h, std::string{parts[2]}); });
  if (parts.size() == 3 && parts[0] == "admin" && parts[1] == "device")
    return only(h, verb::get,
                [&] { admin_device(ctx, h, std::string{parts[2]}); });
  if (is({"admin", "audit"}))
    return only(h, verb::get, [&] { admin_audit(ctx, h); });
  reply_error(*h, 404, "not_found", "no such endpoint");
}

} // namespace

void handle_request(api_context& ctx, http_request req, reply_fn reply) {
  auto counted = [&ctx, reply = std::move(reply)](http_response res) {
    auto code = static_cast<std::size_t>(res.result_int());
    if (code < ctx.responses_by_status.size())
      ++ctx.responses_by_status[code];
    reply(std::move(res));
  };
  auto h = std::make_shared<request_handle>(
    request_handle{std::move(req), std::move(counted)});
  auto path = path_of(h->req);
  if (path == "/healthz")
    return only(h, http::verb::get, [&] {
      reply_outcome(*h, {200, {{"status", "ok"}}, 0, {}});
    });
  if (path == "/readyz")
    return only(h, http::verb::get, [&] { ready_route(ctx, h); });
  if (path == "/metrics")
    return only(h, http::verb::get, [&] { metrics_route(ctx, h); });
  if (path.substr(0, api_prefix.size()) == api_prefix)
    return route_api(ctx, h, path.substr(api_prefix.size()));
  reply_error(*h, 404, "not_found", "no such endpoint");
}

} // namespace awf::net
