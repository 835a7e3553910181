// REST transport of the sync API: POST sync/up and GET sync/down.
#include <charconv>

#include "net/routes.hpp"

namespace awf::net {

namespace {

/// The chain hash inside an If-Match / If-None-Match value ("…" or W/"…").
std::optional<std::string> entity_tag(const http_request& req,
                                      http::field field) {
  auto it = req.find(field);
  if (it == req.end())
    return std::nullopt;
  std::string value{it->value()};
  if (value.rfind("W/", 0) == 0)
    value.erase(0, 2);
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
    value = value.substr(1, value.size() - 2);
  return value;
}

} // namespace

void sync_up_route(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    auto body = json_document_body(*h);
    if (!body)
      return;
    sync_up(ctx, who, body->root(), entity_tag(h->req, http::field::if_match),
            nullptr,
            [h](api_outcome out, sync_up_effect) { reply_outcome(*h, out); });
  });
}

void sync_down_route(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    std::string_view target{h->req.target().data(), h->req.target().size()};
    sync_down_params params;
    auto save_id = query_param(target, "save_id");
    if (!save_id || save_id->empty()) {
      reply_error(*h, 400, "invalid_request", "save_id is required",
                  {{"field", "save_id"}});
      return;
    }
    params.save_id = std::move(*save_id);
    if (auto since = query_param(target, "since_turn")) {
      auto [end, ec] = std::from_chars(
        since->data(), since->data() + since->size(), params.since_turn);
      if (ec != std::errc{} || end != since->data() + since->size() ||
          params.since_turn < 0) {
        reply_error(*h, 400, "invalid_request",
                    "since_turn must be an integer >= 0",
                    {{"field", "since_turn"}});
        return;
      }
    }
    params.since_chain = query_param(target, "since_chain").value_or("");
    params.if_none_match = entity_tag(h->req, http::field::if_none_match);
    sync_down(ctx, who, std::move(params),
              [h](api_outcome out) { reply_outcome(*h, out); });
  });
}

} // namespace awf::net
