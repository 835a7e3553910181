#include "tools/load/admission_gate.hpp"

#include <algorithm>

namespace awf::load {

admission_gate::admission_gate(std::size_t limit)
  : limit_(std::max<std::size_t>(1, limit)) {}

void admission_gate::enter(std::function<void()> admit) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (active_ >= limit_) {
      waiting_.push_back(std::move(admit));
      return;
    }
    ++active_;
  }
  admit();
}

void admission_gate::leave() {
  std::function<void()> next;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (waiting_.empty()) {
      --active_;
      return;
    }
    // The place passes straight to the next waiter.
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  next();
}

} // namespace awf::load
