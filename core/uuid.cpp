#include "core/uuid.hpp"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <openssl/rand.h>

#include "core/sha256.hpp"

namespace awf::core {

namespace {

void fill_random(unsigned char* bytes, std::size_t size) {
  // Without random bytes no id (or nonce) is safe; stopping beats guessing.
  if (RAND_bytes(bytes, static_cast<int>(size)) != 1)
    std::abort();
}

std::string format_uuid(unsigned char (&bytes)[16], unsigned version) {
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | (version << 4));
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);
  auto hex = to_hex(std::string_view{reinterpret_cast<char*>(bytes), 16});
  return hex.substr(0, 8) + '-' + hex.substr(8, 4) + '-' + hex.substr(12, 4) +
         '-' + hex.substr(16, 4) + '-' + hex.substr(20);
}

} // namespace

std::string random_uuid() {
  unsigned char bytes[16];
  fill_random(bytes, sizeof(bytes));
  return format_uuid(bytes, 4);
}

std::string time_ordered_uuid() {
  unsigned char bytes[16];
  fill_random(bytes, sizeof(bytes));
  auto millis = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch())
      .count());
  for (int i = 5; i >= 0; --i) {
    bytes[i] = static_cast<unsigned char>(millis & 0xff);
    millis >>= 8;
  }
  return format_uuid(bytes, 7);
}

std::string name_based_uuid(std::string_view name) {
  auto digest = sha256_raw(name);
  unsigned char bytes[16];
  for (std::size_t i = 0; i < sizeof(bytes); ++i)
    bytes[i] = static_cast<unsigned char>(digest[i]);
  return format_uuid(bytes, 8);
}

} // namespace awf::core

namespace awf::core {

bool is_uuid(std::string_view text) noexcept {
  if (text.size() != 36)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (dash_position ? c != '-' : !hex)
      return false;
  }
  return true;
}

} // namespace awf::core
