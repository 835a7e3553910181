// Conflicts and restores (contract §6-§8): save/restore appends a chosen
// state as a new turn; save/conflicts lists the stored conflict reports.
#include "net/routes.hpp"

#include <memory>

#include "actors/conflict_messages.hpp"
#include "actors/save_actor.hpp"
#include "net/subscription_hub.hpp"
#include "net/wire_json.hpp"

namespace awf::net {

void restore_save(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    auto body = json_body(*h);
    if (!body)
      return;
    actors::restore_request req;
    auto save_id = id_field(*h, *body, "save_id", uuid_shape);
    if (!save_id)
      return;
    req.save_id = *save_id;
    if (body->contains("archive_id")) {
      auto archive_id = id_field(*h, *body, "archive_id", uuid_shape);
      if (!archive_id)
        return;
      req.archive_id = *archive_id;
    }
    if (auto it = body->find("turn_id"); it != body->end()) {
      auto value = as_integer(*it);
      if (!value || *value < 0) {
        reply_error(*h, 400, "invalid_request",
                    "\"turn_id\" must be an integer >= 0",
                    {{"field", "turn_id"}});
        return;
      }
      req.turn_id = *value;
    } else if (req.archive_id.empty()) {
      reply_error(*h, 400, "invalid_request",
                  "\"turn_id\" is required without \"archive_id\"",
                  {{"field", "turn_id"}});
      return;
    }
    req.user_id_hash = who.user_id_hash;
    req.device_id = who.device_id;
    // A restore rebuilds a stored or archived turn and writes it again.
    auto ticket = admit_expensive(ctx, *h, who);
    if (!ticket)
      return;
    req.scope = ctx.bridge->scope(ticket->share());
    ctx.bridge->ask<actors::restore_reply>(
      [&ctx, h, who, save_id = *save_id, ticket = std::move(*ticket)](
        caf::expected<actors::restore_reply> res) mutable {
        release_unless_timed_out(ticket, res);
        if (!res) {
          reply_engine_error(*h, res.error());
          return;
        }
        nlohmann::json from{{"turn_id", res->restored_turn}};
        if (!res->archive_id.empty())
          from["archive_id"] = res->archive_id;
        audit_request(ctx, save_id, who, "save_restore",
                      {{"restored_from", from},
                       {"head_turn", res->head.turn_id},
                       {"replaced_archive_id",
                        res->replaced_archive_id.empty()
                          ? nlohmann::json(nullptr)
                          : nlohmann::json(res->replaced_archive_id)}});
        if (ctx.hub.followed(save_id))
          ctx.hub.publish(make_push_event(ctx.ws_frames, save_id, res->base,
                                          res->head, res->appended),
                          nullptr);
        reply_outcome(*h, {200,
                           {{"head", head_json(res->head)},
                            {"restored_from", std::move(from)}},
                           0,
                           res->head.chain_hash});
      },
      actors::restore_atom_v, std::move(req));
  });
}

namespace {

nlohmann::json
reports_json(const std::vector<persistence::conflict_record>& rows) {
  auto out = nlohmann::json::array();
  for (const auto& row : rows) {
    auto report = nlohmann::json::parse(row.report_json, nullptr, false);
    if (report.is_discarded() || !report.is_object())
      report = nlohmann::json::object();
    report["created_at"] = iso8601(row.created_at_ms);
    out.push_back(std::move(report));
  }
  return out;
}

void list_conflicts(api_context& ctx, const handle_ptr& h,
                    actors::conflict_query query) {
  ctx.bridge->ask<std::vector<persistence::conflict_record>>(
    [h](caf::expected<std::vector<persistence::conflict_record>> res) {
      if (!res) {
        reply_engine_error(*h, res.error());
        return;
      }
      reply_outcome(*h, {200, {{"conflicts", reports_json(*res)}}, 0, {}});
    },
    actors::conflict_atom_v, std::move(query));
}

} // namespace

void save_conflicts(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    std::string_view target{h->req.target().data(), h->req.target().size()};
    actors::conflict_query query;
    std::int64_t limit = 50;
    if (!integer_param(*h, target, "limit", limit, 1, 1000))
      return;
    query.limit = static_cast<std::size_t>(limit);
    std::optional<std::string> save_id;
    if (!id_param(*h, target, "save_id", uuid_shape, save_id))
      return;
    query.save_id = save_id.value_or("");
    if (query.save_id.empty()) {
      if (!who.admin) {
        reply_error(*h, 400, "invalid_request",
                    "save_id is required (only operators list every save)",
                    {{"field", "save_id"}});
        return;
      }
      list_conflicts(ctx, h, std::move(query));
      return;
    }
    // The owner check answers 404 for someone else's save, as everywhere.
    auto owner = who.admin ? actors::any_owner : who.user_id_hash;
    ctx.bridge->ask<persistence::save_record>(
      [&ctx, h, query](caf::expected<persistence::save_record> res) mutable {
        if (!res) {
          reply_engine_error(*h, res.error());
          return;
        }
        list_conflicts(ctx, h, std::move(query));
      },
      actors::lookup_atom_v, query.save_id, owner);
  });
}

} // namespace awf::net
