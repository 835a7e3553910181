// Bounds how many saves set up at once (--setup-concurrency), so thousands
// of devices do not all register and connect in the same instant and run
// into the server's request timeouts. Thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>

namespace awf::load {

class admission_gate {
public:
  explicit admission_gate(std::size_t limit);

  /// Calls `admit` now when a place is free, else when one frees up, from
  /// the thread that calls leave(): `admit` should only post work.
  void enter(std::function<void()> admit);

  /// Frees a place, admitting the longest waiting entry.
  void leave();

private:
  std::mutex mutex_; ///< Guards active_ and waiting_.
  std::size_t limit_;
  std::size_t active_ = 0;
  std::deque<std::function<void()>> waiting_;
};

} // namespace awf::load
