// The bytes of states one request may rebuild (canonicalize and hash) in
// all. A sync up of 1000 small patches on a large state would otherwise
// cost 1000 times the state's size of work for a body of a few MB.
#pragma once

#include <cstddef>

namespace awf::core {

class rebuild_budget {
public:
  explicit rebuild_budget(std::size_t limit) : limit_(limit) {}

  /// Charges one rebuilt state of `bytes`. Returns false, charging
  /// nothing, when the total would pass the limit.
  bool charge(std::size_t bytes) noexcept {
    if (bytes > limit_ - used_)
      return false;
    used_ += bytes;
    return true;
  }

  std::size_t used() const noexcept { return used_; }
  std::size_t limit() const noexcept { return limit_; }

private:
  std::size_t limit_;
  std::size_t used_ = 0;
};

} // namespace awf::core
