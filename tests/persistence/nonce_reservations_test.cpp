#define CAF_SUITE nonce_reservations

#include "persistence/nonce_reservations.hpp"

#include "caf/test/unit_test.hpp"

#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;

namespace {

struct fixture : database_fixture {
  persistence::save_store saves{*db};
  persistence::nonce_reservations reservations{open_database(scratch)};

  std::uint64_t reserve(const std::string& key_id, std::uint64_t count) {
    auto total = reservations.reserve(key_id, count);
    if (!total)
      CAF_FAIL("reserve failed: " << total.error().message);
    return *total;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(nonce_reservations_tests, fixture)

CAF_TEST(reservations add up and count as used) {
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 0u);
  CAF_CHECK_EQUAL(reserve("k1", 8), 8u);
  CAF_CHECK_EQUAL(reserve("k1", 8), 16u);
  CAF_CHECK_EQUAL(reserve("k2", 3), 3u);
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 16u);
  CAF_CHECK_EQUAL(key_usage_of(saves, "k2"), 3u);
  // Another connection sees them: they were committed.
  auto other = open_database(scratch);
  persistence::save_store from_other{*other};
  CAF_CHECK_EQUAL(key_usage_of(from_other, "k1"), 16u);
}

CAF_TEST(a key counted before reservations starts from its count) {
  // As a database from before migration 5 holds it: encryptions of stored
  // blobs only.
  sql() << "INSERT INTO awf_key_usage (key_id, encryptions) VALUES ('k1', 10)";
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 10u);
  CAF_CHECK_EQUAL(reserve("k1", 4), 14u);
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 14u);
  // Blobs stored under the reservation add to `encryptions` but the larger
  // of the two still counts.
  sql() << "UPDATE awf_key_usage SET encryptions = 13 WHERE key_id = 'k1'";
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 14u);
}

CAF_TEST_FIXTURE_SCOPE_END()
