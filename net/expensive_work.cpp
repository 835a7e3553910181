#include "net/expensive_work.hpp"

namespace awf::net {

void work_ticket::release() noexcept {
  if (hold_)
    hold_->give_back();
}

bool work_ticket::held() const noexcept {
  return hold_ && !hold_->released.load();
}

work_ticket::hold::~hold() {
  give_back();
}

void work_ticket::hold::give_back() noexcept {
  if (!released.exchange(true))
    owner->release(user);
}

expensive_work_limiter::expensive_work_limiter(expensive_limits limits)
  : limits_(limits), bucket_(limits.rate_per_s, limits.burst) {}

void expensive_work_limiter::configure(expensive_limits limits) {
  std::lock_guard<std::mutex> guard{mutex_};
  limits_ = limits;
  bucket_.configure(limits.rate_per_s, limits.burst);
}

expensive_limits expensive_work_limiter::limits() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return limits_;
}

admission expensive_work_limiter::admit(const std::string& user,
                                        clock_type::time_point now) {
  std::lock_guard<std::mutex> guard{mutex_};
  // The concurrency check comes first: a refused request takes no token.
  auto it = running_.find(user);
  if (limits_.max_concurrent > 0 && it != running_.end() &&
      it->second >= limits_.max_concurrent)
    return {{}, 1};
  if (int wait = bucket_.acquire(user, now); wait > 0)
    return {{}, wait};
  ++running_[user];
  admission out;
  out.ticket.hold_ = std::make_shared<work_ticket::hold>();
  out.ticket.hold_->owner = this;
  out.ticket.hold_->user = user;
  return out;
}

std::size_t expensive_work_limiter::in_flight(const std::string& user) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = running_.find(user);
  return it == running_.end() ? 0 : it->second;
}

void expensive_work_limiter::release(const std::string& user) noexcept {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = running_.find(user);
  if (it == running_.end())
    return;
  if (--it->second == 0)
    running_.erase(it);
}

} // namespace awf::net
