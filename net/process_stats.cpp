#include "net/process_stats.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include <unistd.h>

namespace awf::net {

namespace {

/// utime + stime of /proc/self/stat, in clock ticks. The command name (field
/// 2) is in parentheses and may hold spaces, so fields are counted from the
/// last ')': utime and stime are fields 14 and 15.
std::optional<double> cpu_ticks() {
  std::ifstream in{"/proc/self/stat"};
  std::string text{std::istreambuf_iterator<char>{in}, {}};
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return std::nullopt;
  std::istringstream fields{text.substr(close + 1)};
  std::string field;
  // Fields 3 to 13 come before utime.
  for (int i = 3; i <= 13; ++i)
    if (!(fields >> field))
      return std::nullopt;
  double utime = 0, stime = 0;
  if (!(fields >> utime >> stime))
    return std::nullopt;
  return utime + stime;
}

/// The second field of /proc/self/statm: resident pages.
std::optional<std::int64_t> resident_pages() {
  std::ifstream in{"/proc/self/statm"};
  std::int64_t size = 0, resident = 0;
  if (!(in >> size >> resident))
    return std::nullopt;
  return resident;
}

std::int64_t count_open_fds() {
  std::error_code ec;
  std::int64_t n = 0;
  for (auto it = std::filesystem::directory_iterator{"/proc/self/fd", ec};
       !ec && it != std::filesystem::directory_iterator{}; it.increment(ec))
    ++n;
  // The iterator's own descriptor is one of them.
  return n > 0 ? n - 1 : 0;
}

} // namespace

std::optional<process_stats> read_process_stats() {
  auto ticks = cpu_ticks();
  auto pages = resident_pages();
  if (!ticks || !pages)
    return std::nullopt;
  process_stats out;
  out.cpu_seconds = *ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  out.resident_bytes =
    *pages * static_cast<std::int64_t>(::sysconf(_SC_PAGESIZE));
  out.open_fds = count_open_fds();
  return out;
}

} // namespace awf::net
