// Saves: create or attach, list (contract §4), materialize and verify
// (contract §7).
#include "net/routes.hpp"

#include "actors/messages.hpp"
#include "actors/save_actor.hpp"
#include "net/wire_json.hpp"

namespace awf::net {

void create_save(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    auto body = json_body(*h);
    if (!body)
      return;
    auto session =
      string_field(*h, *body, "session_id", max_session_id_bytes, std::nullopt);
    if (!session)
      return;
    auto version =
      string_field(*h, *body, "version", max_version_bytes, "1.0.0");
    if (!version)
      return;
    ctx.bridge->ask<actors::attach_reply>(
      [h](caf::expected<actors::attach_reply> res) {
        if (!res) {
          reply_engine_error(*h, res.error());
          return;
        }
        const auto& save = res->save;
        reply_outcome(*h, {res->created ? 201 : 200,
                           {{"save_id", save.save_id},
                            {"session_id", save.session_id},
                            {"version", save.version},
                            {"head", head_json(save.head)},
                            {"created", res->created}},
                           0,
                           {}});
      },
      actors::create_atom_v, who.user_id_hash, *session, *version);
  });
}

void list_saves(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    ctx.bridge->ask<std::vector<persistence::save_record>>(
      [h](caf::expected<std::vector<persistence::save_record>> res) {
        if (!res) {
          reply_engine_error(*h, res.error());
          return;
        }
        auto saves = nlohmann::json::array();
        for (const auto& save : *res)
          saves.push_back({{"save_id", save.save_id},
                           {"session_id", save.session_id},
                           {"head", head_json(save.head)},
                           {"updated_at", iso8601(save.updated_at_ms)},
                           {"default", saves.empty()}});
        reply_outcome(*h, {200, {{"saves", saves}}, 0, {}});
      },
      actors::list_atom_v, who.user_id_hash);
  });
}

void materialize_save(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    auto body = json_body(*h);
    if (!body)
      return;
    auto save_id = id_field(*h, *body, "save_id", uuid_shape);
    if (!save_id)
      return;
    std::int64_t turn_id = actors::head_turn;
    if (auto it = body->find("turn_id"); it != body->end()) {
      auto value = as_integer(*it);
      if (!value || *value < 0) {
        reply_error(*h, 400, "invalid_request",
                    "\"turn_id\" must be an integer >= 0",
                    {{"field", "turn_id"}});
        return;
      }
      turn_id = *value;
    }
    std::optional<std::string> archive_id;
    if (body->contains("archive_id")) {
      archive_id = id_field(*h, *body, "archive_id", uuid_shape);
      if (!archive_id)
        return;
    }
    // The head is in memory; a stored turn or an archive is rebuilt from
    // its snapshot and diffs: that is an expensive read.
    work_ticket ticket;
    if (turn_id != actors::head_turn || archive_id) {
      auto admitted = admit_expensive(ctx, *h, who);
      if (!admitted)
        return;
      ticket = std::move(*admitted);
    }
    // The engine keeps a share of the ticket while it works and stops at
    // the scope's deadline, so the slot is taken exactly while work runs.
    auto scope = ctx.bridge->scope(ticket.share());
    auto answer = [h, ticket](
                    caf::expected<actors::materialized_turn> res) mutable {
      release_unless_timed_out(ticket, res);
      if (!res) {
        reply_engine_error(*h, res.error());
        return;
      }
      bool empty = res->turn_id == 0;
      reply_outcome(*h,
                    {200,
                     {{"save_id", res->save_id},
                      {"turn_id", res->turn_id},
                      {"state", empty ? nlohmann::json(nullptr)
                                      : nlohmann::json::parse(res->canonical)},
                      {"state_hash", empty ? nlohmann::json(nullptr)
                                           : nlohmann::json(res->state_hash)},
                      {"chain_hash", res->chain_hash}},
                     0,
                     {}});
    };
    if (archive_id)
      ctx.bridge->ask<actors::materialized_turn>(
        std::move(answer), actors::materialize_atom_v, *save_id, *archive_id,
        turn_id, who.user_id_hash, std::move(scope));
    else
      ctx.bridge->ask<actors::materialized_turn>(
        std::move(answer), actors::materialize_atom_v, *save_id, turn_id,
        who.user_id_hash, std::move(scope));
  });
}

void verify_save(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    auto body = json_body(*h);
    if (!body)
      return;
    auto save_id = id_field(*h, *body, "save_id", uuid_shape);
    if (!save_id)
      return;
    bool full = false;
    if (auto it = body->find("full"); it != body->end()) {
      if (!it->is_boolean()) {
        reply_error(*h, 400, "invalid_request", "\"full\" must be a boolean",
                    {{"field", "full"}});
        return;
      }
      full = it->get<bool>();
    }
    // A full verify rebuilds every stored turn.
    work_ticket ticket;
    if (full) {
      auto admitted = admit_expensive(ctx, *h, who);
      if (!admitted)
        return;
      ticket = std::move(*admitted);
    }
    auto scope = ctx.bridge->scope(ticket.share());
    ctx.bridge->ask<actors::verify_report>(
      [h, ticket](caf::expected<actors::verify_report> res) mutable {
        release_unless_timed_out(ticket, res);
        if (!res) {
          reply_engine_error(*h, res.error());
          return;
        }
        reply_outcome(
          *h, {200,
               {{"save_id", res->save_id},
                {"ok", res->ok},
                {"checked_turns", res->checked_turns},
                {"head", head_json(res->head)},
                {"first_bad_turn", res->first_bad_turn == 0
                                     ? nlohmann::json(nullptr)
                                     : nlohmann::json(res->first_bad_turn)},
                {"errors", res->errors}},
               0,
               {}});
      },
      actors::verify_atom_v, *save_id, full, who.user_id_hash,
      std::move(scope));
  });
}

} // namespace awf::net
