// A sync up's turns handed to the writer, which answers the device itself
// once they are durable: the save actor does not wait for its commit. It
// learns how its commits went from a shared counter instead of a message.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>

#include "actors/sync_messages.hpp"
#include "persistence/turn_writer.hpp"

namespace awf::actors {

/// How far the commits one save actor sent have got. The actor counts what
/// it sends; the writer counts what it settled (landed or failed). While
/// some are in flight the actor's head runs ahead of the store, so anything
/// that reads the store (or shows the head to someone) waits for them; a
/// failed one leaves the actor's memory stale.
class commit_progress {
public:
  /// The save actor sent one more commit (its thread only).
  void sent() noexcept { ++sent_; }

  /// The writer settled one commit; `landed` false: it stored nothing.
  void settled(bool landed) noexcept {
    if (!landed)
      failed_.store(true, std::memory_order_release);
    settled_.fetch_add(1, std::memory_order_acq_rel);
  }

  /// Every commit sent is settled (the save actor's thread only).
  bool all_settled() const noexcept {
    return settled_.load(std::memory_order_acquire) == sent_;
  }

  /// Some commit stored nothing, so the actor's head is not the store's.
  bool failed() const noexcept {
    return failed_.load(std::memory_order_acquire);
  }

private:
  std::uint64_t sent_ = 0;
  std::atomic<std::uint64_t> settled_{0};
  std::atomic<bool> failed_{false};
};

/// A sync up's commit. The writer fills `reply.head` and answers whoever
/// sent the sync up once the turns are durable (or the error if they are
/// not), after counting the outcome in `progress`.
struct append_request {
  persistence::turn_commit commit;
  sync_up_reply reply;
  std::shared_ptr<commit_progress> progress;
};

} // namespace awf::actors

// Local only: carries parsed states and a shared counter.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::append_request)
