// One simulated user with one save, played by its devices in turn: the
// device whose turn it is waits until it knows the latest head (a push in
// WebSocket mode, a sync down in REST mode), then syncs the next turns up.
// With --conflict-rate, the device whose turn it is may go offline instead
// (see device_rotation): the others play on, then it syncs up turns of its
// own on the head it last knew, the server reports a conflict, the
// timeline follows the head the server chose, and every device converges
// on it again. Everything of one save runs on one strand.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "tools/load/async_event.hpp"
#include "tools/load/conflict_checks.hpp"
#include "tools/load/device_rotation.hpp"
#include "tools/load/load_context.hpp"
#include "tools/load/net_types.hpp"
#include "tools/load/save_timeline.hpp"
#include "tools/load/simulated_device.hpp"

namespace awf::load {

class simulated_save : public std::enable_shared_from_this<simulated_save> {
public:
  /// Save number `index`, played by the devices numbered `devices`.
  simulated_save(load_context& ctx, net::io_context& ioc, int index,
                 std::vector<int> devices);

  /// Starts setting up (bounded by the run's setup gate); the save then
  /// reports to ctx.setup_done and waits for start().
  void spawn();

  /// Lets the turns begin. Thread-safe.
  void start();

  /// Ends a wait for the rate's next slot early, so a stop is prompt.
  /// Thread-safe; the stop itself is ctx.stopping.
  void stop();

private:
  task<void> run();
  task<bool> set_up();
  task<bool> play();
  /// Reserves up to `wanted` turns of the run's budget and waits until they
  /// are due; 0 when the run should stop instead.
  task<int> reserve_turns(int wanted);
  /// Brings `device` to the timeline's `head` before it plays.
  task<bool> bring_up_to_date(simulated_device& device,
                              const core::chain_head& head);
  /// The device `slot` (in devices_) stops following the save and forks
  /// the timeline.
  task<bool> go_offline(std::size_t slot);
  /// The offline `device` syncs up `turns` turns of its branch, the
  /// timeline follows the server's choice, every device converges.
  task<bool> come_back(simulated_device& device, int turns);
  /// Makes the timeline follow the head the server chose.
  task<bool> settle(simulated_device& device, const conflict_outcome& outcome,
                    const core::chain_head& server_head,
                    load_clock::time_point sent_at);
  task<bool> drain();
  /// WebSocket mode: waits until every device but `except` was pushed the
  /// timeline's head.
  task<bool> wait_all_current(std::optional<std::size_t> except);
  task<void> close_devices();
  void forget_known_turns();
  void finished_abnormally(std::exception_ptr error);

  load_context& ctx_;
  executor strand_;
  int index_;
  std::vector<int> device_indexes_;
  device_rotation rotation_;
  std::optional<save_timeline> timeline_;
  std::vector<std::unique_ptr<simulated_device>> devices_;
  std::optional<std::size_t> away_;     ///< The device that is offline.
  std::optional<save_timeline> branch_; ///< What it plays meanwhile.
  unsigned forks_ = 0;
  async_event admitted_;
  async_event started_;
  async_event stop_requested_;
  bool in_gate_ = false;
  bool setup_reported_ = false;
  bool done_reported_ = false;
};

} // namespace awf::load
