#include "net/route_support.hpp"

#include <charconv>

#include <caf/sec.hpp>

#include "core/canonical_json.hpp"
#include "core/sha256.hpp"
#include "net/api_response.hpp"

namespace awf::net {

void reply_outcome(request_handle& h, const api_outcome& out) {
  h.reply(http_answer(h.req, out));
}

void reply_error(request_handle& h, int status, std::string code,
                 std::string message, nlohmann::json details) {
  reply_outcome(h, error_outcome(status, std::move(code), std::move(message),
                                 std::move(details)));
}

void reply_engine_error(request_handle& h, const caf::error& err) {
  reply_outcome(h, engine_error_outcome(err));
}

void with_caller(api_context&, const handle_ptr& h,
                 std::function<void(caller)> next) {
  if (!h->who) {
    reply_error(*h, 401, "unauthorized", "send Authorization: Bearer <token>");
    return;
  }
  next(*h->who);
}

void with_admin(api_context& ctx, const handle_ptr& h,
                std::function<void(caller)> next) {
  with_caller(ctx, h, [h, next = std::move(next)](caller who) {
    if (!who.admin) {
      reply_error(*h, 403, "forbidden",
                  "this endpoint needs a user token with role admin");
      return;
    }
    next(std::move(who));
  });
}

bool is_edge_timeout(const caf::error& err) {
  return err.category() == caf::atom("system") &&
         err.code() == static_cast<std::uint8_t>(caf::sec::request_timeout);
}

std::optional<work_ticket> admit_expensive(api_context& ctx, request_handle& h,
                                           const caller& who) {
  auto admitted = ctx.expensive_work.admit(who.user_id_hash);
  if (admitted.admitted())
    return std::move(admitted.ticket);
  ++ctx.metrics.rate_limited;
  auto out = error_outcome(
    429, "rate_limited",
    "too many expensive operations (full verify, materialize of a stored "
    "turn, restore) of this user; retry in " +
      std::to_string(admitted.retry_after_s) + " s",
    {{"retry_after_s", admitted.retry_after_s}});
  out.retry_after_s = admitted.retry_after_s;
  reply_outcome(h, out);
  return std::nullopt;
}

namespace {

/// Answers the body's parse failure: 422 for the integer rule, 413 past
/// the budget, 400 otherwise.
void reply_parse_error(request_handle& h, const core::error& err) {
  int status = err.code == core::errc::unsupported_number  ? 422
               : err.code == core::errc::payload_too_large ? 413
                                                           : 400;
  reply_error(h, status, core::to_string(err.code), err.message);
}

void reply_not_object(request_handle& h) {
  reply_error(h, 400, "invalid_request", "the body must be an object");
}

} // namespace

std::optional<nlohmann::json> json_body(request_handle& h, bool empty_ok) {
  if (empty_ok && h.req.body().empty())
    return nlohmann::json::object();
  auto parsed = core::parse_json(h.req.body());
  if (!parsed) {
    reply_parse_error(h, parsed.error());
    return std::nullopt;
  }
  if (!parsed->is_object()) {
    reply_not_object(h);
    return std::nullopt;
  }
  return std::move(*parsed);
}

std::optional<core::json_document> json_document_body(request_handle& h) {
  auto parsed = core::json_document::parse(h.req.body());
  if (!parsed) {
    reply_parse_error(h, parsed.error());
    return std::nullopt;
  }
  if (!parsed->root().is_object()) {
    reply_not_object(h);
    return std::nullopt;
  }
  return std::move(*parsed);
}

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
    reply_error(h, 400, "invalid_request",
                std::string{"\""} + name +
                  "\" must be a non-empty string of at most " +
                  std::to_string(max) + " bytes",
                {{"field", name}});
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<std::string> id_field(request_handle& h,
                                    const nlohmann::json& body,
                                    const char* name, const id_shape& shape) {
  auto it = body.find(name);
  auto bad = it == body.end() ? std::optional{bad_field(name, shape)}
                              : check_json_id(*it, name, shape);
  if (bad) {
    reply_outcome(h, *bad);
    return std::nullopt;
  }
  return it->get<std::string>();
}

bool id_param(request_handle& h, std::string_view target, const char* name,
              const id_shape& shape, std::optional<std::string>& out) {
  auto value = query_param(target, name);
  if (!value || value->empty())
    return true;
  if (auto bad = check_id(*value, name, shape)) {
    reply_outcome(h, *bad);
    return false;
  }
  out = std::move(*value);
  return true;
}

namespace {

std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() &&
        core::hex_digit_value(text[i + 1]) >= 0 &&
        core::hex_digit_value(text[i + 2]) >= 0) {
      out += static_cast<char>(core::hex_digit_value(text[i + 1]) * 16 +
                               core::hex_digit_value(text[i + 2]));
      i += 2;
    } else if (text[i] == '+') {
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

} // namespace

std::optional<std::string> query_param(std::string_view target,
                                       std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return std::nullopt;
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto pair = query.substr(0, amp);
    auto eq = pair.find('=');
    auto key = pair.substr(0, eq);
    if (key == name)
      return eq == std::string_view::npos ? std::string{}
                                          : percent_decode(pair.substr(eq + 1));
    if (amp == std::string_view::npos)
      break;
    query = query.substr(amp + 1);
  }
  return std::nullopt;
}

std::string_view path_of(const http_request& req) {
  std::string_view target{req.target().data(), req.target().size()};
  return target.substr(0, target.find('?'));
}

bool integer_param(request_handle& h, std::string_view target, const char* name,
                   std::int64_t& out, std::int64_t lo, std::int64_t hi) {
  auto v = query_param(target, name);
  if (!v)
    return true;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), value);
  if (ec != std::errc{} || end != v->data() + v->size() || value < lo ||
      value > hi) {
    reply_error(h, 400, "invalid_request",
                std::string{name} + " must be an integer from " +
                  std::to_string(lo) + " to " + std::to_string(hi),
                {{"field", name}});
    return false;
  }
  out = value;
  return true;
}

} // namespace awf::net
