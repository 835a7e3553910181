// Operations (contract §8): /metrics, /readyz, save/stats and the admin
// reads of a save, a device and the audit trail.
#include <charconv>
#include <cmath>

#include "actors/conflict_messages.hpp"
#include "actors/messages.hpp"
#include "net/process_stats.hpp"
#include "net/routes.hpp"
#include "net/wire_json.hpp"

namespace awf::net {

namespace {

void counter(std::string& text, const char* name, const char* help,
             const char* type, double value) {
  text += std::string{"# HELP "} + name + " " + help + "\n# TYPE " + name +
          " " + type + "\n" + name + " ";
  // Counts print as integers; only fractions (latencies) need a point.
  bool whole = std::trunc(value) == value && std::abs(value) < 1e15;
  text += (whole ? std::to_string(static_cast<long long>(value))
                 : nlohmann::json(value).dump()) +
          "\n";
}

nlohmann::json latency_json(const latency_histogram& h) {
  return {{"count", h.count()},
          {"p50_ms", h.quantile_ms(0.50)},
          {"p95_ms", h.quantile_ms(0.95)},
          {"p99_ms", h.quantile_ms(0.99)}};
}

double ratio(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? static_cast<double>(part) / static_cast<double>(whole)
                   : 0.0;
}

} // namespace

void metrics_route(api_context& ctx, handle_ptr h) {
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
      const auto& m = ctx.metrics;
      counter(text, "awf_http_requests_in_flight", "Requests being answered.",
              "gauge", ctx.in_flight.load());
      counter(text, "awf_connections", "Open HTTP and WebSocket connections.",
              "gauge", static_cast<double>(ctx.connections.load()));
      counter(text, "awf_websockets", "Open WebSocket connections.", "gauge",
              static_cast<double>(ctx.websockets.load()));
      counter(text, "awf_subscriptions", "Live save subscriptions.", "gauge",
              static_cast<double>(ctx.hub.subscriptions()));
      counter(text, "awf_ws_queued_bytes",
              "Bytes of messages waiting to be written to WebSocket readers "
              "(a push shared by many counts once).",
              "gauge", static_cast<double>(ctx.ws_frames.bytes()));
      counter(text, "awf_engine_asks_in_flight",
              "Requests waiting for the save engine.", "gauge",
              static_cast<double>(ctx.bridge->in_flight()));
      counter(text, "awf_sync_up_total", "Sync ups answered 2xx.", "counter",
              static_cast<double>(m.sync_up_ok.load()));
      counter(text, "awf_sync_up_rejected_total", "Sync ups refused.",
              "counter", static_cast<double>(m.sync_up_rejected.load()));
      counter(text, "awf_sync_down_total", "Sync downs answered.", "counter",
              static_cast<double>(m.sync_down_ok.load()));
      counter(text, "awf_turns_accepted_total", "Turns appended by sync up.",
              "counter", static_cast<double>(m.turns_accepted.load()));
      counter(text, "awf_conflicts_total", "Divergent sync ups.", "counter",
              static_cast<double>(m.conflicts.load()));
      counter(text, "awf_pushes_sent_total", "Turns pushes sent.", "counter",
              static_cast<double>(m.pushes_sent.load()));
      counter(text, "awf_slow_consumers_closed_total",
              "WebSockets closed because their reader fell behind.", "counter",
              static_cast<double>(m.slow_consumers_closed.load()));
      counter(text, "awf_rate_limited_total", "Requests answered 429.",
              "counter", static_cast<double>(m.rate_limited.load()));
      counter(text, "awf_sync_up_p95_ms", "Sync up latency, 95th percentile.",
              "gauge", m.sync_up_latency.quantile_ms(0.95));
      if (res) {
        counter(text, "awf_resident_saves", "Save actors in memory.", "gauge",
                static_cast<double>(res->resident));
        counter(text, "awf_save_actors_spawned_total", "Save actors started.",
                "counter", static_cast<double>(res->spawned));
        counter(text, "awf_save_actors_passivated_total",
                "Save actors that left memory.", "counter",
                static_cast<double>(res->passivated));
      }
      if (auto process = read_process_stats()) {
        counter(text, "process_cpu_seconds_total",
                "User and system CPU time spent in seconds.", "counter",
                process->cpu_seconds);
        counter(text, "process_resident_memory_bytes",
                "Resident memory size in bytes.", "gauge",
                static_cast<double>(process->resident_bytes));
        counter(text, "process_open_fds", "Number of open file descriptors.",
                "gauge", static_cast<double>(process->open_fds));
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

void ready_route(api_context& ctx, handle_ptr h) {
  ctx.bridge->ask<actors::registry_stats>(
    [h](caf::expected<actors::registry_stats> res) {
      if (!res) {
        reply_outcome(*h, [] {
          auto out =
            error_outcome(503, "unavailable", "the save engine is not ready");
          out.retry_after_s = 1;
          return out;
        }());
        return;
      }
      reply_outcome(
        *h,
        {200, {{"status", "ready"}, {"resident_saves", res->resident}}, 0, {}});
    },
    actors::stats_atom_v);
}

namespace {

nlohmann::json conflicts_json(const persistence::conflict_totals& c) {
  return {{"total", c.total},
          {"by_strategy", c.by_strategy},
          {"by_reason", c.by_reason},
          {"by_chosen_branch", c.by_chosen_branch},
          {"merges",
           {{"clean", c.merges_clean},
            {"with_conflicting_paths", c.merges_with_conflicts}}}};
}

nlohmann::json stats_json(const api_context& ctx, const std::string& scope,
                          const persistence::store_totals& t,
                          const persistence::conflict_totals& c) {
  nlohmann::json out{
    {"scope", scope.empty() ? "all" : "user"},
    {"counts",
     {{"saves", t.saves},
      {"turns", t.turns},
      {"devices", t.devices},
      {"archives", t.archives},
      {"blobs", t.blobs},
      {"integrity_failed_saves", t.integrity_failed_saves},
      {"turns_by_kind", t.turns_by_kind}}},
    {"bytes",
     {{"logical", t.logical_bytes},
      {"blob_plain", t.blob_plain_bytes},
      {"stored", t.stored_bytes}}},
    {"ratios",
     {{"stored_to_logical", ratio(t.stored_bytes, t.logical_bytes)},
      {"dedup", ratio(t.blobs, t.blob_refs)},
      {"compression", ratio(t.blob_stored_bytes, t.blob_plain_bytes)}}},
    {"conflicts", conflicts_json(c)}};
  // The sync counters and latencies are the whole process's: they describe
  // every user's traffic, so only an operator's (scope "all") answer has
  // them.
  if (scope.empty()) {
    const auto& m = ctx.metrics;
    out["sync"] = {{"sync_up", m.sync_up_ok.load()},
                   {"sync_up_rejected", m.sync_up_rejected.load()},
                   {"sync_down", m.sync_down_ok.load()},
                   {"turns_accepted", m.turns_accepted.load()},
                   {"sync_up_latency", latency_json(m.sync_up_latency)},
                   {"sync_down_latency", latency_json(m.sync_down_latency)}};
  }
  return out;
}

} // namespace

void save_stats(api_context& ctx, handle_ptr h) {
  with_caller(ctx, h, [&ctx, h](caller who) {
    // An admin sees the whole store; anyone else only their own saves.
    auto scope = who.admin ? std::string{} : who.user_id_hash;
    ctx.bridge->ask<persistence::store_totals>(
      [&ctx, h, scope](caf::expected<persistence::store_totals> totals) {
        if (!totals) {
          reply_engine_error(*h, totals.error());
          return;
        }
        ctx.bridge->ask<persistence::conflict_totals>(
          [&ctx, h, scope, totals = std::move(*totals)](
            caf::expected<persistence::conflict_totals> conflicts) {
            if (!conflicts) {
              reply_engine_error(*h, conflicts.error());
              return;
            }
            reply_outcome(
              *h, {200, stats_json(ctx, scope, totals, *conflicts), 0, {}});
          },
          actors::conflict_atom_v, scope);
      },
      actors::stats_atom_v, scope);
  });
}

void admin_save(api_context& ctx, handle_ptr h, std::string save_id) {
  with_admin(ctx, h, [&ctx, h, save_id](caller) {
    // An id of the wrong shape names no save (the path is the resource).
    if (!uuid_shape.accepts(save_id)) {
      reply_error(*h, 404, "not_found", "no such save");
      return;
    }
    ctx.bridge->ask<persistence::save_record>(
      [h](caf::expected<persistence::save_record> res) {
        if (!res) {
          reply_engine_error(*h, res.error());
          return;
        }
        reply_outcome(*h, {200,
                           {{"save_id", res->save_id},
                            {"session_id", res->session_id},
                            {"user_id_hash", res->user_id_hash},
                            {"version", res->version},
                            {"head", head_json(res->head)},
                            {"integrity_ok", res->integrity_ok},
                            {"created_at", iso8601(res->created_at_ms)},
                            {"updated_at", iso8601(res->updated_at_ms)}},
                           0,
                           {}});
      },
      actors::lookup_atom_v, save_id, std::string{});
  });
}

void admin_device(api_context& ctx, handle_ptr h, std::string device_id) {
  with_admin(ctx, h, [&ctx, h, device_id](caller) {
    if (!device_id_shape.accepts(device_id)) {
      reply_error(*h, 404, "not_found", "no such device");
      return;
    }
    ctx.bridge->ask_devices<persistence::device_record>(
      [h](caf::expected<persistence::device_record> res) {
        if (!res) {
          reply_engine_error(*h, res.error());
          return;
        }
        // Never the token hash: it is a credential's fingerprint.
        reply_outcome(*h, {200,
                           {{"device_id", res->device_id},
                            {"user_id_hash", res->user_id_hash},
                            {"label", res->label},
                            {"revoked", res->revoked},
                            {"expires_at", iso8601(res->expires_at_ms)},
                            {"last_turn_seen", res->last_turn_seen},
                            {"created_at", iso8601(res->created_at_ms)},
                            {"updated_at", iso8601(res->updated_at_ms)}},
                           0,
                           {}});
      },
      actors::lookup_atom_v, device_id);
  });
}

void admin_audit(api_context& ctx, handle_ptr h) {
  with_admin(ctx, h, [&ctx, h](caller) {
    std::string_view target{h->req.target().data(), h->req.target().size()};
    persistence::audit_filter filter;
    if (!id_param(*h, target, "save_id", uuid_shape, filter.save_id) ||
        !id_param(*h, target, "device_id", device_id_shape, filter.device_id))
      return;
    std::int64_t since = -1, limit = 100;
    if (!integer_param(*h, target, "since", since, 0, INT64_MAX) ||
        !integer_param(*h, target, "limit", limit, 1, 1000))
      return;
    if (since >= 0)
      filter.since_ms = since;
    filter.limit = static_cast<std::size_t>(limit);
    ctx.bridge->ask<std::vector<persistence::audit_record>>(
      [h](caf::expected<std::vector<persistence::audit_record>> res) {
        if (!res) {
          reply_engine_error(*h, res.error());
          return;
        }
        auto records = nlohmann::json::array();
        for (const auto& r : *res)
          records.push_back(
            {{"audit_id", r.audit_id},
             {"save_id", r.save_id ? nlohmann::json(*r.save_id) : nullptr},
             {"device_id",
              r.device_id ? nlohmann::json(*r.device_id) : nullptr},
             {"operation", r.operation},
             {"details", nlohmann::json::parse(r.details_json, nullptr, false)},
             {"created_at", iso8601(r.created_at_ms)}});
        reply_outcome(*h, {200, {{"audit", records}}, 0, {}});
      },
      actors::list_atom_v, std::move(filter));
  });
}

} // namespace awf::net
