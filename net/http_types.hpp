// The HTTP message types of the edge, in one place.
#pragma once

#include <functional>

#include <boost/beast/http.hpp>

namespace awf::net {

namespace http = boost::beast::http;

using http_request = http::request<http::string_body>;
using http_response = http::response<http::string_body>;

/// Hands a finished response back to the connection (any thread).
using reply_fn = std::function<void(http_response)>;

} // namespace awf::net
