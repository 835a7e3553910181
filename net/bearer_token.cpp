#include "net/bearer_token.hpp"

#include <algorithm>
#include <cctype>

namespace awf::net {

namespace {

constexpr std::string_view scheme = "bearer";

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && is_space(text.back()))
    text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

} // namespace

std::optional<std::string_view> bearer_token(std::string_view authorization) {
  auto value = trim(authorization);
  if (value.size() <= scheme.size() || !is_space(value[scheme.size()]) ||
      !equals_ignoring_case(value.substr(0, scheme.size()), scheme))
    return std::nullopt;
  auto token = trim(value.substr(scheme.size()));
  if (token.empty() || std::any_of(token.begin(), token.end(), is_space))
    return std::nullopt;
  return token;
}

} // namespace awf::net
