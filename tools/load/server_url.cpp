#include "tools/load/server_url.hpp"

#include <algorithm>
#include <cctype>

namespace awf::load {

namespace {

constexpr std::string_view http_scheme = "http://";

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5 ||
      !std::all_of(port.begin(), port.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c));
      }))
    return false;
  int value = std::stoi(std::string{port});
  return value >= 1 && value <= 65535;
}

} // namespace

std::string server_url::host_header() const {
  bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + port;
}

std::string server_url::target(std::string_view path) const {
  return base_path + std::string{path};
}

core::result<server_url, std::string> parse_server_url(std::string_view text) {
  if (text.starts_with("https://"))
    return std::string{"https is not supported; give the server's plain "
                       "http:// address"};
  if (!text.starts_with(http_scheme))
    return std::string{"the URL must start with http://"};
  auto rest = text.substr(http_scheme.size());
  if (rest.find_first_of("?#") != std::string_view::npos)
    return std::string{"the URL must not have a query or a fragment"};
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  auto path =
    slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos)
    return std::string{"the URL must not carry user information"};
  server_url url;
  url.port = "80";
  std::string_view port_part;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::string{"unclosed '[' in the URL's host"};
    url.host = std::string{authority.substr(1, close - 1)};
    auto after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(":"))
      return std::string{"unexpected text after the URL's IPv6 host"};
    port_part = after.empty() ? std::string_view{} : after.substr(1);
    if (after == ":")
      return std::string{"empty port in the URL"};
  } else {
    auto colon = authority.find(':');
    if (colon != authority.rfind(':'))
      return std::string{"an IPv6 host must be written in brackets"};
    url.host = std::string{authority.substr(0, colon)};
    if (colon != std::string_view::npos) {
      port_part = authority.substr(colon + 1);
      if (port_part.empty())
        return std::string{"empty port in the URL"};
    }
  }
  if (url.host.empty())
    return std::string{"the URL has no host"};
  if (!port_part.empty()) {
    if (!valid_port(port_part))
      return "bad port '" + std::string{port_part} + "' in the URL";
    url.port = std::string{port_part};
  }
  while (path.ends_with("/"))
    path.remove_suffix(1);
  url.base_path = std::string{path};
  return url;
}

} // namespace awf::load
