#include "net/save_routes.hpp"

namespace awf::net {

caf::strong_actor_ptr save_routes::find(const std::string& save_id) const {
  std::lock_guard guard{mutex_};
  auto it = routes_.find(save_id);
  return it == routes_.end() ? nullptr : it->second;
}

void save_routes::remember(const std::string& save_id,
                           caf::strong_actor_ptr actor) {
  std::unordered_map<std::string, caf::strong_actor_ptr>::node_type evicted;
  std::lock_guard guard{mutex_}; // handles are released after the lock
  if (closed_ || capacity_ == 0)
    return;
  if (auto it = routes_.find(save_id); it != routes_.end()) {
    it->second.swap(actor);
    return;
  }
  if (routes_.size() >= capacity_)
    evicted = routes_.extract(routes_.begin());
  routes_.emplace(save_id, std::move(actor));
}

void save_routes::forget(const std::string& save_id) {
  std::unordered_map<std::string, caf::strong_actor_ptr>::node_type dropped;
  std::lock_guard guard{mutex_};
  dropped = routes_.extract(save_id); // released after the lock
}

void save_routes::close() {
  std::unordered_map<std::string, caf::strong_actor_ptr> dropped;
  std::lock_guard guard{mutex_};
  closed_ = true;
  dropped.swap(routes_);
}

} // namespace awf::net
