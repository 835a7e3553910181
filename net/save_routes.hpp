// Which actor serves each save, as the engine's replies named it, so that a
// save's next request goes to its actor directly instead of through the
// registry. An actor that left memory forwards to the registry, so a stale
// entry costs one hop, never a wrong answer; the actor checks the caller's
// ownership on every request, as the registry would.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include <caf/actor_control_block.hpp>

namespace awf::net {

/// Thread-safe and bounded: past `capacity` saves, an arbitrary entry
/// makes room (its save is routed through the registry again).
class save_routes {
public:
  explicit save_routes(std::size_t capacity) : capacity_(capacity) {}

  /// The actor that last answered for `save_id`, or nullptr.
  caf::strong_actor_ptr find(const std::string& save_id) const;

  /// Routes `save_id` to `actor` from now on (ignored once closed).
  void remember(const std::string& save_id, caf::strong_actor_ptr actor);

  /// Routes `save_id` through the registry again.
  void forget(const std::string& save_id);

  /// Drops every route and remembers none after: the handles held here
  /// would otherwise keep actors alive past the engine's stop.
  void close();

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, caf::strong_actor_ptr> routes_;
  std::size_t capacity_;
  bool closed_ = false;
};

} // namespace awf::net
