#include "net/subscription_hub.hpp"

#include <algorithm>

namespace awf::net {

namespace {

using subscriber_list = std::vector<std::weak_ptr<push_subscriber>>;

void drop_expired(subscriber_list& list) {
  std::erase_if(list, [](const auto& weak) { return weak.expired(); });
}

} // namespace

void subscription_hub::subscribe(const std::string& save_id,
                                 const std::shared_ptr<push_subscriber>& who) {
  if (!who)
    return;
  std::lock_guard<std::mutex> guard{mutex_};
  auto& list = by_save_[save_id];
  drop_expired(list);
  auto same = [&](const auto& weak) { return weak.lock() == who; };
  if (std::none_of(list.begin(), list.end(), same))
    list.emplace_back(who);
}

void subscription_hub::unsubscribe(const std::string& save_id,
                                   const push_subscriber* who) {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = by_save_.find(save_id);
  if (it == by_save_.end())
    return;
  // An expired entry goes too: `who` may be unsubscribing from its
  // destructor, when its own weak_ptr has already expired.
  std::erase_if(it->second, [&](const auto& weak) {
    auto live = weak.lock();
    return !live || live.get() == who;
  });
  if (it->second.empty())
    by_save_.erase(it);
}

void subscription_hub::publish(std::shared_ptr<const push_event> event,
                               const void* origin) {
  if (!event)
    return;
  // Collect under the lock, deliver outside it: `deliver` is the
  // subscriber's code and may take its own locks.
  std::vector<std::shared_ptr<push_subscriber>> targets;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    auto it = by_save_.find(event->save_id);
    if (it == by_save_.end())
      return;
    drop_expired(it->second);
    if (it->second.empty()) {
      by_save_.erase(it);
      return;
    }
    // `origin` is compared with the push_subscriber address (what a
    // connection passes as its origin_id), not with a derived class's.
    targets.reserve(it->second.size());
    for (const auto& weak : it->second)
      if (auto live = weak.lock();
          live && static_cast<const void*>(live.get()) != origin)
        targets.push_back(std::move(live));
  }
  for (const auto& target : targets)
    target->deliver(event);
}

std::size_t subscription_hub::subscriptions() const {
  std::lock_guard<std::mutex> guard{mutex_};
  std::size_t n = 0;
  for (const auto& [save_id, list] : by_save_)
    n += static_cast<std::size_t>(
      std::count_if(list.begin(), list.end(),
                    [](const auto& weak) { return !weak.expired(); }));
  return n;
}

} // namespace awf::net
