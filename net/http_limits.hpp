// Bounds of one HTTP connection.
#pragma once

#include <chrono>
#include <cstddef>

namespace awf::net {

struct http_limits {
  std::size_t header_bytes = 16 * 1024;
  std::size_t body_bytes = (std::size_t{200} << 20) + (std::size_t{1} << 20);
  std::chrono::seconds read_timeout{30}; ///< a whole request, incl. idle
  std::chrono::seconds write_timeout{30};
};

} // namespace awf::net
