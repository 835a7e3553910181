// Live pushes: which connections follow which save, and the fan-out of each
// new head to them. Thread-safe; holds subscribers weakly so a closed
// connection simply drops out.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "actors/sync_messages.hpp"
#include "core/chain.hpp"
#include "net/outgoing_frames.hpp"

namespace awf::net {

/// One change of a save's head: the turns after `base` up to `head`.
struct push_event {
  std::string save_id;
  core::chain_head base;
  core::chain_head head;
  std::vector<std::string> turn_chains; ///< the turns' chain hashes, in order
  /// The `{"type": "turns", "save_id", "head", "turns"}` message, rendered
  /// once and shared by every subscriber's queue.
  shared_frame frame;
};

/// Builds the push of `turns` (each in the wire form of contract §5:
/// {"turn_id", "patch"|"state", "state_hash", "chain_hash"}), its frame
/// rendered once, the turns' canonical bodies copied in without a parse,
/// and counted in `frames`.
std::shared_ptr<const push_event>
make_push_event(outgoing_frames& frames, std::string save_id,
                core::chain_head base, core::chain_head head,
                const std::vector<actors::sync_turn>& turns);

/// A connection that receives pushes. `deliver` is called from any thread
/// and must only queue work on the connection's strand.
class push_subscriber {
public:
  virtual ~push_subscriber() = default;
  virtual void deliver(std::shared_ptr<const push_event> event) = 0;
};

class subscription_hub {
public:
  void subscribe(const std::string& save_id,
                 const std::shared_ptr<push_subscriber>& who);

  void unsubscribe(const std::string& save_id, const push_subscriber* who);

  /// Hands `event` to every live subscriber of its save except `origin`.
  void publish(std::shared_ptr<const push_event> event,
               const void* origin = nullptr);

  /// True when some connection follows `save_id` (a publisher may skip
  /// building a push nobody would get: a later subscriber's sync down reads
  /// the commit).
  bool followed(const std::string& save_id) const;

  /// Live subscriptions, for /metrics.
  std::size_t subscriptions() const;

private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::vector<std::weak_ptr<push_subscriber>>>
    by_save_;
};

} // namespace awf::net
