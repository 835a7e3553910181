#include "tools/load/simulated_device.hpp"

#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/beast/http/verb.hpp>

#include "core/json_patch.hpp"
#include "tools/load/conflict_checks.hpp"
#include "tools/load/reply_fields.hpp"
#include "tools/load/sync_checks.hpp"
#include "tools/load/sync_messages.hpp"

namespace awf::load {

namespace {

using json = nlohmann::json;
using boost::beast::http::verb;

std::string seconds_text(std::chrono::milliseconds timeout) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f s", timeout.count() / 1000.0);
  return text;
}

} // namespace

simulated_device::simulated_device(load_context& ctx, const executor& strand,
                                   int index, save_timeline& timeline)
  : ctx_(ctx), strand_(strand), index_(index), timeline_(timeline),
    http_(strand, ctx.endpoints, ctx.options.server.host_header(), ctx.timeout),
    changed_(strand), known_(chain_tracker::genesis(timeline.session_id())) {
  if (ctx.options.verify_states)
    replica_.emplace(nullptr);
  // A client that may meet conflicts says how it wants them settled.
  if (ctx.options.conflict_rate > 0)
    strategy_ = ctx.options.conflict_strategy;
}

void simulated_device::fail(const std::string& message) {
  if (failed_ || closing_)
    return;
  failed_ = true;
  ctx_.stats.record_error("device " + std::to_string(index_) + ": " + message);
  changed_.notify();
}

const planned_turn* simulated_device::sent(std::int64_t turn_id) const {
  return timeline_.find(turn_id);
}

task<bool> simulated_device::register_and_attach(std::string_view user_token) {
  const auto& server = ctx_.options.server;
  auto hint = "load-" + ctx_.run_id + "-" + std::to_string(index_);
  auto reply =
    co_await http_.request(verb::post, server.target(devices_path), user_token,
                           device_registration_body(hint, "awf-load").dump());
  if (!reply.is_2xx()) {
    fail("POST devices: " + reply.describe());
    co_return false;
  }
  auto grant = read_device_grant(reply.body);
  if (!grant) {
    fail(grant.error());
    co_return false;
  }
  device_id_ = grant->device_id;
  sync_token_ = grant->sync_token;
  reply =
    co_await http_.request(verb::post, server.target(saves_path), sync_token_,
                           create_save_body(timeline_.session_id()).dump());
  if (!reply.is_2xx()) {
    fail("POST saves: " + reply.describe());
    co_return false;
  }
  auto save = read_attached_save(reply.body, timeline_.session_id());
  if (!save) {
    fail(save.error());
    co_return false;
  }
  if (save->head != known_.head()) {
    fail("the new save's head is not {0, chain(0)} of its session");
    co_return false;
  }
  save_id_ = save->save_id;
  co_return true;
}

task<bool> simulated_device::subscribe() {
  const auto& server = ctx_.options.server;
  ws_ = std::make_unique<ws_client>(strand_, ctx_.timeout);
  auto failed = co_await ws_->connect(ctx_.endpoints, server.host_header(),
                                      server.target(ws_path), sync_token_);
  if (!failed.empty()) {
    fail(failed);
    co_return false;
  }
  // The reader lives until close(); the save outlives it (see close()).
  reader_running_ = true;
  net::co_spawn(strand_, read_loop(), net::detached);
  bool sent = co_await send_subscribe();
  if (!sent)
    co_return false;
  // Everything else goes over the WebSocket: free the server's connection.
  http_.close();
  bool subscribed = co_await await_subscribed();
  co_return subscribed;
}

task<bool> simulated_device::await_subscribed() {
  bool subscribed = co_await wait_for([this] { return subscribed_; },
                                      load_clock::now() + ctx_.timeout,
                                      "sync_down reply to subscribe");
  co_return subscribed;
}

task<bool> simulated_device::send_subscribe() {
  awaiting_subscribe_ = true;
  auto failed =
    co_await ws_->send(subscribe_frame(save_id_, known_.head()).dump());
  if (!failed.empty()) {
    fail(failed);
    co_return false;
  }
  co_return true;
}

task<bool> simulated_device::wait_for(const std::function<bool()>& done,
                                      load_clock::time_point deadline,
                                      const std::string& what) {
  while (!done() && !failed_) {
    bool woken = co_await changed_.wait_until(deadline);
    if (!woken) {
      fail("no " + what + " within " + seconds_text(ctx_.timeout));
      co_return false;
    }
  }
  co_return !failed_;
}

std::string
simulated_device::sync_up_name(const core::chain_head& base,
                               const core::chain_head& expected) const {
  return "sync up of turns " + std::to_string(base.turn_id + 1) + ".." +
         std::to_string(expected.turn_id);
}

task<bool> simulated_device::await_reply(std::string_view what, json& reply) {
  bool answered = co_await wait_for([this] { return reply_.has_value(); },
                                    load_clock::now() + ctx_.timeout,
                                    "reply to " + std::string{what});
  pending_req_id_.clear();
  if (!answered)
    co_return false;
  reply = std::move(*reply_);
  reply_.reset();
  co_return true;
}

task<std::optional<json>> simulated_device::send_sync_up(
  const std::string& name, const core::chain_head& base,
  std::string_view entries, bool conflict_expected) {
  json reply;
  if (ws_) {
    pending_req_id_ =
      std::to_string(index_) + "." + std::to_string(++requests_);
    reply_.reset();
    auto failed = co_await ws_->send(sync_up_text(
      pending_req_id_, save_id_, device_id_, base, strategy_, entries));
    if (!failed.empty()) {
      fail(name + ": " + failed);
      co_return std::nullopt;
    }
    bool answered = co_await await_reply(name, reply);
    if (!answered)
      co_return std::nullopt;
    if (reply.value("type", "") == "error" &&
        !(conflict_expected && is_conflict_manual(reply))) {
      fail(name + ": error frame " + describe_error(reply));
      co_return std::nullopt;
    }
  } else {
    auto answer = co_await http_.request(
      verb::post, ctx_.options.server.target(sync_up_path), sync_token_,
      sync_up_text({}, save_id_, device_id_, base, strategy_, entries));
    bool manual = conflict_expected && answer.transport_error.empty() &&
                  answer.status == 409 && is_conflict_manual(answer.body);
    if (!answer.is_2xx() && !manual) {
      fail(name + ": " + answer.describe());
      co_return std::nullopt;
    }
    reply = std::move(answer.body);
  }
  co_return reply;
}

task<bool> simulated_device::sync_up(const core::chain_head& base,
                                     played_turns turns,
                                     const core::chain_head& expected) {
  auto started = load_clock::now();
  auto name = sync_up_name(base, expected);
  if (known_.head() != base) {
    fail(name + ": the device is at turn " +
         std::to_string(known_.head().turn_id) + ", not at the base");
    co_return false;
  }
  auto answer = co_await send_sync_up(name, base, turns.entries, false);
  if (!answer)
    co_return false;
  const auto& reply = *answer;
  auto elapsed_ms = ms_between(started, load_clock::now());
  if (auto ok = check_sync_up_result(reply, base, expected); !ok) {
    fail(name + ": " + ok.error());
    co_return false;
  }
  // The device's own chain must reach the same head from its base.
  for (auto t = known_.head().turn_id + 1; t <= expected.turn_id; ++t) {
    auto* planned = sent(t);
    if (auto ok = known_.append(t, planned ? planned->state_hash : ""); !ok) {
      fail(name + ": " + ok.error());
      co_return false;
    }
  }
  if (known_.head() != expected) {
    fail(name + ": the device's recomputed chain differs from the server's");
    co_return false;
  }
  if (replica_ && !advance_replica(turns.patches)) {
    fail(name + ": the device's replica does not take its own patches");
    co_return false;
  }
  ctx_.stats.record_sync_up(static_cast<int>(expected.turn_id - base.turn_id),
                            elapsed_ms);
  co_return true;
}

task<std::optional<conflict_outcome>> simulated_device::sync_up_branch(
  const core::chain_head& base, played_turns turns,
  const core::chain_head& branch_head, const core::chain_head& server_head) {
  auto started = load_clock::now();
  auto name = "offline branch: " + sync_up_name(base, branch_head);
  if (known_.head() != base) {
    fail(name + ": the device is at turn " +
         std::to_string(known_.head().turn_id) + ", not at the base");
    co_return std::nullopt;
  }
  auto reply = co_await send_sync_up(name, base, turns.entries, true);
  if (!reply)
    co_return std::nullopt;
  auto elapsed_ms = ms_between(started, load_clock::now());
  branch_sync sync{save_id_, device_id_,  ctx_.options.conflict_strategy,
                   base,     server_head, branch_head};
  auto outcome = read_conflict_outcome(*reply, sync);
  if (!outcome) {
    fail(name + ": " + outcome.error());
    co_return std::nullopt;
  }
  ctx_.stats.record_conflict(*outcome, elapsed_ms);
  co_return std::move(*outcome);
}

task<std::optional<merged_state>>
simulated_device::fetch_merged_turn(const core::chain_head& from,
                                    const json& from_state,
                                    const core::chain_head& merged) {
  auto target = sync_down_target(ctx_.options.server.base_path, save_id_, from);
  auto reply = co_await http_.request(verb::get, target, sync_token_, "");
  // A WebSocket device keeps no HTTP connection open on the server.
  if (ws_)
    http_.close();
  if (!reply.is_2xx()) {
    fail("GET sync/down of the merged turn: " + reply.describe());
    co_return std::nullopt;
  }
  auto state = read_merged_turn(reply.body, from, from_state, merged);
  if (!state) {
    fail(state.error());
    co_return std::nullopt;
  }
  co_return std::move(*state);
}

void simulated_device::hold_head(const core::chain_head& head,
                                 const json& state) {
  known_.reset(head);
  if (replica_)
    *replica_ = state;
}

task<bool> simulated_device::go_offline() {
  if (!ws_)
    co_return true;
  awaiting_unsubscribe_ = true;
  auto failed = co_await ws_->send(unsubscribe_frame(save_id_).dump());
  if (!failed.empty()) {
    fail(failed);
    co_return false;
  }
  bool done =
    co_await wait_for([this] { return !awaiting_unsubscribe_; },
                      load_clock::now() + ctx_.timeout, "unsubscribed reply");
  co_return done;
}

task<bool> simulated_device::go_online() {
  if (!ws_) {
    if (known_.head() == timeline_.head())
      co_return true;
    bool current = co_await catch_up();
    co_return current;
  }
  bool sent = co_await send_subscribe();
  if (!sent)
    co_return false;
  bool subscribed = co_await await_subscribed();
  co_return subscribed;
}

bool simulated_device::release_pushes() {
  holding_pushes_ = false;
  auto held = std::move(held_);
  held_.clear();
  for (const auto& [message, received_at] : held)
    handle_sync_down(message, true, received_at);
  changed_.notify();
  return !failed_;
}

bool simulated_device::advance_replica(
  const std::vector<nlohmann::json>& patches) {
  // A whole state among the turns: the head's state is the timeline's.
  for (const auto& patch : patches)
    if (patch.is_null()) {
      *replica_ = timeline_.state();
      return true;
    }
  for (const auto& patch : patches)
    if (!core::apply_patch_in_place(*replica_, patch))
      return false;
  return true;
}

task<bool> simulated_device::catch_up() {
  auto lookup = [this](std::int64_t t) { return sent(t); };
  for (;;) {
    auto target =
      sync_down_target(ctx_.options.server.base_path, save_id_, known_.head());
    auto reply = co_await http_.request(verb::get, target, sync_token_, "");
    if (!reply.is_2xx()) {
      fail("GET sync/down: " + reply.describe());
      co_return false;
    }
    auto applied = apply_sync_down(reply.body, known_, lookup,
                                   replica_ ? &*replica_ : nullptr);
    if (!applied) {
      fail("sync down: " + applied.error());
      co_return false;
    }
    if (!applied->more)
      co_return true;
    if (applied->turn_ids.empty()) {
      fail("sync down says more but brought no turn");
      co_return false;
    }
  }
}

task<bool>
simulated_device::wait_until_current(const core::chain_head& head,
                                     load_clock::time_point deadline) {
  // The whole head, not just its turn: after a conflict a device may know
  // a turn of the same number on a branch the server dropped.
  bool current =
    co_await wait_for([this, &head] { return known_.head() == head; }, deadline,
                      "push of turn " + std::to_string(head.turn_id));
  co_return current;
}

task<void> simulated_device::read_loop() {
  for (;;) {
    auto frame = co_await ws_->read();
    if (!frame.error.empty() || frame.closed) {
      fail(frame.closed ? "the server closed the WebSocket" : frame.error);
      break;
    }
    try {
      handle_frame(frame.text);
    } catch (const std::exception& e) {
      fail(std::string{"cannot handle a frame: "} + e.what());
    }
    changed_.notify();
  }
  reader_running_ = false;
  changed_.notify();
}

void simulated_device::handle_frame(const std::string& text) {
  auto message = parse_frame(text, replica_.has_value());
  if (message.is_discarded() || !message.is_object()) {
    fail("a WebSocket frame is not a JSON object");
    return;
  }
  auto type = message.value("type", "");
  auto req_id = message.find("req_id");
  bool for_pending = !pending_req_id_.empty() && req_id != message.end() &&
                     *req_id == pending_req_id_;
  if ((type == "sync_up_result" || type == "error") && for_pending) {
    reply_ = std::move(message);
  } else if (type == "error") {
    fail("error frame " + describe_error(message));
  } else if (type == "sync_down") {
    handle_sync_down(message, false);
  } else if (type == "turns") {
    handle_sync_down(message, true);
  } else if (type == "unsubscribed" && awaiting_unsubscribe_ &&
             message.value("save_id", "") == save_id_) {
    awaiting_unsubscribe_ = false;
    subscribed_ = false;
  } else if (type == "sync_up_result") {
    fail("sync_up_result for a request not in flight");
  } else {
    fail("unexpected frame type '" + type + "'");
  }
}

void simulated_device::handle_sync_down(
  const json& message, bool push,
  std::optional<load_clock::time_point> received_at) {
  if (push ? !subscribed_ : !awaiting_subscribe_) {
    fail(push ? "a turns push before the subscription"
              : "a sync_down frame without a subscribe");
    return;
  }
  if (push && message.value("save_id", "") != save_id_) {
    fail("a turns push for another save");
    return;
  }
  if (push && holding_pushes_) {
    held_.emplace_back(message, load_clock::now());
    return;
  }
  auto lookup = [this](std::int64_t t) { return sent(t); };
  auto applied =
    apply_sync_down(message, known_, lookup, replica_ ? &*replica_ : nullptr);
  if (!applied) {
    fail((push ? "turns push: " : "sync_down: ") + applied.error());
    return;
  }
  if (!push) {
    awaiting_subscribe_ = false;
    subscribed_ = true;
    return;
  }
  auto now = received_at.value_or(load_clock::now());
  for (auto turn_id : applied->turn_ids) {
    auto* planned = sent(turn_id);
    if (planned != nullptr && planned->sent_by >= 0 &&
        planned->sent_by != index_)
      ctx_.stats.record_push(ms_between(planned->sent_at, now));
  }
}

task<void> simulated_device::close() {
  closing_ = true;
  if (ws_) {
    co_await ws_->close();
    // read_loop() refers to this device: wait until it has returned.
    auto deadline = load_clock::now() + ctx_.timeout;
    while (reader_running_) {
      bool woken = co_await changed_.wait_until(deadline);
      if (!woken)
        break;
    }
  }
  http_.close();
}

} // namespace awf::load
