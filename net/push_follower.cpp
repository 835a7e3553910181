#include "net/push_follower.hpp"

#include <algorithm>
#include <optional>

#include "net/subscription_hub.hpp"
#include "net/wire_json.hpp"

namespace awf::net {

namespace {

using json = nlohmann::json;

bool flag(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_boolean() && it->get<bool>();
}

const json* array_field(const json& body, const char* name) {
  auto it = body.find(name);
  return it != body.end() && it->is_array() ? &*it : nullptr;
}

/// Where a client stands once it has a sync down body: the head when the
/// body is complete, else the last turn (or the snapshot) it carries.
std::optional<core::chain_head> position_after(const json& body) {
  if (!flag(body, "more"))
    return head_from_json(body.value("head", json{}));
  if (auto turns = array_field(body, "turns"); turns && !turns->empty())
    return head_from_json(turns->back());
  if (auto it = body.find("snapshot"); it != body.end())
    return head_from_json(*it);
  return std::nullopt;
}

bool overloaded(int status) {
  return status == 429 || status >= 500;
}

api_outcome no_head_failure() {
  return error_outcome(503, "unavailable",
                       "the sync down answer has no head; subscribe again");
}

} // namespace

std::uint64_t push_follower::subscribe(const std::string& save_id) {
  auto [it, fresh] = subs_.try_emplace(save_id);
  auto& sub = it->second;
  sub.catch_up_if_refused =
    sub.fetching || sub.refetch || sub.stale || !sub.waiting.empty();
  sub.generation = ++next_generation_;
  sub.fetching = true;
  sub.deferred = false;
  sub.refetch = false;
  sub.waiting.clear();
  if (fresh)
    port_.follow(save_id);
  return sub.generation;
}

bool push_follower::answered(const std::string& save_id,
                             std::uint64_t generation, const json& body) {
  auto it = subs_.find(save_id);
  // Unsubscribed or subscribed again meanwhile: change nothing.
  if (it == subs_.end() || it->second.generation != generation)
    return true;
  auto& sub = it->second;
  sub.answered = true;
  sub.fetching = false;
  sub.recent.clear();
  if (!adopt(sub, body)) {
    drop(it);
    return false;
  }
  if (flag(body, "more"))
    fetch_next_page(save_id, sub); // the rest follows as turns pushes
  else
    check_waiting(save_id);
  return true;
}

void push_follower::refused(const std::string& save_id,
                            std::uint64_t generation, int status,
                            int retry_after_s) {
  auto it = subs_.find(save_id);
  if (it == subs_.end() || it->second.generation != generation)
    return;
  auto& sub = it->second;
  if (!overloaded(status) || !sub.answered) {
    drop(it);
    return;
  }
  // A refused re-subscribe leaves the working subscription as it was:
  // pushes that came meanwhile apply; if it dropped work (or pushes
  // overflowed meanwhile), one sync down later catches up.
  sub.fetching = false;
  if (sub.catch_up_if_refused || sub.refetch) {
    sub.waiting.clear();
    sub.refetch = false;
    sub.stale = true;
    port_.retry_later(retry_after_s);
  } else {
    check_waiting(save_id);
  }
}

void push_follower::unsubscribe(const std::string& save_id) {
  if (auto it = subs_.find(save_id); it != subs_.end())
    drop(it);
}

void push_follower::push(std::shared_ptr<const push_event> event) {
  if (port_.closing() || !event)
    return;
  auto it = subs_.find(event->save_id);
  if (it == subs_.end())
    return;
  auto& sub = it->second;
  if (sub.fetching) {
    if (sub.waiting.size() < max_waiting_pushes) {
      sub.waiting.push_back(std::move(event));
    } else {
      sub.waiting.clear();
      sub.refetch = true;
    }
    return;
  }
  apply_push(it->first, sub, *event);
}

void push_follower::own_sync(const std::string& save_id,
                             const sync_up_effect& effect) {
  // The known head may only move to a head whose state the client holds:
  // the turns it sent, when they are the head. Otherwise the head is
  // someone else's (server branch, merge) and a sync down delivers it.
  auto it = subs_.find(save_id);
  if (it == subs_.end() || port_.closing())
    return;
  auto& sub = it->second;
  if (sub.fetching) {
    sub.refetch = true; // that sync down may predate this change
    return;
  }
  if (effect.head == sub.known)
    return;
  if (effect.sender_holds_head) {
    sub.known = effect.head;
    sub.recent.clear();
    sub.recent.push_back(sub.known.chain_hash);
  } else if (effect.head_replaced) {
    fetch(save_id, sub);
  }
}

void push_follower::fetched(const std::string& save_id,
                            std::uint64_t generation, const api_outcome& out) {
  auto it = subs_.find(save_id);
  if (it == subs_.end() || it->second.generation != generation ||
      port_.closing())
    return;
  auto& sub = it->second;
  sub.fetching = false;
  if (overloaded(out.status)) {
    // Rate limited (catch-ups count against the device) or overloaded:
    // keep following and try again later; a push may try sooner.
    sub.waiting.clear();
    sub.refetch = false;
    sub.stale = true;
    port_.retry_later(out.retry_after_s);
    return;
  }
  if (out.status >= 300) {
    // Gone, deleted or no longer allowed: the subscription ends.
    port_.send_failure(save_id, out);
    drop(it);
    return;
  }
  auto before = sub.known;
  auto turns = array_field(out.body, "turns");
  bool snapshot = out.body.contains("snapshot");
  if (snapshot || (turns && !turns->empty())) {
    port_.send_catch_up(save_id, out);
    if (snapshot)
      sub.recent.clear(); // the known head left the chain
  }
  if (!adopt(sub, out.body)) {
    port_.send_failure(save_id, no_head_failure());
    drop(it);
    return;
  }
  // Page on while the answer says there is more, unless it did not move
  // (which would loop).
  if ((flag(out.body, "more") && sub.known != before) || sub.refetch)
    fetch_next_page(save_id, sub);
  else
    check_waiting(save_id);
}

void push_follower::retry_stale() {
  for (auto& [save_id, sub] : subs_)
    if (sub.stale && !sub.fetching)
      fetch(save_id, sub);
}

void push_follower::run_deferred_pages() {
  auto saves = std::move(deferred_pages_);
  deferred_pages_.clear();
  for (const auto& save_id : saves)
    if (auto it = subs_.find(save_id);
        it != subs_.end() && it->second.deferred) {
      it->second.deferred = false;
      fetch(save_id, it->second);
    }
}

std::vector<std::string> push_follower::saves() const {
  std::vector<std::string> out;
  out.reserve(subs_.size());
  for (const auto& entry : subs_)
    out.push_back(entry.first);
  return out;
}

core::chain_head push_follower::known(const std::string& save_id) const {
  auto it = subs_.find(save_id);
  return it == subs_.end() ? core::chain_head{} : it->second.known;
}

void push_follower::apply_push(const std::string& save_id, subscription& sub,
                               const push_event& event) {
  if (event.base == sub.known) {
    if (!port_.can_send() || !event.frame)
      return;
    port_.send_push(event.frame); // the same bytes every subscriber is sent
    sub.known = event.head;
    for (const auto& chain : event.turn_chains)
      sub.recent.push_back(chain);
    if (sub.recent.empty() || sub.recent.back() != event.head.chain_hash)
      sub.recent.push_back(event.head.chain_hash);
    while (sub.recent.size() > max_recent)
      sub.recent.pop_front();
    return;
  }
  bool delivered = event.head == sub.known ||
                   (event.head.turn_id <= sub.known.turn_id &&
                    std::find(sub.recent.begin(), sub.recent.end(),
                              event.head.chain_hash) != sub.recent.end());
  if (!delivered)
    fetch(save_id, sub); // a gap or another chain: catch up from the store
}

void push_follower::check_waiting(const std::string& save_id) {
  auto it = subs_.find(save_id);
  if (it == subs_.end())
    return;
  auto& sub = it->second;
  while (!sub.fetching && !sub.waiting.empty() && !port_.closing()) {
    auto event = std::move(sub.waiting.front());
    sub.waiting.pop_front();
    apply_push(save_id, sub, *event);
  }
}

void push_follower::fetch(const std::string& save_id, subscription& sub) {
  if (!port_.fetch(save_id, sub.known, sub.generation))
    return;
  sub.fetching = true;
  sub.refetch = false;
  sub.stale = false;
}

void push_follower::fetch_next_page(const std::string& save_id,
                                    subscription& sub) {
  if (port_.room_for_page())
    return fetch(save_id, sub);
  // Pushes keep waiting meanwhile, as during a fetch.
  sub.fetching = true;
  sub.deferred = true;
  deferred_pages_.push_back(save_id);
}

bool push_follower::adopt(subscription& sub, const json& body) {
  auto position = position_after(body);
  if (!position)
    return false;
  if (auto it = body.find("snapshot"); it != body.end())
    if (auto h = head_from_json(*it))
      sub.recent.push_back(std::move(h->chain_hash));
  if (auto turns = array_field(body, "turns"))
    for (const auto& turn : *turns)
      if (auto h = head_from_json(turn))
        sub.recent.push_back(std::move(h->chain_hash));
  while (sub.recent.size() > max_recent)
    sub.recent.pop_front();
  sub.known = std::move(*position);
  return true;
}

void push_follower::drop(subscription_map::iterator it) {
  port_.unfollow(it->first);
  subs_.erase(it);
}

} // namespace awf::net
