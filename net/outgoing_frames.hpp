// Frames waiting to be written to WebSocket readers. A frame is rendered
// once and shared (immutable) by every queue that holds it, and the process
// keeps one count of the bytes such frames hold, so that readers that fall
// behind cannot together grow the server's memory past a bound.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace awf::net {

/// One rendered WebSocket text message, shared by the queues that send it.
using shared_frame = std::shared_ptr<const std::string>;

/// Makes frames, and counts the bytes of every frame still held, once per
/// frame however many queues hold it (thread-safe). The bound on that count
/// is the caller's (sync_limits::ws_max_total_queued_bytes).
class outgoing_frames {
public:
  outgoing_frames();

  /// Wraps `text` as a frame, counted until its last holder lets it go.
  shared_frame make(std::string text);

  /// Bytes held by frames right now.
  std::size_t bytes() const noexcept { return counter_->load(); }

private:
  /// Shared with the frames, which may outlive this object.
  std::shared_ptr<std::atomic<std::size_t>> counter_;
};

} // namespace awf::net
