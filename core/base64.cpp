#include "core/base64.hpp"

#include <array>
#include <cstdint>

namespace awf::core {

namespace {

constexpr std::string_view standard_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::string_view url_alphabet =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Marks bytes outside an alphabet in a decode table.
constexpr std::uint8_t not_in_alphabet = 0xFF;

using decode_table = std::array<std::uint8_t, 256>;

constexpr decode_table make_decode_table(std::string_view alphabet) {
  decode_table table{};
  for (auto& entry : table)
    entry = not_in_alphabet;
  for (std::size_t i = 0; i < alphabet.size(); ++i)
    table[static_cast<unsigned char>(alphabet[i])] =
      static_cast<std::uint8_t>(i);
  return table;
}

constexpr decode_table standard_table = make_decode_table(standard_alphabet);

constexpr decode_table url_table = make_decode_table(url_alphabet);

std::string encode(std::string_view bytes, std::string_view alphabet,
                   bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    auto group = byte(i) << 16 | byte(i + 1) << 8 | byte(i + 2);
    out += alphabet[group >> 18 & 0x3F];
    out += alphabet[group >> 12 & 0x3F];
    out += alphabet[group >> 6 & 0x3F];
    out += alphabet[group & 0x3F];
  }
  auto rest = bytes.size() - i;
  if (rest == 0)
    return out;
  auto group = byte(i) << 16 | (rest == 2 ? byte(i + 1) << 8 : 0);
  out += alphabet[group >> 18 & 0x3F];
  out += alphabet[group >> 12 & 0x3F];
  if (rest == 2)
    out += alphabet[group >> 6 & 0x3F];
  if (pad)
    out.append(3 - rest, '=');
  return out;
}

/// Decodes unpadded text. Rejects a dangling single character and, in a
/// final partial group, set bits that encode nothing: each byte string then
/// has exactly one accepted encoding, so tokens cannot be varied.
std::optional<std::string> decode_unpadded(std::string_view text,
                                           const decode_table& table) {
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t group = 0;
  std::size_t count = 0;
  for (char c : text) {
    auto sextet = table[static_cast<unsigned char>(c)];
    if (sextet == not_in_alphabet)
      return std::nullopt;
    group = group << 6 | sextet;
    if (++count == 4) {
      out += static_cast<char>(group >> 16 & 0xFF);
      out += static_cast<char>(group >> 8 & 0xFF);
      out += static_cast<char>(group & 0xFF);
      group = 0;
      count = 0;
    }
  }
  if (count == 2) {
    if ((group & 0xF) != 0)
      return std::nullopt;
    out += static_cast<char>(group >> 4 & 0xFF);
  } else if (count == 3) {
    if ((group & 0x3) != 0)
      return std::nullopt;
    out += static_cast<char>(group >> 10 & 0xFF);
    out += static_cast<char>(group >> 2 & 0xFF);
  }
  return out;
}

} // namespace

std::string base64_encode(std::string_view bytes) {
  return encode(bytes, standard_alphabet, true);
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::nullopt;
  // At most two '=' and only at the end; a third stays in the text and is
  // rejected as outside the alphabet.
  for (int i = 0; i < 2 && !text.empty() && text.back() == '='; ++i)
    text.remove_suffix(1);
  return decode_unpadded(text, standard_table);
}

std::string base64url_encode(std::string_view bytes) {
  return encode(bytes, url_alphabet, false);
}

std::optional<std::string> base64url_decode(std::string_view text) {
  return decode_unpadded(text, url_table);
}

} // namespace awf::core
