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
    device_indexes_(std::move(devices)), admitted_(strand_), started_(strand_),
    stop_requested_(strand_) {}

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
                      opts.change_pct / 100.0, opts.full_every});
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
  bool ws = ctx_.options.mode == sync_mode::ws;
  std::size_t next = 0;
  while (!ctx_.stopping.load()) {
    auto& device = *devices_[next];
    auto head = timeline_->head();
    // The device bases its turns on the latest head, as a player who picks
    // up the game on another device would.
    bool current = true;
    if (ws)
      current = co_await device.wait_until_known(
        head.turn_id, load_clock::now() + ctx_.timeout);
    else if (device.known() != head)
      current = co_await device.catch_up();
    if (!current)
      co_return false;
    auto grant = ctx_.pacer.reserve(ctx_.options.turns_per_sync);
    if (grant.turns == 0 || grant.due >= ctx_.deadline)
      break;
    if (grant.due > load_clock::now()) {
      bool stop_asked = co_await stop_requested_.wait_until(grant.due);
      if (stop_asked)
        break;
    }
    if (ctx_.stopping.load() || load_clock::now() >= ctx_.deadline)
      break;
    auto turns = timeline_->play(grant.turns);
    auto expected = timeline_->head();
    timeline_->mark_sent(head.turn_id + 1, expected.turn_id, load_clock::now(),
                         device.index());
    bool accepted = co_await device.sync_up(head, std::move(turns), expected);
    if (!accepted)
      co_return false;
    forget_known_turns();
    next = (next + 1) % devices_.size();
  }
  co_return true;
}

task<bool> simulated_save::drain() {
  // Every device should see the last turns before the connections close;
  // in REST mode nobody is pushed, so there is nothing to wait for.
  if (ctx_.options.mode != sync_mode::ws)
    co_return true;
  auto head = timeline_->head().turn_id;
  auto deadline = load_clock::now() + ctx_.timeout;
  for (auto& device : devices_) {
    bool current = co_await device->wait_until_known(head, deadline);
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
  for (auto& device : devices_)
    oldest = std::min(oldest, device->known().turn_id);
  // Keep the oldest known head itself: a snapshot may still name it.
  timeline_->forget_through(oldest - 1);
}

} // namespace awf::load
