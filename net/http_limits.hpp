// Bounds of one HTTP connection. Body limits are per route (api_router).
#pragma once

#include <chrono>
#include <cstddef>

namespace awf::net {

struct http_limits {
  std::size_t header_bytes = 16 * 1024;
  /// The request head (request line and headers), from the first byte or
  /// from the end of the previous answer on a kept-alive connection. Short,
  /// so that connections sending partial heads do not hold their slots.
  std::chrono::seconds header_timeout{10};
  std::chrono::seconds read_timeout{30}; ///< the body, once the head is in
  std::chrono::seconds write_timeout{30};
};

} // namespace awf::net
