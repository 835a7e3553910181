#define CAF_SUITE device_store

#include "persistence/device_store.hpp"

#include "caf/test/unit_test.hpp"

#include <map>

#include <chrono>
#include <string>
#include <vector>

#include "core/sha256.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;

namespace {

/// A token hash as the edge computes it: sha256 hex of the token.
std::string token_hash(const std::string& token) {
  return core::sha256_hex(token);
}

struct fixture : database_fixture {
  persistence::device_store devices{*db};
  const std::int64_t expiry = 1'900'000'000'000;

  persistence::device_record registered(const std::string& user,
                                        const std::string& device,
                                        const std::string& token,
                                        const std::string& label = "phone") {
    auto rec =
      devices.register_device(user, device, label, token_hash(token), expiry);
    if (!rec)
      CAF_FAIL("register_device failed: " << rec.error().message);
    return *rec;
  }

  persistence::device_record find(const std::string& device) {
    auto rec = devices.find_device(device);
    if (!rec)
      CAF_FAIL("find_device failed: " << rec.error().message);
    return *rec;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(device_store_tests, fixture)

CAF_TEST(register stores a new device) {
  auto before = now_ms();
  auto rec = registered("user-a", "dev-1", "token-1", "Zo\u00eb's phone");
  CAF_CHECK_EQUAL(rec.device_id, "dev-1");
  CAF_CHECK_EQUAL(rec.user_id_hash, "user-a");
  CAF_CHECK_EQUAL(rec.label, "Zo\u00eb's phone");
  CAF_CHECK_EQUAL(rec.token_hash, token_hash("token-1"));
  CAF_CHECK_EQUAL(rec.token_hash.size(), 64u);
  CAF_CHECK_EQUAL(rec.expires_at_ms, expiry);
  CAF_CHECK(!rec.revoked);
  CAF_CHECK_EQUAL(rec.last_turn_seen, 0);
  CAF_CHECK_GREATER(rec.created_at_ms, before - 60'000);
  CAF_CHECK_LESS(rec.created_at_ms, now_ms() + 60'000);
  CAF_CHECK_EQUAL(rec.created_at_ms, rec.updated_at_ms);
  // The table holds the hash, never the token.
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices WHERE sync_token "
                        "= :p",
                        token_hash("token-1")),
                  1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices WHERE sync_token "
                        "= 'token-1'"),
                  0);
  auto found = find("dev-1");
  CAF_CHECK_EQUAL(found.user_id_hash, "user-a");
  CAF_CHECK_EQUAL(found.label, rec.label);
  CAF_CHECK_EQUAL(found.created_at_ms, rec.created_at_ms);
}

CAF_TEST(the owner registering again gets a new token and no revocation) {
  auto first = registered("user-a", "dev-1", "token-1", "old label");
  CAF_REQUIRE(devices.note_turn_seen("dev-1", 7));
  CAF_REQUIRE(devices.revoke("dev-1"));
  CAF_CHECK(find("dev-1").revoked);
  let_time_pass();
  auto again = devices.register_device("user-a", "dev-1", "new label",
                                       token_hash("token-2"), expiry + 1000);
  CAF_REQUIRE(again);
  CAF_CHECK_EQUAL(again->device_id, "dev-1");
  CAF_CHECK_EQUAL(again->user_id_hash, "user-a");
  CAF_CHECK_EQUAL(again->label, "new label");
  CAF_CHECK_EQUAL(again->token_hash, token_hash("token-2"));
  CAF_CHECK_EQUAL(again->expires_at_ms, expiry + 1000);
  CAF_CHECK(!again->revoked);
  CAF_CHECK_EQUAL(again->last_turn_seen, 7);
  CAF_CHECK_EQUAL(again->created_at_ms, first.created_at_ms);
  CAF_CHECK_GREATER(again->updated_at_ms, first.updated_at_ms);
  // The old token no longer finds the device; the new one does.
  CAF_CHECK_EQUAL(code_of(devices.find_by_token_hash(token_hash("token-1"))),
                  "not_found");
  auto by_new = devices.find_by_token_hash(token_hash("token-2"));
  CAF_REQUIRE(by_new);
  CAF_CHECK_EQUAL(by_new->device_id, "dev-1");
  CAF_CHECK(!by_new->revoked);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices"), 1);
}

CAF_TEST(another user registering the same id gets conflict) {
  registered("user-a", "dev-1", "token-1");
  auto taken = devices.register_device("user-b", "dev-1", "mine",
                                       token_hash("token-b"), expiry);
  CAF_CHECK_EQUAL(code_of(taken), "conflict");
  // Nothing changed for the owner.
  auto rec = find("dev-1");
  CAF_CHECK_EQUAL(rec.user_id_hash, "user-a");
  CAF_CHECK_EQUAL(rec.label, "phone");
  CAF_CHECK_EQUAL(rec.token_hash, token_hash("token-1"));
  CAF_CHECK_EQUAL(code_of(devices.find_by_token_hash(token_hash("token-b"))),
                  "not_found");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices"), 1);
  // Even a revoked device stays its owner's.
  CAF_REQUIRE(devices.revoke("dev-1"));
  CAF_CHECK_EQUAL(code_of(devices.register_device(
                    "user-b", "dev-1", "mine", token_hash("token-b"), expiry)),
                  "conflict");
  CAF_CHECK(find("dev-1").revoked);
  CAF_CHECK_EQUAL(find("dev-1").user_id_hash, "user-a");
}

CAF_TEST(find_by_token_hash finds the device of a token) {
  registered("user-a", "dev-1", "token-1");
  registered("user-a", "dev-2", "token-2");
  registered("user-b", "dev-3", "token-3");
  for (int i = 1; i <= 3; ++i) {
    auto rec =
      devices.find_by_token_hash(token_hash("token-" + std::to_string(i)));
    CAF_REQUIRE(rec);
    CAF_CHECK_EQUAL(rec->device_id, "dev-" + std::to_string(i));
  }
  auto third = devices.find_by_token_hash(token_hash("token-3"));
  CAF_REQUIRE(third);
  CAF_CHECK_EQUAL(third->user_id_hash, "user-b");
  CAF_CHECK_EQUAL(code_of(devices.find_by_token_hash(token_hash("token-9"))),
                  "not_found");
  CAF_CHECK_EQUAL(code_of(devices.find_by_token_hash("")), "not_found");
  CAF_CHECK_EQUAL(code_of(devices.find_device("dev-9")), "not_found");
}

CAF_TEST(list_devices returns a user devices oldest first) {
  registered("user-a", "dev-b", "token-1");
  let_time_pass();
  registered("user-b", "dev-x", "token-2");
  let_time_pass();
  registered("user-a", "dev-a", "token-3");
  auto listed = devices.list_devices("user-a");
  CAF_REQUIRE(listed);
  CAF_REQUIRE_EQUAL(listed->size(), 2u);
  CAF_CHECK_EQUAL((*listed)[0].device_id, "dev-b");
  CAF_CHECK_EQUAL((*listed)[1].device_id, "dev-a");
  CAF_CHECK_LESS((*listed)[0].created_at_ms, (*listed)[1].created_at_ms);
  auto nobody = devices.list_devices("user-nobody");
  CAF_REQUIRE(nobody);
  CAF_CHECK_EQUAL(nobody->size(), 0u);
}

CAF_TEST(rotate replaces the token only with the right old hash) {
  auto first = registered("user-a", "dev-1", "token-1");
  let_time_pass();
  auto wrong = devices.rotate("dev-1", token_hash("token-x"),
                              token_hash("token-2"), expiry + 5);
  CAF_CHECK_EQUAL(code_of(wrong), "not_found");
  CAF_CHECK_EQUAL(find("dev-1").token_hash, token_hash("token-1"));
  CAF_CHECK_EQUAL(find("dev-1").expires_at_ms, expiry);
  auto rotated = devices.rotate("dev-1", token_hash("token-1"),
                                token_hash("token-2"), expiry + 5);
  CAF_REQUIRE(rotated);
  CAF_CHECK_EQUAL(rotated->device_id, "dev-1");
  CAF_CHECK_EQUAL(rotated->token_hash, token_hash("token-2"));
  CAF_CHECK_EQUAL(rotated->expires_at_ms, expiry + 5);
  CAF_CHECK_EQUAL(rotated->created_at_ms, first.created_at_ms);
  CAF_CHECK_GREATER(rotated->updated_at_ms, first.updated_at_ms);
  // The old token is dead: it neither finds nor rotates the device again.
  CAF_CHECK_EQUAL(code_of(devices.find_by_token_hash(token_hash("token-1"))),
                  "not_found");
  CAF_CHECK_EQUAL(code_of(devices.rotate("dev-1", token_hash("token-1"),
                                         token_hash("token-3"), expiry)),
                  "not_found");
  auto by_new_token = devices.find_by_token_hash(token_hash("token-2"));
  CAF_REQUIRE(by_new_token);
  CAF_CHECK_EQUAL(by_new_token->device_id, "dev-1");
  CAF_CHECK_EQUAL(code_of(devices.rotate("dev-9", token_hash("token-2"),
                                         token_hash("token-3"), expiry)),
                  "not_found");
}

CAF_TEST(a revoked device is found as revoked and cannot rotate) {
  registered("user-a", "dev-1", "token-1");
  registered("user-a", "dev-2", "token-2");
  CAF_CHECK_EQUAL(code_of(devices.revoke("dev-1")), "ok");
  auto by_token = devices.find_by_token_hash(token_hash("token-1"));
  CAF_REQUIRE(by_token);
  CAF_CHECK_EQUAL(by_token->device_id, "dev-1");
  CAF_CHECK(by_token->revoked);
  CAF_CHECK(find("dev-1").revoked);
  CAF_CHECK(!find("dev-2").revoked);
  CAF_CHECK_EQUAL(code_of(devices.rotate("dev-1", token_hash("token-1"),
                                         token_hash("token-9"), expiry)),
                  "not_found");
  CAF_CHECK_EQUAL(find("dev-1").token_hash, token_hash("token-1"));
  // Revoking again is harmless; an unknown device is not_found.
  CAF_CHECK_EQUAL(code_of(devices.revoke("dev-1")), "ok");
  CAF_CHECK(find("dev-1").revoked);
  CAF_CHECK_EQUAL(code_of(devices.revoke("dev-9")), "not_found");
}

CAF_TEST(note_turn_seen never moves backwards) {
  registered("user-a", "dev-1", "token-1");
  registered("user-a", "dev-2", "token-2");
  CAF_CHECK_EQUAL(code_of(devices.note_turn_seen("dev-1", 5)), "ok");
  CAF_CHECK_EQUAL(find("dev-1").last_turn_seen, 5);
  CAF_CHECK_EQUAL(code_of(devices.note_turn_seen("dev-1", 3)), "ok");
  CAF_CHECK_EQUAL(find("dev-1").last_turn_seen, 5);
  CAF_CHECK_EQUAL(code_of(devices.note_turn_seen("dev-1", 5)), "ok");
  CAF_CHECK_EQUAL(find("dev-1").last_turn_seen, 5);
  CAF_CHECK_EQUAL(code_of(devices.note_turn_seen("dev-1", 12)), "ok");
  CAF_CHECK_EQUAL(find("dev-1").last_turn_seen, 12);
  CAF_CHECK_EQUAL(find("dev-2").last_turn_seen, 0);
  CAF_CHECK_EQUAL(code_of(devices.note_turn_seen("dev-9", 1)), "not_found");
}

CAF_TEST(note_turns_seen moves many devices forward in one call) {
  registered("user-a", "dev-1", "token-1");
  registered("user-a", "dev-2", "token-2");
  CAF_REQUIRE(devices.note_turn_seen("dev-2", 9));
  // A device that does not exist is skipped, not an error.
  std::map<std::string, std::int64_t> turns{
    {"dev-1", 4}, {"dev-2", 2}, {"dev-9", 7}};
  CAF_CHECK_EQUAL(code_of(devices.note_turns_seen(turns)), "ok");
  CAF_CHECK_EQUAL(find("dev-1").last_turn_seen, 4);
  CAF_CHECK_EQUAL(find("dev-2").last_turn_seen, 9); // never backwards
  CAF_CHECK_EQUAL(code_of(devices.note_turns_seen({})), "ok");
}

CAF_TEST(a token hash in use by another device is refused) {
  registered("user-a", "dev-1", "token-1");
  registered("user-b", "dev-2", "token-2");
  CAF_CHECK_EQUAL(code_of(devices.rotate("dev-1", token_hash("token-1"),
                                         token_hash("token-2"), expiry)),
                  "failure");
  CAF_CHECK_EQUAL(code_of(devices.register_device(
                    "user-a", "dev-3", "", token_hash("token-2"), expiry)),
                  "failure");
  // Nothing changed, and the store keeps working.
  CAF_CHECK_EQUAL(find("dev-1").token_hash, token_hash("token-1"));
  CAF_CHECK_EQUAL(find("dev-2").token_hash, token_hash("token-2"));
  CAF_CHECK_EQUAL(code_of(devices.find_device("dev-3")), "not_found");
  CAF_CHECK_EQUAL(code_of(devices.rotate("dev-1", token_hash("token-1"),
                                         token_hash("token-3"), expiry)),
                  "ok");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices"), 2);
}

CAF_TEST_FIXTURE_SCOPE_END()
