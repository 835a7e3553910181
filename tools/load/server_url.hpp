// The server address given with --url: plain HTTP, a host, a port and an
// optional path prefix (for a server behind a reverse proxy).
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace awf::load {

struct server_url {
  std::string host;      ///< A name or an address; IPv6 without brackets.
  std::string port;      ///< Decimal, "80" when the URL names none.
  std::string base_path; ///< "" or "/prefix", never ending in '/'.

  /// The Host header: host:port, an IPv6 address in brackets.
  std::string host_header() const;

  /// The request target for an API path such as "/api/awf-cloud-sync/ws".
  std::string target(std::string_view path) const;
};

/// Parses `http://host[:port][/prefix]`. Refuses other schemes (https
/// included: put the load tester next to the server, or behind the proxy's
/// plain HTTP side), user info, queries and fragments, and bad ports.
core::result<server_url, std::string> parse_server_url(std::string_view text);

} // namespace awf::load
