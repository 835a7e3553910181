// One simulated user with one save, played by its devices in turn: the
// device whose turn it is waits until it knows the latest head (a push in
// WebSocket mode, a sync down in REST mode), then syncs the next turns up,
// so the devices of a save never diverge. Everything of one save runs on
// one strand.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "tools/load/async_event.hpp"
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
  task<bool> drain();
  task<void> close_devices();
  void forget_known_turns();
  void finished_abnormally(std::exception_ptr error);

  load_context& ctx_;
  executor strand_;
  int index_;
  std::vector<int> device_indexes_;
  std::optional<save_timeline> timeline_;
  std::vector<std::unique_ptr<simulated_device>> devices_;
  async_event admitted_;
  async_event started_;
  async_event stop_requested_;
  bool in_gate_ = false;
  bool setup_reported_ = false;
  bool done_reported_ = false;
};

} // namespace awf::load
