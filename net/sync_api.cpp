#include "net/sync_api.hpp"

#include <chrono>

#include <caf/sec.hpp>

#include "actors/save_errc.hpp"
#include "core/conflict_rules.hpp"
#include "core/sync_token.hpp"
#include "core/user_token.hpp"
#include "net/api_context.hpp"
#include "net/api_response.hpp"
#include "net/client_ids.hpp"
#include "net/small_members.hpp"
#include "net/sync_up_request.hpp"
#include "net/wire_json.hpp"

namespace awf::net {

namespace {

using clock_type = std::chrono::steady_clock;
using json = nlohmann::json;

api_outcome invalid(const std::string& field, const std::string& message) {
  return error_outcome(400, "invalid_request", message, {{"field", field}});
}

bool is_hash_value(const nlohmann::json& value) {
  return value.is_string() && is_hex_hash(value.get_ref<const std::string&>());
}

/// The 413 of a turn whose state or patch passed, as canonical bytes, the
/// state limit or (with the turns before it) the message limit.
api_outcome too_large(const std::string& field, const sync_limits& limits,
                      bool past_state_limit) {
  auto message = past_state_limit
                   ? field + " is more than " +
                       std::to_string(limits.max_state_bytes) +
                       " bytes as canonical JSON, the state limit"
                   : field + " brings the turns past " +
                       std::to_string(limits.max_message_bytes) +
                       " bytes as canonical JSON in all, the message limit";
  return error_outcome(413, "payload_too_large", message, {{"field", field}});
}

/// Reads the turn `turn` of a sync up (named `field` in errors) into `req`,
/// or returns the 4xx. Its canonical bytes are charged to `canonical_left`
/// (numbers may grow when written canonically: 1e20 is
/// 100000000000000000000), a state's also to the state limit.
std::optional<api_outcome> parse_turn(const core::json_view& turn,
                                      const std::string& field,
                                      const sync_limits& limits,
                                      std::size_t& canonical_left,
                                      actors::sync_up_request& req) {
  if (!turn.is_object())
    return invalid(field, field + " must be an object");
  small_members member; // a budget per turn: a sync up may carry many
  core::incoming_turn in;
  auto id = member(turn, "turn_id");
  auto id_value = id ? as_integer(*id) : std::nullopt;
  if (!id_value)
    return invalid(field + ".turn_id", field + ".turn_id must be an integer");
  in.turn_id = *id_value;
  auto state = turn.find("state");
  auto patch = turn.find("patch");
  if (state.has_value() == patch.has_value())
    return invalid(field, field + " must carry exactly one of \"state\" "
                                  "and \"patch\"");
  if (auto hash = member(turn, "state_hash")) {
    if (!is_hash_value(*hash))
      return invalid(field + ".state_hash",
                     field + ".state_hash must be 64 lowercase hex digits");
    in.state_hash = hash->get<std::string>();
  }
  // The document obeys the contract's rules throughout, so a state or a
  // patch goes on as its canonical bytes.
  std::string bytes;
  if (patch) {
    if (!patch->is_array())
      return invalid(field + ".patch", field + ".patch must be an array");
    if (in.state_hash.empty())
      return invalid(field + ".state_hash",
                     "a patch turn must carry state_hash");
    if (!patch->append_canonical(bytes, canonical_left))
      return too_large(field + ".patch", limits, false);
    in.patch = std::move(bytes);
  } else {
    auto limit = std::min(canonical_left, limits.max_state_bytes);
    if (!state->append_canonical(bytes, limit))
      return too_large(field + ".state", limits,
                       limit == limits.max_state_bytes);
    in.state = std::move(bytes);
  }
  canonical_left -= in.patch ? in.patch->size() : in.state->size();
  req.turns.push_back(std::move(in));
  return std::nullopt;
}

/// Takes a token of the caller's bucket, or returns the 429.
std::optional<api_outcome> rate_check(api_context& ctx, const caller& who) {
  auto key = who.device_id.empty() ? "user:" + who.user_id_hash
                                   : "device:" + who.device_id;
  if (int wait = ctx.device_rate.acquire(key); wait > 0) {
    ++ctx.metrics.rate_limited;
    auto out = error_outcome(429, "rate_limited",
                             "too many requests from this device; retry in " +
                               std::to_string(wait) + " s");
    out.retry_after_s = wait;
    return out;
  }
  return std::nullopt;
}

std::uint64_t micros_since(clock_type::time_point start) {
  return static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() -
                                                          start)
      .count());
}

/// The newest turn a sync down hands the device.
std::int64_t last_turn_delivered(const actors::sync_down_reply& res) {
  if (!res.turns.empty())
    return res.turns.back().turn_id;
  return res.has_snapshot ? res.snapshot.turn_id : res.head.turn_id;
}

bool recordable(int status) {
  return status != 429 && status != 503;
}

} // namespace

std::optional<api_outcome> parse_sync_up(const sync_limits& limits,
                                         const caller& who,
                                         const core::json_view& body,
                                         actors::sync_up_request& req) {
  small_members member;
  // Ids are checked before anything keeps them (the audit record of a
  // refusal included): a client string reaches no further unchecked.
  auto save = member(body, "save_id");
  if (!save)
    return bad_field("save_id", uuid_shape);
  if (auto bad = check_json_id(*save, "save_id", uuid_shape))
    return bad;
  std::string device_id;
  if (auto device = member(body, "device_id")) {
    if (auto bad = check_json_id(*device, "device_id", device_id_shape))
      return bad;
    device_id = device->get<std::string>();
  }
  req.save_id = save->get<std::string>();
  req.device_id = std::move(device_id);
  if (!who.device_id.empty() && req.device_id != who.device_id)
    return error_outcome(403, "forbidden",
                         "device_id must be the device of the sync token");
  auto base = member(body, "base");
  auto parsed_base = base ? head_from_json(*base) : std::nullopt;
  if (!parsed_base)
    return invalid("base", "\"base\" must be {\"turn_id\": integer >= 0, "
                           "\"chain_hash\": 64 lowercase hex digits}");
  req.base = std::move(*parsed_base);
  if (auto strategy = member(body, "strategy")) {
    if (!strategy->is_string() ||
        !core::parse_conflict_strategy(strategy->get<std::string>()))
      return invalid("strategy",
                     "\"strategy\" must be one of server_wins, client_wins, "
                     "longest_chain, three_way_merge, manual");
    req.strategy = strategy->get<std::string>();
  }
  if (auto confirm = member(body, "confirm_regression")) {
    if (!confirm->is_boolean())
      return invalid("confirm_regression",
                     "\"confirm_regression\" must be a boolean");
    req.confirm_regression = confirm->get<bool>();
  }
  if (auto meta = body.find("meta"); meta && !meta->is_object())
    return invalid("meta", "\"meta\" must be an object");
  auto turns = body.find("turns");
  if (!turns || !turns->is_array() || turns->size() == 0)
    return invalid("turns", "\"turns\" must be a non-empty array");
  if (turns->size() > limits.max_turns_per_sync)
    return error_outcome(413, "payload_too_large",
                         "a sync up carries at most " +
                           std::to_string(limits.max_turns_per_sync) + " turns",
                         {{"field", "turns"}});
  std::optional<api_outcome> refused;
  std::size_t i = 0;
  // All turns together may not grow past a message's size.
  std::size_t canonical_left = limits.max_message_bytes;
  turns->for_each_element([&](core::json_view turn) {
    if (refused)
      return;
    auto field = "turns[" + std::to_string(i++) + "]";
    refused = parse_turn(turn, field, limits, canonical_left, req);
  });
  if (refused)
    return refused;
  req.user_id_hash = who.user_id_hash;
  return std::nullopt;
}

void audit_request(api_context& ctx, const std::string& save_id,
                   const caller& who, const std::string& operation,
                   nlohmann::json details) {
  details["user_id_hash"] = who.user_id_hash;
  persistence::audit_entry entry;
  if (!save_id.empty())
    entry.save_id = save_id;
  if (!who.device_id.empty())
    entry.device_id = who.device_id;
  entry.operation = operation;
  entry.details_json = details.dump();
  ctx.bridge->tell(actors::audit_atom_v,
                   std::vector<persistence::audit_entry>{std::move(entry)});
}

api_outcome error_outcome(int status, std::string code, std::string message,
                          nlohmann::json details) {
  return {status,
          {{"error",
            {{"code", std::move(code)},
             {"message", std::move(message)},
             {"details", std::move(details)}}}},
          0,
          {}};
}

api_outcome engine_error_outcome(const caf::error& err) {
  auto mapped = map_engine_error(actors::error_code(err));
  // A request stopped at its deadline (by the engine, or the edge's wait
  // ran out first) says so: it stored nothing.
  auto details = nlohmann::json::object();
  if (actors::error_code(err) == actors::save_errc::deadline_exceeded ||
      (err.category() == caf::atom("system") &&
       err.code() == static_cast<std::uint8_t>(caf::sec::request_timeout)))
    details = {{"reason", "deadline_exceeded"}, {"stored", false}};
  auto out = error_outcome(static_cast<int>(mapped.status), mapped.code,
                           actors::error_message(err), std::move(details));
  if (out.status == 503)
    out.retry_after_s = 1;
  return out;
}

void authenticate(api_context& ctx, std::string_view token,
                  std::function<void(caller)> on_ok, outcome_fn on_error) {
  if (token.substr(0, core::user_token_prefix.size()) ==
      core::user_token_prefix) {
    auto claims =
      core::verify_user_token(ctx.hmac_secret, token, ctx.now_unix());
    if (!claims) {
      bool expired = claims.error().code == core::token_error::expired;
      on_error(error_outcome(401, expired ? "token_expired" : "unauthorized",
                             claims.error().message));
      return;
    }
    on_ok(caller{claims->sub, {}, claims->role == "admin", claims->exp * 1000});
    return;
  }
  if (token.substr(0, core::sync_token_prefix.size()) !=
        core::sync_token_prefix ||
      token.size() > core::max_sync_token_bytes) {
    on_error(error_outcome(401, "unauthorized",
                           "send Authorization: Bearer <user or sync token>"));
    return;
  }
  ctx.bridge->ask_devices<actors::device_identity>(
    [on_ok = std::move(on_ok), on_error = std::move(on_error)](
      caf::expected<actors::device_identity> who) {
      if (!who) {
        on_error(engine_error_outcome(who.error()));
        return;
      }
      on_ok(caller{std::move(who->user_id_hash), std::move(who->device_id),
                   false, who->expires_at_ms});
    },
    actors::authenticate_atom_v, core::sync_token_hash(token));
}

namespace {

/// Refuses a sync up before it reaches the engine (audited, counted).
void refuse_sync_up(api_context& ctx, const caller& who,
                    const std::string& save_id, api_outcome out,
                    const outcome_fn& done) {
  ++ctx.metrics.sync_up_rejected;
  audit_request(ctx, save_id, who, "sync_up_rejected",
                {{"status", out.status}, {"code", out.body["error"]["code"]}});
  done(std::move(out));
}

/// Runs `next` when the device a user token names is one of that user's
/// devices and not revoked; answers 403 otherwise. A missing, foreign or
/// revoked device get the same answer, so it tells nothing about others.
void with_own_device(api_context& ctx, const caller& who,
                     const std::string& device_id, std::function<void()> next,
                     outcome_fn refuse) {
  ctx.bridge->ask_devices<persistence::device_record>(
    [user = who.user_id_hash, next = std::move(next),
     refuse =
       std::move(refuse)](caf::expected<persistence::device_record> found) {
      if (found && found->user_id_hash == user && !found->revoked) {
        next();
        return;
      }
      auto code = found ? actors::save_errc::not_found
                        : actors::error_code(found.error());
      if (code != actors::save_errc::not_found) {
        refuse(engine_error_outcome(found.error())); // e.g. 503
        return;
      }
      refuse(error_outcome(403, "forbidden",
                           "device_id must be one of your registered devices",
                           {{"field", "device_id"}}));
    },
    actors::lookup_atom_v, device_id);
}

void run_sync_up(api_context& ctx, const caller& who,
                 actors::sync_up_request req, origin_id origin,
                 clock_type::time_point start, sync_up_fn done);

} // namespace

void sync_up(api_context& ctx, const caller& who, const core::json_view& body,
             std::optional<std::string> if_match, origin_id origin,
             sync_up_fn finish) {
  // Refusals change nothing.
  outcome_fn done = [finish](api_outcome out) { finish(std::move(out), {}); };
  if (!ctx.sync_enabled) {
    auto out = error_outcome(503, "unavailable",
                             "sync is disabled for maintenance "
                             "(CLOUD_SYNC_ENABLED=false); reads still work");
    out.retry_after_s = 60;
    done(std::move(out));
    return;
  }
  if (auto limited = rate_check(ctx, who)) {
    done(std::move(*limited));
    return;
  }
  auto start = clock_type::now();
  actors::sync_up_request req;
  if (auto rejected = parse_sync_up(ctx.limits, who, body, req)) {
    refuse_sync_up(ctx, who, req.save_id, std::move(*rejected), done);
    return;
  }
  req.if_match = std::move(if_match);
  if (!who.device_id.empty() || req.device_id.empty()) {
    run_sync_up(ctx, who, std::move(req), origin, start, std::move(finish));
    return;
  }
  // A user token names the syncing device itself: it must be the user's.
  auto shared = std::make_shared<actors::sync_up_request>(std::move(req));
  auto shared_finish = std::make_shared<sync_up_fn>(std::move(finish));
  with_own_device(
    ctx, who, shared->device_id,
    [&ctx, who, shared, origin, start, shared_finish] {
      run_sync_up(ctx, who, std::move(*shared), origin, start,
                  std::move(*shared_finish));
    },
    [&ctx, who, shared, done](api_outcome out) {
      refuse_sync_up(ctx, who, shared->save_id, std::move(out), done);
    });
}

namespace {

void run_sync_up(api_context& ctx, const caller& who,
                 actors::sync_up_request req, origin_id origin,
                 clock_type::time_point start, sync_up_fn done) {
  auto save_id = req.save_id;
  std::optional<std::int64_t> last_sent;
  if (!req.turns.empty())
    last_sent = req.turns.back().turn_id;
  // The engine stops at this deadline, before the edge stops waiting, and
  // never commits after it: the answer the device gets is the truth.
  req.scope = ctx.bridge->scope();
  ctx.bridge->ask_save<actors::sync_up_reply>(
    save_id,
    [&ctx, who, save_id, origin, start, last_sent,
     done = std::move(done)](caf::expected<actors::sync_up_reply> res) {
      ctx.metrics.sync_up_latency.record(micros_since(start));
      if (!res) {
        auto out = engine_error_outcome(res.error());
        ++ctx.metrics.sync_up_rejected;
        if (recordable(out.status))
          audit_request(
            ctx, save_id, who, "sync_up_rejected",
            {{"status", out.status}, {"code", out.body["error"]["code"]}});
        done(std::move(out), {});
        return;
      }
      // The engine recorded the outcome (and any conflict) in the audit
      // trail with what it stored.
      auto report =
        res->conflict ? core::to_json(*res->conflict) : nlohmann::json(nullptr);
      if (res->conflict)
        ++ctx.metrics.conflicts;
      if (res->status == actors::sync_up_status::conflict_manual) {
        done(error_outcome(409, "conflict_manual",
                           "the save moved on since the device's base; its "
                           "turns are archived until someone chooses",
                           {{"conflict", std::move(report)},
                            {"head", head_json(res->head)}}),
             {});
        return;
      }
      ++ctx.metrics.sync_up_ok;
      ctx.metrics.turns_accepted += res->appended.size();
      if (!res->appended.empty() && ctx.hub.followed(save_id)) {
        ctx.hub.publish(make_push_event(ctx.ws_frames, save_id, res->base,
                                        res->head, res->appended),
                        origin);
      }
      if (!who.device_id.empty() && !res->accepted.empty())
        ctx.bridge->note_seen(who.device_id, res->accepted.back());
      sync_up_effect effect{res->head};
      using actors::sync_up_status;
      bool sent_is_head =
        res->status == sync_up_status::fast_forward ||
        res->status == sync_up_status::up_to_date ||
        (res->status == sync_up_status::resolved && res->conflict &&
         res->conflict->chosen == core::branch_choice::client);
      effect.sender_holds_head =
        sent_is_head && last_sent && res->head.turn_id == *last_sent;
      if (!effect.sender_holds_head)
        effect.head_replaced = res->status == sync_up_status::resolved;
      api_outcome out;
      out.body = {{"status", to_string(res->status)},
                  {"head", head_json(res->head)},
                  {"accepted", res->accepted},
                  {"conflict", std::move(report)}};
      out.etag = res->head.chain_hash;
      done(std::move(out), effect);
    },
    actors::sync_up_atom_v, std::move(req));
}

} // namespace

void sync_down(api_context& ctx, const caller& who, sync_down_params params,
               outcome_fn done) {
  if (auto limited = rate_check(ctx, who)) {
    done(std::move(*limited));
    return;
  }
  if (auto bad = check_id(params.save_id, "save_id", uuid_shape)) {
    done(std::move(*bad));
    return;
  }
  if (!params.since_chain.empty())
    if (auto bad = check_id(params.since_chain, "since_chain", hash_shape)) {
      done(std::move(*bad));
      return;
    }
  auto start = clock_type::now();
  actors::sync_down_request req;
  req.save_id = params.save_id;
  req.user_id_hash = who.user_id_hash;
  req.since_turn = params.since_turn;
  req.since_chain = params.since_chain;
  req.if_none_match = params.if_none_match.value_or("");
  req.page_turns = ctx.limits.sync_down_page_turns;
  req.page_bytes = ctx.limits.max_message_bytes;
  req.max_behind = ctx.limits.sync_down_max_behind;
  auto save_id = params.save_id;
  ctx.bridge->ask_save<actors::sync_down_reply>(
    save_id,
    [&ctx, who, save_id, start,
     done = std::move(done)](caf::expected<actors::sync_down_reply> res) {
      ctx.metrics.sync_down_latency.record(micros_since(start));
      if (!res) {
        auto out = engine_error_outcome(res.error());
        ++ctx.metrics.sync_down_rejected;
        if (recordable(out.status))
          audit_request(
            ctx, save_id, who, "sync_down_rejected",
            {{"status", out.status}, {"code", out.body["error"]["code"]}});
        done(std::move(out));
        return;
      }
      ++ctx.metrics.sync_down_ok;
      api_outcome out;
      out.etag = res->head.chain_hash;
      if (res->not_modified) {
        out.status = 304;
        done(std::move(out));
        return;
      }
      if (!who.device_id.empty())
        ctx.bridge->note_seen(who.device_id, last_turn_delivered(*res));
      audit_request(ctx, save_id, who, "sync_down",
                    {{"turns", res->turns.size()},
                     {"snapshot", res->has_snapshot},
                     {"head_turn", res->head.turn_id}});
      out.body = sync_down_json(*res);
      done(std::move(out));
    },
    actors::sync_down_atom_v, std::move(req));
}

} // namespace awf::net
