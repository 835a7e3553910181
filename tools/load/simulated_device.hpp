// One simulated device: registers with its user's token, attaches the
// shared save, then syncs turns over WebSocket (`sync_up` frames, `turns`
// pushes) or REST (sync/up, sync/down) and checks every reply against the
// client-side chain. It can go offline, come back with a branch of its own
// and rejoin the head the server chose. Runs on its save's strand; the save
// drives it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "tools/load/async_event.hpp"
#include "tools/load/chain_tracker.hpp"
#include "tools/load/conflict_checks.hpp"
#include "tools/load/http_client.hpp"
#include "tools/load/load_context.hpp"
#include "tools/load/save_timeline.hpp"
#include "tools/load/ws_client.hpp"

namespace awf::load {

class simulated_device {
public:
  simulated_device(load_context& ctx, const executor& strand, int index,
                   save_timeline& timeline);

  int index() const { return index_; }

  const std::string& save_id() const { return save_id_; }

  /// The head of the save as this device knows it.
  const core::chain_head& known() const { return known_.head(); }

  /// True once an error was recorded for this device.
  bool failed() const { return failed_; }

  /// Registers the device with `user_token` (POST devices) and attaches the
  /// timeline's session (POST saves), which must be a new save.
  task<bool> register_and_attach(std::string_view user_token);

  /// WebSocket mode: connects, subscribes and waits for the `sync_down`
  /// reply; from then on `turns` pushes update the known head. The HTTP
  /// connection of the setup is closed.
  task<bool> subscribe();

  /// Sends turns base+1..expected (the timeline's `turns`, just played) and
  /// checks the result against `expected`; records the sync-up latency.
  /// With --verify-states, moves the device's replica to the new head with
  /// the turns' own patches.
  task<bool> sync_up(const core::chain_head& base, played_turns turns,
                     const core::chain_head& expected);

  /// Syncs up turns base+1..branch_head that the device played on the
  /// stale head `base` while the others moved the save to `server_head`,
  /// and checks that the server reports the conflict (contract §6):
  /// resolved, or 409 conflict_manual. Records the conflict and its
  /// latency. Nothing when the reply does not fit (the device failed).
  task<std::optional<conflict_outcome>>
  sync_up_branch(const core::chain_head& base, played_turns turns,
                 const core::chain_head& branch_head,
                 const core::chain_head& server_head);

  /// Reads back with GET sync/down the turn `merged` that the server merged
  /// on top of `from` (whose state is `from_state`) and checks it.
  task<std::optional<merged_state>>
  fetch_merged_turn(const core::chain_head& from,
                    const nlohmann::json& from_state,
                    const core::chain_head& merged);

  /// Moves the device to `head` without asking the server: the branch it
  /// played offline, which the server made the head; `state` is its state.
  void hold_head(const core::chain_head& head, const nlohmann::json& state);

  /// REST mode: GET sync/down until this device knows the server's head.
  task<bool> catch_up();

  /// Stops following the save: WebSocket mode unsubscribes (no pushes
  /// until go_online); REST mode has nothing to stop.
  task<bool> go_offline();

  /// Follows the save again from the head the device knows: subscribes
  /// (WebSocket) or syncs down (REST) until it knows the server's head.
  task<bool> go_online();

  /// While a conflict is being settled, keeps `turns` pushes unchecked:
  /// they may already show a head the timeline does not know yet.
  void hold_pushes() { holding_pushes_ = true; }

  /// Checks the pushes kept since hold_pushes(), in order; false when the
  /// device failed.
  bool release_pushes();

  /// WebSocket mode: waits until pushes brought the device to `head`.
  task<bool> wait_until_current(const core::chain_head& head,
                                load_clock::time_point deadline);

  /// Closes the connections; errors from here on are not counted.
  task<void> close();

private:
  task<void> read_loop();
  void handle_frame(const std::string& text);
  /// Checks a `sync_down` reply or a `turns` push (`push`), received at
  /// `received_at` (now when not given).
  void handle_sync_down(
    const nlohmann::json& message, bool push,
    std::optional<load_clock::time_point> received_at = std::nullopt);
  /// Sends a subscribe since the known head; await_subscribed() waits for
  /// its sync_down reply.
  task<bool> send_subscribe();
  task<bool> await_subscribed();
  /// Waits until `done()` or the device fails; at `deadline` the device
  /// fails with "no <what> within <timeout>".
  task<bool> wait_for(const std::function<bool()>& done,
                      load_clock::time_point deadline, const std::string& what);
  task<bool> await_reply(std::string_view what, nlohmann::json& reply);
  /// Sends turns `entries` on top of `base` and returns the reply: a sync-up
  /// response, or with `conflict_expected` also the error body or frame of
  /// 409 conflict_manual. Anything else fails the device.
  task<std::optional<nlohmann::json>> send_sync_up(const std::string& name,
                                                   const core::chain_head& base,
                                                   std::string_view entries,
                                                   bool conflict_expected);
  /// Applies the patches of the turns this device just sent to its
  /// replica; false when one does not apply (the replica is then unusable).
  bool advance_replica(const std::vector<nlohmann::json>& patches);
  std::string sync_up_name(const core::chain_head& base,
                           const core::chain_head& expected) const;
  const planned_turn* sent(std::int64_t turn_id) const;

  /// Records the device's first error; later ones follow from it.
  void fail(const std::string& message);

  load_context& ctx_;
  executor strand_;
  int index_;
  save_timeline& timeline_;
  http_client http_;
  std::unique_ptr<ws_client> ws_;
  async_event changed_; ///< A frame arrived or the reader stopped.
  std::string device_id_;
  std::string sync_token_;
  std::string save_id_;
  chain_tracker known_;
  std::optional<nlohmann::json> replica_; ///< With --verify-states.
  std::string strategy_; ///< Sent with every sync up; empty: none.
  std::string pending_req_id_;
  std::optional<nlohmann::json> reply_; ///< For pending_req_id_.
  std::uint64_t requests_ = 0;
  /// Pushes kept while holding_pushes_, with when each arrived.
  std::vector<std::pair<nlohmann::json, load_clock::time_point>> held_;
  bool holding_pushes_ = false;
  bool awaiting_subscribe_ = false;
  bool awaiting_unsubscribe_ = false;
  bool subscribed_ = false;
  bool reader_running_ = false;
  bool closing_ = false;
  bool failed_ = false;
};

} // namespace awf::load
