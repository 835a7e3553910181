#include "net/reply_sink.hpp"

#include <caf/actor_cast.hpp>

namespace awf::net {

namespace {

reply_sink_base& sink_of(const caf::strong_actor_ptr& ptr) {
  return *static_cast<reply_sink_base*>(
    caf::actor_cast<caf::abstract_actor*>(ptr));
}

} // namespace

void pending_asks::add(clock_type::time_point deadline,
                       const caf::strong_actor_ptr& sink) {
  auto& base = sink_of(sink);
  std::lock_guard<std::mutex> guard{mutex_};
  entries_.push_back({deadline, caf::actor_cast<caf::weak_actor_ptr>(sink)});
  base.position_ = std::prev(entries_.end());
  base.pending_ = true;
}

bool pending_asks::remove(reply_sink_base& sink) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (!sink.pending_)
    return false;
  sink.pending_ = false;
  entries_.erase(sink.position_);
  return true;
}

void pending_asks::expire(clock_type::time_point now) {
  std::vector<caf::strong_actor_ptr> overdue;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    auto it = entries_.begin();
    while (it != entries_.end() && it->deadline <= now) {
      auto sink = caf::actor_cast<caf::strong_actor_ptr>(it->sink);
      if (!sink) {
        // Being destroyed right now: its destructor answers and removes
        // the entry itself.
        ++it;
        continue;
      }
      sink_of(sink).pending_ = false;
      overdue.push_back(std::move(sink));
      it = entries_.erase(it);
    }
  }
  for (auto& sink : overdue)
    sink_of(sink).time_out();
}

} // namespace awf::net
