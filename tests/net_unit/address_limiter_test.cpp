#define CAF_SUITE address_limiter

#include "caf/test/unit_test.hpp"

#include <optional>
#include <vector>

#include "net/address_limiter.hpp"

using awf::net::address_lease;
using awf::net::address_limiter;
using boost::asio::ip::make_address;

CAF_TEST(an address gets at most its cap of leases) {
  address_limiter limiter{2};
  auto home = make_address("127.0.0.1");
  auto a = limiter.try_acquire(home);
  auto b = limiter.try_acquire(home);
  CAF_CHECK(a && b);
  CAF_CHECK(!limiter.try_acquire(home));
  CAF_CHECK_EQUAL(limiter.open(home), 2u);
  // Other addresses have their own count.
  CAF_CHECK(limiter.try_acquire(make_address("127.0.0.2")));
  CAF_CHECK(limiter.try_acquire(make_address("::1")));
}

CAF_TEST(a lease gives its slot back once when destroyed) {
  address_limiter limiter{1};
  auto home = make_address("10.0.0.7");
  {
    auto lease = limiter.try_acquire(home);
    CAF_REQUIRE(lease);
    // Moving the lease (HTTP to WebSocket) keeps one slot taken.
    address_lease moved{std::move(*lease)};
    lease.reset();
    CAF_CHECK_EQUAL(limiter.open(home), 1u);
    CAF_CHECK(!limiter.try_acquire(home));
  }
  CAF_CHECK_EQUAL(limiter.open(home), 0u);
  CAF_CHECK(limiter.try_acquire(home));
}

CAF_TEST(an ipv4 address mapped into ipv6 counts as the ipv4 address) {
  address_limiter limiter{1};
  auto lease = limiter.try_acquire(make_address("::ffff:192.0.2.1"));
  CAF_REQUIRE(lease);
  CAF_CHECK(!limiter.try_acquire(make_address("192.0.2.1")));
  CAF_CHECK_EQUAL(limiter.open(make_address("192.0.2.1")), 1u);
}

CAF_TEST(a cap of zero counts nothing and refuses nothing) {
  address_limiter limiter{0};
  std::vector<address_lease> leases;
  for (int i = 0; i < 100; ++i) {
    auto lease = limiter.try_acquire(make_address("127.0.0.1"));
    CAF_REQUIRE(lease);
    leases.push_back(std::move(*lease));
  }
  CAF_CHECK_EQUAL(limiter.open(make_address("127.0.0.1")), 0u);
}

CAF_TEST(leases outlive their limiter) {
  std::optional<address_lease> lease;
  {
    address_limiter limiter{1};
    lease = limiter.try_acquire(make_address("127.0.0.1"));
  }
  CAF_CHECK(lease.has_value());
  lease.reset(); // releases into the shared table without a crash
}
