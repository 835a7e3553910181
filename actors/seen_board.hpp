// The last turn each device synced, noted from any thread without a message
// per turn: the edge notes every sync here, and the device directory takes
// what gathered once per flush interval and hands it to the storage writer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace awf::actors {

class seen_board {
public:
  /// Notes that `device_id` synced `turn_id`, keeping the later turn.
  /// Answers true when the board was empty: the directory should hear,
  /// once, that notes are waiting.
  bool note(const std::string& device_id, std::int64_t turn_id) {
    std::lock_guard guard{mutex_};
    bool was_empty = notes_.empty();
    auto& turn = notes_[device_id];
    turn = std::max(turn, turn_id);
    return was_empty;
  }

  /// Takes every note gathered so far.
  std::map<std::string, std::int64_t> take() {
    std::lock_guard guard{mutex_};
    return std::exchange(notes_, {});
  }

  /// The turn noted for `device_id` and not taken yet, if any.
  std::optional<std::int64_t> find(const std::string& device_id) const {
    std::lock_guard guard{mutex_};
    auto it = notes_.find(device_id);
    if (it == notes_.end())
      return std::nullopt;
    return it->second;
  }

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t> notes_;
};

} // namespace awf::actors
