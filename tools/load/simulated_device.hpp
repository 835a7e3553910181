// One simulated device: registers with its user's token, attaches the
// shared save, then syncs turns over WebSocket (`sync_up` frames, `turns`
// pushes) or REST (sync/up, sync/down) and checks every reply against the
// client-side chain. Runs on its save's strand; the save drives it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "tools/load/async_event.hpp"
#include "tools/load/chain_tracker.hpp"
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

  /// REST mode: GET sync/down until this device knows the server's head.
  task<bool> catch_up();

  /// WebSocket mode: waits until a push brought turn `turn_id`.
  task<bool> wait_until_known(std::int64_t turn_id,
                              load_clock::time_point deadline);

  /// Closes the connections; errors from here on are not counted.
  task<void> close();

private:
  task<void> read_loop();
  void handle_frame(const std::string& text);
  void handle_sync_down(const nlohmann::json& message, bool push);
  task<bool> await_reply(std::string_view what, nlohmann::json& reply);
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
  std::string pending_req_id_;
  std::optional<nlohmann::json> reply_; ///< For pending_req_id_.
  std::uint64_t requests_ = 0;
  bool awaiting_subscribe_ = false;
  bool subscribed_ = false;
  bool reader_running_ = false;
  bool closing_ = false;
  bool failed_ = false;
};

} // namespace awf::load
