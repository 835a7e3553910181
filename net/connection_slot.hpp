// Counts one open connection while it lives. The slot moves with the socket
// when an HTTP session upgrades to a WebSocket, so the count stays exact.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

namespace awf::net {

class connection_slot {
public:
  connection_slot() = default;

  explicit connection_slot(std::atomic<std::int64_t>& counter)
    : counter_(&counter) {
    ++*counter_;
  }

  connection_slot(connection_slot&& other) noexcept
    : counter_(std::exchange(other.counter_, nullptr)) {}

  connection_slot& operator=(connection_slot&& other) noexcept {
    if (this != &other) {
      release();
      counter_ = std::exchange(other.counter_, nullptr);
    }
    return *this;
  }

  connection_slot(const connection_slot&) = delete;
  connection_slot& operator=(const connection_slot&) = delete;

  ~connection_slot() { release(); }

private:
  void release() noexcept {
    if (counter_ != nullptr)
      --*std::exchange(counter_, nullptr);
  }

  std::atomic<std::int64_t>* counter_ = nullptr;
};

} // namespace awf::net
