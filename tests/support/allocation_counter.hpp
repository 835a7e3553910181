// Counts the heap memory a test binary holds, so tests can assert what an
// operation really allocates. The counting operator new and delete live in
// tests/core/allocation_counter.cpp; link that file into the binary.
#pragma once

#include <cstddef>

namespace awf::test {

/// Bytes of heap the program holds through operator new, counted as glibc
/// malloc blocks (usable size plus the 8-byte header).
std::size_t live_heap_bytes() noexcept;

/// True when the counts are glibc's real block sizes; false under a
/// sanitizer, whose allocator reports the sizes asked for (so the counts are
/// smaller, and bounds checked against them still hold).
constexpr bool counts_malloc_blocks() noexcept {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return false;
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
  return false;
#  else
  return true;
#  endif
#else
  return true;
#endif
}

/// The most `live_heap_bytes()` has been since the last `reset_peak`.
std::size_t peak_heap_bytes() noexcept;

/// Starts a new peak at the current live bytes.
void reset_peak() noexcept;

/// Measures the peak heap growth while `fn` runs, above what was live
/// before it.
template<class Fn>
std::size_t peak_growth_during(Fn&& fn) {
  auto before = live_heap_bytes();
  reset_peak();
  fn();
  auto peak = peak_heap_bytes();
  return peak > before ? peak - before : 0;
}

} // namespace awf::test
