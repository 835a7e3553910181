#include "net/subscription_hub.hpp"

#include <algorithm>

#include "core/canonical_json.hpp"
#include "net/wire_json.hpp"

namespace awf::net {

namespace {

using subscriber_list = std::vector<std::weak_ptr<push_subscriber>>;

void drop_expired(subscriber_list& list) {
  std::erase_if(list, [](const auto& weak) { return weak.expired(); });
}

} // namespace

std::shared_ptr<const push_event>
make_push_event(outgoing_frames& frames, std::string save_id,
                core::chain_head base, core::chain_head head,
                const std::vector<actors::sync_turn>& turns) {
  auto event = std::make_shared<push_event>();
  std::size_t body_bytes = 0;
  for (const auto& turn : turns) {
    event->turn_chains.push_back(turn.chain_hash);
    body_bytes += turn.body.size() + 256;
  }
  // The members in the order the earlier nlohmann rendering had them.
  std::string text;
  text.reserve(body_bytes + save_id.size() + 256);
  text += "{\"head\":";
  append_head_text(head, text);
  text += ",\"save_id\":";
  core::append_canonical_string(save_id, text);
  text += ",\"turns\":[";
  for (std::size_t i = 0; i < turns.size(); ++i) {
    if (i > 0)
      text += ',';
    append_turn_text(turns[i], text);
  }
  text += "],\"type\":\"turns\"}";
  event->frame = frames.make(std::move(text));
  event->save_id = std::move(save_id);
  event->base = std::move(base);
  event->head = std::move(head);
  return event;
}

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

bool subscription_hub::followed(const std::string& save_id) const {
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = by_save_.find(save_id);
  return it != by_save_.end() &&
         std::any_of(it->second.begin(), it->second.end(),
                     [](const auto& weak) { return !weak.expired(); });
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
