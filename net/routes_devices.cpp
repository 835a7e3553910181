// Device registration, token rotation and revocation (contract §2).
#include "net/routes.hpp"

#include "core/sync_token.hpp"
#include "net/bearer_token.hpp"
#include "net/wire_json.hpp"

namespace awf::net {

namespace {

/// An open WebSocket must not outlive the token that opened it.
void close_sockets_of(api_context& ctx, const std::string& device_id,
                      token_end why) {
  if (ctx.close_device_sockets)
    ctx.close_device_sockets(device_id, why);
}

nlohmann::json grant_json(const actors::device_grant& grant) {
  return {{"device_id", grant.device_id},
          {"sync_token", grant.sync_token},
          {"expires_at", iso8601(grant.expires_at_ms)}};
}

} // namespace

void register_device(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    if (!who.device_id.empty()) {
      reply_error(*h, 403, "forbidden",
                  "register devices with a user token, not a sync token");
      return;
    }
    auto body = json_body(*h, true);
    if (!body)
      return;
    std::string device_id;
    if (body->contains("device_id")) {
      auto id = string_field(*h, *body, "device_id", 64, std::nullopt);
      if (!id)
        return;
      device_id = std::move(*id);
    }
    std::string label;
    if (body->contains("label")) {
      auto text = string_field(*h, *body, "label", 256, std::nullopt);
      if (!text)
        return;
      label = std::move(*text);
    }
    ctx.bridge->ask_devices<actors::device_grant>(
      [&ctx, h](caf::expected<actors::device_grant> grant) {
        if (!grant) {
          reply_engine_error(*h, grant.error());
          return;
        }
        // Registering an existing device issues a new token: the sockets
        // its old token opened close before the new token is handed out.
        close_sockets_of(ctx, grant->device_id, token_end::replaced);
        reply_outcome(*h, {201, grant_json(*grant), 0, {}});
      },
      actors::register_atom_v, who.user_id_hash, device_id, label);
  });
}

void rotate_device(api_context& ctx, handle_ptr h, std::string device_id) {
  with_caller(ctx, h, [&ctx, h, device_id](caller who) {
    if (who.device_id != device_id) {
      reply_error(*h, 403, "forbidden",
                  "rotate with the current sync token of this device");
      return;
    }
    // The caller was authenticated from this header: it holds a token.
    auto header = h->req[http::field::authorization];
    auto token =
      bearer_token({header.data(), header.size()}).value_or(std::string_view{});
    ctx.bridge->ask_devices<actors::device_grant>(
      [&ctx, h](caf::expected<actors::device_grant> grant) {
        if (!grant) {
          reply_engine_error(*h, grant.error());
          return;
        }
        close_sockets_of(ctx, grant->device_id, token_end::replaced);
        reply_outcome(*h, {200, grant_json(*grant), 0, {}});
      },
      actors::rotate_atom_v, core::sync_token_hash(token), device_id);
  });
}

void revoke_device(api_context& ctx, handle_ptr h, std::string device_id) {
  with_caller(ctx, h, [&ctx, h, device_id](caller who) {
    if (!who.device_id.empty()) {
      reply_error(*h, 403, "forbidden",
                  "revoke with the owner's user token or an admin token");
      return;
    }
    ctx.bridge->ask_devices<bool>(
      [&ctx, h, device_id](caf::expected<bool> done) {
        if (!done) {
          reply_engine_error(*h, done.error());
          return;
        }
        close_sockets_of(ctx, device_id, token_end::revoked);
        reply_outcome(
          *h, {200, {{"device_id", device_id}, {"revoked", true}}, 0, {}});
      },
      actors::revoke_atom_v, device_id, who.user_id_hash, who.admin);
  });
}

} // namespace awf::net
