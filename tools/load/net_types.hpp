// Short names for the Asio types of the load tester's client side. Every
// connection of one save runs on that save's strand, so a save's devices
// coordinate without locks.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

namespace awf::load {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using error_code = boost::system::error_code;
using executor = net::any_io_executor;

/// A coroutine on an executor (C++20 coroutines, Asio's awaitable).
/// GCC 12 miscompiles `co_await` inside a condition (`if (!co_await f())`
/// crashes when the enclosing loop is skipped): always await into a named
/// variable first, then test it.
template<class T>
using task = net::awaitable<T>;

/// The server's resolved addresses, resolved once per run.
using endpoint_list = tcp::resolver::results_type;

} // namespace awf::load
