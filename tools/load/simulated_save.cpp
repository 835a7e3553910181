#include "tools/load/simulated_save.hpp"

#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include "core/sha256.hpp"
#include "tools/load/token_secret.hpp"

namespace awf::load {

simulated_save::simulated_save(load_context& ctx, net::io_context& ioc,
                               int index, std::vector<int> devices)
  : ctx_(ctx), strand_(net::make_strand(ioc)), index_(index),
    device_indexes_(std::move(devices)),
    rotation_(device_indexes_.size(), ctx.options.conflict_rate,
              static_cast<unsigned>(index) * 2654435761u + 1),
    admitted_(strand_), started_(strand_), stop_requested_(strand_) {}

void simulated_save::spawn() {
  net::co_spawn(strand_, run(),
                [self = shared_from_this()](std::exception_ptr error) {
                  if (error)
                    self->finished_abnormally(error);
                });
}

void simulated_save::start() {
  net::post(strand_, [self = shared_from_this()] { self->started_.notify(); });
}

void simulated_save::stop() {
  net::post(strand_,
            [self = shared_from_this()] { self->stop_requested_.notify(); });
}

void simulated_save::finished_abnormally(std::exception_ptr error) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  ctx_.stats.record_error("save " + std::to_string(index_) +
                          ": internal error: " + what);
  if (in_gate_)
    ctx_.setup_gate.leave();
  if (!setup_reported_)
    ctx_.setup_done(false);
  if (!done_reported_)
    ctx_.save_done(false);
}

task<void> simulated_save::run() {
  ctx_.setup_gate.enter([self = shared_from_this()] {
    net::post(self->strand_, [self] { self->admitted_.notify(); });
  });
  co_await admitted_.wait_until(no_deadline());
  in_gate_ = true;
  bool ok = co_await set_up();
  in_gate_ = false;
  ctx_.setup_gate.leave();
  setup_reported_ = true;
  ctx_.setup_done(ok);
  bool clean = ok;
  if (ok) {
    co_await started_.wait_until(no_deadline());
    clean = co_await play();
    if (clean)
      clean = co_await drain();
  }
  co_await close_devices();
  done_reported_ = true;
  ctx_.save_done(clean);
}

task<bool> simulated_save::set_up() {
  const auto& opts = ctx_.options;
  auto session_id = "awf-load-" + ctx_.run_id + "-" + std::to_string(index_);
  timeline_.emplace(
    session_id, static_cast<unsigned>(index_ + 1),
    timeline_settings{static_cast<std::size_t>(opts.state_kb) * 1024,
                      opts.change_pct / 100.0, opts.full_every,
                      // Spread over the saves: real devices are not in step.
                      index_ % std::max(1, opts.full_every)});
  auto user_hash = core::sha256_hex("awf-load:" + ctx_.run_id +
                                    ":user:" + std::to_string(index_));
  auto ttl_s = static_cast<std::int64_t>(opts.duration_s) + 86400;
  auto token = mint_load_token(ctx_.secret, user_hash, ttl_s);
  for (int device : device_indexes_)
    devices_.push_back(
      std::make_unique<simulated_device>(ctx_, strand_, device, *timeline_));
  for (auto& device : devices_) {
    bool ok = co_await device->register_and_attach(token);
    if (!ok)
      co_return false;
  }
  for (auto& device : devices_)
    if (device->save_id() != devices_.front()->save_id()) {
      ctx_.stats.record_error("save " + std::to_string(index_) +
                              ": devices of one session got different "
                              "save ids");
      co_return false;
    }
  if (opts.mode == sync_mode::ws)
    for (auto& device : devices_) {
      bool ok = co_await device->subscribe();
      if (!ok)
        co_return false;
    }
  co_return true;
}

task<bool> simulated_save::play() {
  while (!ctx_.stopping.load()) {
    auto step = rotation_.next();
    auto& device = *devices_[step.device];
    if (step.kind == step_kind::come_back) {
      auto turns = co_await reserve_turns(step.turns);
      if (turns == 0)
        break;
      bool settled = co_await come_back(device, turns);
      if (!settled)
        co_return false;
      continue;
    }
    auto head = timeline_->head();
    // The device bases its turns on the latest head, as a player who picks
    // up the game on another device would.
    bool current = co_await bring_up_to_date(device, head);
    if (!current)
      co_return false;
    if (step.kind == step_kind::go_offline) {
      bool offline = co_await go_offline(step.device);
      if (!offline)
        co_return false;
      continue;
    }
    auto turns = co_await reserve_turns(ctx_.options.turns_per_sync);
    if (turns == 0)
      break;
    auto played = timeline_->play(turns);
    auto expected = timeline_->head();
    timeline_->mark_sent(head.turn_id + 1, expected.turn_id, load_clock::now(),
                         device.index());
    bool accepted = co_await device.sync_up(head, std::move(played), expected);
    if (!accepted)
      co_return false;
    forget_known_turns();
  }
  co_return true;
}

task<int> simulated_save::reserve_turns(int wanted) {
  auto grant = ctx_.pacer.reserve(wanted);
  if (grant.turns == 0 || grant.due >= ctx_.deadline)
    co_return 0;
  if (grant.due > load_clock::now()) {
    bool stop_asked = co_await stop_requested_.wait_until(grant.due);
    if (stop_asked)
      co_return 0;
  }
  if (ctx_.stopping.load() || load_clock::now() >= ctx_.deadline)
    co_return 0;
  co_return grant.turns;
}

task<bool> simulated_save::bring_up_to_date(simulated_device& device,
                                            const core::chain_head& head) {
  if (ctx_.options.mode == sync_mode::ws) {
    bool pushed = co_await device.wait_until_current(head, load_clock::now() +
                                                             ctx_.timeout);
    co_return pushed;
  }
  if (device.known() == head)
    co_return true;
  bool synced = co_await device.catch_up();
  co_return synced;
}

task<bool> simulated_save::go_offline(std::size_t slot) {
  bool offline = co_await devices_[slot]->go_offline();
  if (!offline)
    co_return false;
  // The device keeps the head it knows and plays on from there; its edits
  // are another game's, so its branch really diverges.
  away_ = slot;
  ++forks_;
  branch_.emplace(timeline_->fork(static_cast<unsigned>(index_ + 1) * 40503u +
                                  forks_ * 2246822519u));
  co_return true;
}

task<bool> simulated_save::come_back(simulated_device& device, int turns) {
  // Pushes of the turns before still in flight would be checked against a
  // timeline the conflict may rewrite: let them all arrive first.
  if (ctx_.options.mode == sync_mode::ws) {
    bool current = co_await wait_all_current(away_);
    if (!current)
      co_return false;
  }
  auto base = device.known();
  auto server_head = timeline_->head();
  auto played = branch_->play(turns);
  auto branch_head = branch_->head();
  auto sent_at = load_clock::now();
  branch_->mark_sent(base.turn_id + 1, branch_head.turn_id, sent_at,
                     device.index());
  // Pushes may show the new head before the reply says which it is.
  for (auto& each : devices_)
    each->hold_pushes();
  auto outcome = co_await device.sync_up_branch(base, std::move(played),
                                                branch_head, server_head);
  if (!outcome)
    co_return false;
  bool settled = co_await settle(device, *outcome, server_head, sent_at);
  if (!settled)
    co_return false;
  branch_.reset();
  away_.reset();
  for (auto& each : devices_)
    if (!each->release_pushes())
      co_return false;
  bool online = co_await device.go_online();
  if (!online)
    co_return false;
  forget_known_turns();
  co_return true;
}

task<bool> simulated_save::settle(simulated_device& device,
                                  const conflict_outcome& outcome,
                                  const core::chain_head& server_head,
                                  load_clock::time_point sent_at) {
  if (outcome.winner == conflict_winner::client) {
    timeline_->adopt(std::move(*branch_));
    device.hold_head(timeline_->head(), timeline_->state());
  } else if (outcome.winner == conflict_winner::merged) {
    auto merged = co_await device.fetch_merged_turn(
      server_head, timeline_->state(), outcome.head);
    if (!merged)
      co_return false;
    auto appended =
      timeline_->append_merged(outcome.head, std::move(merged->state),
                               merged->state_hash, sent_at, device.index());
    if (!appended) {
      ctx_.stats.record_error("save " + std::to_string(index_) +
                              ": merged turn: " + appended.error());
      co_return false;
    }
  }
  co_return true;
}

task<bool> simulated_save::drain() {
  // Every device should see the last turns before the connections close;
  // in REST mode nobody is pushed, so there is nothing to wait for.
  if (ctx_.options.mode != sync_mode::ws)
    co_return true;
  // A device still offline follows the save again, its branch unsent.
  if (away_) {
    bool online = co_await devices_[*away_]->go_online();
    if (!online)
      co_return false;
  }
  bool current = co_await wait_all_current(std::nullopt);
  co_return current;
}

task<bool> simulated_save::wait_all_current(std::optional<std::size_t> except) {
  auto head = timeline_->head();
  auto deadline = load_clock::now() + ctx_.timeout;
  for (std::size_t slot = 0; slot < devices_.size(); ++slot) {
    if (slot == except)
      continue;
    bool current = co_await devices_[slot]->wait_until_current(head, deadline);
    if (!current)
      co_return false;
  }
  co_return true;
}

task<void> simulated_save::close_devices() {
  for (auto& device : devices_)
    co_await device->close();
}

void simulated_save::forget_known_turns() {
  auto oldest = timeline_->head().turn_id;
  for (auto& device : devices_) {
    const auto& known = device->known();
    // A device still on a branch the server dropped will be sent a snapshot
    // of a head that may have moved on since: forget nothing until then.
    auto* turn = timeline_->find(known.turn_id);
    if (turn == nullptr || turn->chain_hash != known.chain_hash)
      return;
    oldest = std::min(oldest, known.turn_id);
  }
  // Keep the oldest known head itself: a snapshot may still name it.
  timeline_->forget_through(oldest - 1);
}

} // namespace awf::load
