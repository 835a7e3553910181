#define CAF_SUITE process_stats

#include "net/process_stats.hpp"

#include "caf/test/unit_test.hpp"

#include <cstring>
#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <vector>

using namespace awf::net;

namespace {

/// Where the touched block escapes to, so its writes cannot be optimized out.
char* volatile touched = nullptr;

} // namespace

CAF_TEST(the process figures are read from proc) {
  auto stats = read_process_stats();
  CAF_REQUIRE(stats);
  CAF_CHECK_GREATER_OR_EQUAL(stats->cpu_seconds, 0.0);
  CAF_CHECK_GREATER(stats->resident_bytes, 0);
  // stdin, stdout and stderr at least.
  CAF_CHECK_GREATER_OR_EQUAL(stats->open_fds, 3);
}

CAF_TEST(open descriptors and touched memory are counted) {
  auto before = read_process_stats();
  CAF_REQUIRE(before);
  std::vector<int> fds;
  for (int i = 0; i < 5; ++i)
    fds.push_back(::open("/dev/null", O_RDONLY));
  constexpr std::size_t block = std::size_t{64} << 20;
  auto memory = std::make_unique<char[]>(block);
  std::memset(memory.get(), 1, block);
  touched = memory.get();
  auto after = read_process_stats();
  for (int fd : fds)
    ::close(fd);
  CAF_REQUIRE(after);
  CAF_CHECK_EQUAL(after->open_fds, before->open_fds + 5);
  CAF_CHECK_GREATER_OR_EQUAL(after->resident_bytes,
                             before->resident_bytes +
                               static_cast<std::int64_t>(block / 2));
  CAF_CHECK_GREATER_OR_EQUAL(after->cpu_seconds, before->cpu_seconds);
}
