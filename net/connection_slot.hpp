// Counts one open connection while it lives: in the server's total and in
// its client address's count. The slot moves with the socket when an HTTP
// session upgrades to a WebSocket, so both counts stay exact.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include "net/address_limiter.hpp"

namespace awf::net {

class connection_slot {
public:
  connection_slot() = default;

  explicit connection_slot(std::atomic<std::int64_t>& counter,
                           address_lease lease = {})
    : counter_(&counter), lease_(std::move(lease)) {
    ++*counter_;
  }

  connection_slot(connection_slot&& other) noexcept
    : counter_(std::exchange(other.counter_, nullptr)),
      lease_(std::move(other.lease_)) {}

  connection_slot& operator=(connection_slot&& other) noexcept {
    if (this != &other) {
      release();
      counter_ = std::exchange(other.counter_, nullptr);
      lease_ = std::move(other.lease_);
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
  address_lease lease_; ///< gives its address's slot back when destroyed
};

} // namespace awf::net
