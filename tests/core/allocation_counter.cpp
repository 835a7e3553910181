// Replaces the global operator new and delete of the core test binary with
// counting ones (see tests/support/allocation_counter.hpp). The count is a
// malloc block per allocation: what the process really pays.
#include "tests/support/allocation_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

#include <malloc.h>

namespace {

std::atomic<std::size_t> live_bytes{0};
std::atomic<std::size_t> peak_bytes{0};

/// glibc keeps an 8-byte size field before every block.
constexpr std::size_t malloc_header = 8;

void count_allocation(void* ptr) noexcept {
  auto size = malloc_usable_size(ptr) + malloc_header;
  auto now = live_bytes.fetch_add(size, std::memory_order_relaxed) + size;
  auto peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(
                         peak, now, std::memory_order_relaxed)) {
  }
}

void count_release(void* ptr) noexcept {
  live_bytes.fetch_sub(malloc_usable_size(ptr) + malloc_header,
                       std::memory_order_relaxed);
}

void* counted_malloc(std::size_t size) {
  void* ptr = std::malloc(size == 0 ? 1 : size);
  if (ptr == nullptr)
    throw std::bad_alloc{};
  count_allocation(ptr);
  return ptr;
}

void counted_free(void* ptr) noexcept {
  if (ptr == nullptr)
    return;
  count_release(ptr);
  std::free(ptr);
}

} // namespace

namespace awf::test {

std::size_t live_heap_bytes() noexcept {
  return live_bytes.load(std::memory_order_relaxed);
}

std::size_t peak_heap_bytes() noexcept {
  return peak_bytes.load(std::memory_order_relaxed);
}

void reset_peak() noexcept {
  peak_bytes.store(live_bytes.load(std::memory_order_relaxed),
                   std::memory_order_relaxed);
}

} // namespace awf::test

void* operator new(std::size_t size) {
  return counted_malloc(size);
}

void* operator new[](std::size_t size) {
  return counted_malloc(size);
}

void operator delete(void* ptr) noexcept {
  counted_free(ptr);
}

void operator delete[](void* ptr) noexcept {
  counted_free(ptr);
}

void operator delete(void* ptr, std::size_t) noexcept {
  counted_free(ptr);
}

void operator delete[](void* ptr, std::size_t) noexcept {
  counted_free(ptr);
}

// The nothrow forms (simdjson allocates its buffers with them) must come
// from the same allocator as the delete above frees into.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_malloc(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_malloc(size);
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

void operator delete(void* ptr, const std::nothrow_t&) noexcept {
  counted_free(ptr);
}

void operator delete[](void* ptr, const std::nothrow_t&) noexcept {
  counted_free(ptr);
}
