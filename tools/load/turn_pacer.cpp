#include "tools/load/turn_pacer.hpp"

#include <algorithm>
#include <chrono>

namespace awf::load {

turn_pacer::turn_pacer(std::int64_t turn_limit, double turns_per_s)
  : turn_limit_(turn_limit), turns_per_s_(turns_per_s) {}

turn_pacer::grant turn_pacer::reserve(int wanted) {
  grant result;
  result.due = start_;
  if (wanted <= 0)
    return result;
  auto first = reserved_.fetch_add(wanted);
  auto granted = static_cast<std::int64_t>(wanted);
  if (turn_limit_ > 0)
    granted = std::clamp<std::int64_t>(turn_limit_ - first, 0, wanted);
  result.turns = static_cast<int>(granted);
  if (turns_per_s_ > 0)
    result.due = start_ + std::chrono::duration_cast<load_clock::duration>(
                            std::chrono::duration<double>(
                              static_cast<double>(first) / turns_per_s_));
  return result;
}

} // namespace awf::load
