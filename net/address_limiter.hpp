// Counts the open connections of each client address, so that one address
// cannot take every connection slot of the server
// (CLOUD_SYNC_MAX_CONNECTIONS_PER_IP). Thread-safe: the listener acquires,
// whichever thread ends a connection releases.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/ip/address.hpp>

namespace awf::net {

namespace detail {

/// The counts a limiter and its leases share (leases may outlive the
/// limiter while the I/O threads wind down).
struct address_table {
  std::mutex mutex;
  std::map<boost::asio::ip::address, std::size_t> open; ///< guarded by mutex
};

} // namespace detail

/// One connection's place in its address's count, given back when the
/// lease is destroyed. Moves with the connection (HTTP to WebSocket).
class address_lease {
public:
  address_lease() = default;
  address_lease(address_lease&& other) noexcept;
  address_lease& operator=(address_lease&& other) noexcept;
  address_lease(const address_lease&) = delete;
  address_lease& operator=(const address_lease&) = delete;
  ~address_lease();

private:
  friend class address_limiter;
  address_lease(std::shared_ptr<detail::address_table> table,
                boost::asio::ip::address address);
  void release() noexcept;

  std::shared_ptr<detail::address_table> table_;
  boost::asio::ip::address address_;
};

class address_limiter {
public:
  /// Allows `per_address` open connections per address (0: no cap).
  explicit address_limiter(std::size_t per_address);

  /// A lease for a new connection from `address`, or nullopt when that
  /// address has `per_address` connections open already. An IPv4 address
  /// mapped into IPv6 counts as the IPv4 address.
  std::optional<address_lease> try_acquire(boost::asio::ip::address address);

  /// The connections open from `address`.
  std::size_t open(boost::asio::ip::address address) const;

private:
  std::size_t per_address_;
  std::shared_ptr<detail::address_table> table_;
};

} // namespace awf::net
