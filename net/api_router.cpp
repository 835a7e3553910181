#include "net/api_router.hpp"

#include <ctime>
#include <memory>
#include <optional>

#include "actors/messages.hpp"
#include "core/canonical_json.hpp"
#include "core/user_token.hpp"
#include "net/api_response.hpp"

namespace awf::net {

namespace {

constexpr std::string_view api_prefix = "/api/awf-cloud-sync";

struct request_handle {
  http_request req;
  reply_fn reply;
};

using handle_ptr = std::shared_ptr<request_handle>;

std::string iso8601(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&secs, &utc);
  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, static_cast<int>(unix_ms % 1000));
  return text;
}

nlohmann::json head_json(const core::chain_head& head) {
  return {{"turn_id", head.turn_id}, {"chain_hash", head.chain_hash}};
}

/// Returns the caller's claims, or answers 401 and returns nullopt.
std::optional<core::user_claims> authenticate(api_context& ctx,
                                              request_handle& h) {
  auto header = h.req[http::field::authorization];
  constexpr std::string_view bearer = "Bearer ";
  if (header.substr(0, bearer.size()) != bearer) {
    h.reply(error_response(h.req, http::status::unauthorized, "unauthorized",
                           "send Authorization: Bearer <token>"));
    return std::nullopt;
  }
  auto token = header.substr(bearer.size());
  auto claims = core::verify_user_token(
    ctx.hmac_secret, std::string_view{token.data(), token.size()},
    ctx.now_unix());
  if (!claims) {
    bool expired = claims.error().code == core::token_error::expired;
    h.reply(error_response(h.req, http::status::unauthorized,
                           expired ? "token_expired" : "unauthorized",
                           claims.error().message));
    return std::nullopt;
  }
  return std::move(*claims);
}

/// Parses the body as a JSON object, or answers 400 and returns nullopt.
std::optional<nlohmann::json> json_body(request_handle& h) {
  auto parsed = core::parse_json(h.req.body());
  if (!parsed) {
    bool number = parsed.error().code == core::errc::unsupported_number;
    h.reply(error_response(
      h.req,
      number ? http::status::unprocessable_entity : http::status::bad_request,
      core::to_string(parsed.error().code), parsed.error().message));
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    h.reply(error_response(h.req, http::status::bad_request, "invalid_request",
                           "the body must be an object"));
    return std::nullopt;
  }
  return std::move(*parsed);
}

/// Reads a required (or optional, with a default) string field of at most
/// `max` bytes, or answers 400.
std::optional<std::string> string_field(request_handle& h,
                                        const nlohmann::json& body,
                                        const char* name, std::size_t max,
                                        std::optional<std::string> fallback) {
  auto it = body.find(name);
  if (it == body.end() && fallback)
    return fallback;
  if (it == body.end() || !it->is_string() ||
      it->get_ref<const std::string&>().empty() ||
      it->get_ref<const std::string&>().size() > max) {
    h.reply(error_response(h.req, http::status::bad_request, "invalid_request",
                           std::string{"\""} + name +
                             "\" must be a non-empty string of at most " +
                             std::to_string(max) + " bytes",
                           {{"field", name}}));
    return std::nullopt;
  }
  return it->get<std::string>();
}

void create_save(api_context& ctx, handle_ptr h) {
  auto claims = authenticate(ctx, *h);
  if (!claims)
    return;
  auto body = json_body(*h);
  if (!body)
    return;
  auto session = string_field(*h, *body, "session_id", 256, std::nullopt);
  if (!session)
    return;
  auto version = string_field(*h, *body, "version", 64, "1.0.0");
  if (!version)
    return;
  ctx.bridge->ask<actors::attach_reply>(
    [h](caf::expected<actors::attach_reply> res) {
      if (!res) {
        h->reply(engine_error_response(h->req, res.error()));
        return;
      }
      const auto& save = res->save;
      h->reply(json_response(
        h->req, res->created ? http::status::created : http::status::ok,
        {{"save_id", save.save_id},
         {"session_id", save.session_id},
         {"version", save.version},
         {"head", head_json(save.head)},
         {"created", res->created}}));
    },
    actors::create_atom_v, claims->sub, *session, *version);
}

void list_saves(api_context& ctx, handle_ptr h) {
  auto claims = authenticate(ctx, *h);
  if (!claims)
    return;
  ctx.bridge->ask<std::vector<persistence::save_record>>(
    [h](caf::expected<std::vector<persistence::save_record>> res) {
      if (!res) {
        h->reply(engine_error_response(h->req, res.error()));
        return;
      }
      auto saves = nlohmann::json::array();
      for (const auto& save : *res)
        saves.push_back({{"save_id", save.save_id},
                         {"session_id", save.session_id},
                         {"head", head_json(save.head)},
                         {"updated_at", iso8601(save.updated_at_ms)},
                         {"default", saves.empty()}});
      h->reply(json_response(h->req, http::status::ok, {{"saves", saves}}));
    },
    actors::list_atom_v, claims->sub);
}

/// Prometheus text format (version 0.0.4).
void metrics(api_context& ctx, handle_ptr h) {
  ctx.bridge->ask<actors::registry_stats>(
    [&ctx, h](caf::expected<actors::registry_stats> res) {
      std::string text;
      text +=
        "# HELP awf_http_responses_total HTTP responses sent, by status.\n"
        "# TYPE awf_http_responses_total counter\n";
      for (std::size_t code = 100; code < ctx.responses_by_status.size();
           ++code)
        if (auto n = ctx.responses_by_status[code].load(); n > 0)
          text += "awf_http_responses_total{code=\"" + std::to_string(code) +
                  "\"} " + std::to_string(n) + "\n";
      text += "# HELP awf_http_requests_in_flight Requests being answered.\n"
              "# TYPE awf_http_requests_in_flight gauge\n"
              "awf_http_requests_in_flight " +
              std::to_string(ctx.in_flight.load()) + "\n";
      if (res) {
        text += "# HELP awf_resident_saves Save actors in memory.\n"
                "# TYPE awf_resident_saves gauge\n"
                "awf_resident_saves " +
                std::to_string(res->resident) +
                "\n"
                "# HELP awf_save_actors_spawned_total Save actors started.\n"
                "# TYPE awf_save_actors_spawned_total counter\n"
                "awf_save_actors_spawned_total " +
                std::to_string(res->spawned) +
                "\n"
                "# HELP awf_save_actors_passivated_total Save actors that "
                "left memory.\n"
                "# TYPE awf_save_actors_passivated_total counter\n"
                "awf_save_actors_passivated_total " +
                std::to_string(res->passivated) + "\n";
      }
      http_response out{http::status::ok, h->req.version()};
      out.set(http::field::content_type, "text/plain; version=0.0.4");
      out.keep_alive(h->req.keep_alive());
      out.body() = std::move(text);
      out.prepare_payload();
      h->reply(std::move(out));
    },
    actors::stats_atom_v);
}

void ready(api_context& ctx, handle_ptr h) {
  ctx.bridge->ask<actors::registry_stats>(
    [h](caf::expected<actors::registry_stats> res) {
      if (!res) {
        auto r = error_response(h->req, http::status::service_unavailable,
                                "unavailable", "the save engine is not ready");
        r.set(http::field::retry_after, "1");
        h->reply(std::move(r));
        return;
      }
      h->reply(json_response(
        h->req, http::status::ok,
        {{"status", "ready"}, {"resident_saves", res->resident}}));
    },
    actors::stats_atom_v);
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
  auto target =
    std::string_view{h->req.target().data(), h->req.target().size()};
  auto path = target.substr(0, target.find('?'));
  auto method = h->req.method();
  if (path == "/healthz" && method == http::verb::get) {
    h->reply(json_response(h->req, http::status::ok, {{"status", "ok"}}));
  } else if (path == "/readyz" && method == http::verb::get) {
    ready(ctx, h);
  } else if (path == "/metrics" && method == http::verb::get) {
    metrics(ctx, h);
  } else if (path == std::string{api_prefix} + "/saves") {
    if (method == http::verb::post)
      create_save(ctx, h);
    else if (method == http::verb::get)
      list_saves(ctx, h);
    else
      h->reply(error_response(h->req, http::status::method_not_allowed,
                              "method_not_allowed",
                              "use GET or POST on this path"));
  } else {
    h->reply(error_response(h->req, http::status::not_found, "not_found",
                            "no such endpoint"));
  }
}

} // namespace awf::net
