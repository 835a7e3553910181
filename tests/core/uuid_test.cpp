#define CAF_SUITE uuid

#include "core/uuid.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <set>
#include <string>
#include <thread>

using namespace awf::core;

CAF_TEST(random ids are version 4 uuids and differ) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto id = random_uuid();
    CAF_CHECK(is_uuid(id));
    CAF_CHECK_EQUAL(id[14], '4');
    CAF_CHECK(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    seen.insert(id);
  }
  CAF_CHECK_EQUAL(seen.size(), 100u);
}

CAF_TEST(time ordered ids are version 7 uuids that sort by time) {
  auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  auto first = time_ordered_uuid();
  CAF_CHECK(is_uuid(first));
  CAF_CHECK_EQUAL(first[14], '7');
  CAF_CHECK(first[19] == '8' || first[19] == '9' || first[19] == 'a' ||
            first[19] == 'b');
  // The first 48 bits are the Unix time in milliseconds.
  auto stamp = std::stoll(first.substr(0, 8) + first.substr(9, 4), nullptr, 16);
  CAF_CHECK_GREATER_OR_EQUAL(stamp, before);
  CAF_CHECK_LESS_OR_EQUAL(stamp, before + 60000);
  std::this_thread::sleep_for(std::chrono::milliseconds{2});
  auto later = time_ordered_uuid();
  CAF_CHECK_LESS(first, later);
  CAF_CHECK_NOT_EQUAL(time_ordered_uuid(), time_ordered_uuid());
}

CAF_TEST(named ids are version 8 uuids of the name s sha256) {
  // SHA-256("abc") = ba7816bf 8f01cfea 414140de 5dae2223 ..., with the
  // version (8) and variant (10) bits set.
  CAF_CHECK_EQUAL(name_based_uuid("abc"),
                  "ba7816bf-8f01-8fea-8141-40de5dae2223");
  CAF_CHECK_EQUAL(name_based_uuid("save:1"), name_based_uuid("save:1"));
  CAF_CHECK_NOT_EQUAL(name_based_uuid("save:1"), name_based_uuid("save:2"));
  CAF_CHECK(is_uuid(name_based_uuid("")));
}

CAF_TEST(is_uuid wants lowercase hyphenated hex) {
  CAF_CHECK(is_uuid("0190a5c4-7b1e-7c3d-9f00-123456789abc"));
  CAF_CHECK(!is_uuid("0190A5C4-7B1E-7C3D-9F00-123456789ABC"));
  CAF_CHECK(!is_uuid("0190a5c47b1e7c3d9f00123456789abc"));
  CAF_CHECK(!is_uuid("0190a5c4-7b1e-7c3d-9f00-123456789ab"));
  CAF_CHECK(!is_uuid("0190a5c4-7b1e-7c3d-9f00-123456789abg"));
}
