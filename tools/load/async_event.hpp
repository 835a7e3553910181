// A wake-up signal between coroutines of one strand: one waits (with a
// deadline), another notifies. A notification before the wait is kept, so
// the waiter checks its condition, waits, and checks again. Not
// thread-safe: use it from its strand only.
#pragma once

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "tools/load/load_clock.hpp"
#include "tools/load/net_types.hpp"

namespace awf::load {

class async_event {
public:
  explicit async_event(const executor& ex) : timer_(ex) {}

  /// Wakes the waiter, or the next one to wait.
  void notify() {
    notified_ = true;
    timer_.cancel();
  }

  /// Waits until notified (true) or until `deadline` (false). Consumes the
  /// notification.
  task<bool> wait_until(load_clock::time_point deadline) {
    while (!notified_) {
      if (load_clock::now() >= deadline)
        co_return false;
      timer_.expires_at(deadline);
      error_code ec;
      co_await timer_.async_wait(net::redirect_error(net::use_awaitable, ec));
    }
    notified_ = false;
    co_return true;
  }

private:
  net::steady_timer timer_;
  bool notified_ = false;
};

/// A deadline far enough away to mean "no deadline" without overflowing
/// the timer's arithmetic.
inline load_clock::time_point no_deadline() {
  return load_clock::now() + std::chrono::hours{24 * 365};
}

} // namespace awf::load
