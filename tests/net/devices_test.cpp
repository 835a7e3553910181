// Devices over the real socket (contract §2): registration, sync tokens on
// the save endpoints, rotation, revocation and refused tokens.
#define CAF_SUITE devices

#include "caf/test/unit_test.hpp"

#include <ctime>

#include "tests/net/api_client.hpp"

using namespace awf;
using namespace awf::test::api;

namespace {

const std::string devices = prefix + "/devices";
const std::string saves = prefix + "/saves";

/// Now as the server writes times (ISO 8601 UTC with milliseconds).
std::string iso_now() {
  std::time_t now = ::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S.000Z", &utc);
  return text;
}

struct fixture : api_fixture {
  std::string alice = token("alice");
  std::string bob = token("bob");
  std::string admin = token("root", "admin");

  http_reply register_raw(const std::string& bearer, const std::string& body) {
    return call(http::verb::post, devices, body, bearer);
  }

  http_reply rotate(const std::string& bearer, const std::string& id) {
    return call(http::verb::post, devices + "/" + id + "/rotate", "", bearer);
  }

  http_reply revoke(const std::string& bearer, const std::string& id) {
    return call(http::verb::delete_, devices + "/" + id, "", bearer);
  }

  /// GET /saves with `bearer`: the status.
  int saves_status(const std::string& bearer) {
    return call(http::verb::get, saves, "", bearer).status;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(devices_tests, fixture)

CAF_TEST(a user token registers a device and gets a sync token) {
  auto res = register_raw(alice, R"({"device_id":"phone","label":"Pixel"})");
  CAF_CHECK_EQUAL(res.status, 201);
  CAF_CHECK_EQUAL(res.body["device_id"], "phone");
  CAF_REQUIRE(res.body["sync_token"].is_string());
  auto sync_token = res.body["sync_token"].get<std::string>();
  CAF_CHECK(sync_token.rfind("awfd1.", 0) == 0);
  CAF_CHECK_GREATER(sync_token.size(), 40u);
  CAF_REQUIRE(res.body["expires_at"].is_string());
  auto expires = res.body["expires_at"].get<std::string>();
  CAF_CHECK_EQUAL(expires.size(), 24u);
  CAF_CHECK_EQUAL(expires.back(), 'Z');
  CAF_CHECK_GREATER(expires, iso_now());
  // Two registrations never share a token.
  auto other = register_raw(alice, R"({"device_id":"tablet"})");
  CAF_CHECK_EQUAL(other.status, 201);
  CAF_CHECK_NOT_EQUAL(other.body["sync_token"], res.body["sync_token"]);
}

CAF_TEST(the server chooses a device id when none is given) {
  for (const std::string body : {"", "{}", R"({"label":"Steam Deck"})"}) {
    auto res = register_raw(alice, body);
    CAF_CHECK_EQUAL(res.status, 201);
    CAF_REQUIRE(res.body["device_id"].is_string());
    auto id = res.body["device_id"].get<std::string>();
    CAF_CHECK(is_uuid_text(id));
    CAF_CHECK(res.body["sync_token"].is_string());
    // The generated id is a working device.
    CAF_CHECK_EQUAL(
      saves_status(res.body.value("sync_token", std::string{"x"})), 200);
  }
  auto a = register_raw(alice, "{}");
  auto b = register_raw(alice, "{}");
  CAF_CHECK_NOT_EQUAL(a.body["device_id"], b.body["device_id"]);
}

CAF_TEST(device ids outside the pattern are refused) {
  for (const auto& id :
       std::vector<std::string>{"has space", "a/b", "semi;colon", "ümlaut",
                                "tab\t", std::string(65, 'x'), ""}) {
    auto res = register_raw(alice, json{{"device_id", id}}.dump());
    CAF_CHECK_EQUAL(res.status, 400);
    CAF_CHECK_EQUAL(res.body["error"]["code"], "invalid_request");
    CAF_CHECK(res.body["error"]["message"].is_string());
  }
  for (const std::string body : {R"({"device_id":5})", R"({"device_id":null})",
                                 R"({"label":7})", R"(["phone"])"}) {
    auto res = register_raw(alice, body);
    CAF_CHECK_EQUAL(res.status, 400);
    CAF_CHECK_EQUAL(res.body["error"]["code"], "invalid_request");
  }
  auto broken = register_raw(alice, R"({"device_id":)");
  CAF_CHECK_EQUAL(broken.status, 400);
  CAF_CHECK_EQUAL(broken.body["error"]["code"], "invalid_json");
  // The longest and the most varied valid ids are fine.
  CAF_CHECK_EQUAL(
    register_raw(alice, json{{"device_id", std::string(64, 'x')}}.dump())
      .status,
    201);
  CAF_CHECK_EQUAL(register_raw(alice, R"({"device_id":"Az09._-"})").status,
                  201);
}

CAF_TEST(another users device id is taken) {
  auto phone = add_device(alice, "phone");
  auto res = register_raw(bob, R"({"device_id":"phone"})");
  CAF_CHECK_EQUAL(res.status, 409);
  CAF_CHECK_EQUAL(res.body["error"]["code"], "device_taken");
  CAF_CHECK(!res.body.contains("sync_token"));
  // Alice's device is untouched.
  CAF_CHECK_EQUAL(saves_status(phone.token), 200);
  auto listed = call(http::verb::get, saves, "", phone.token);
  CAF_CHECK_EQUAL(listed.body["saves"].size(), 0u);
}

CAF_TEST(a sync token may not register devices) {
  auto phone = add_device(alice, "phone");
  auto res = register_raw(phone.token, R"({"device_id":"sneaky"})");
  CAF_CHECK_EQUAL(res.status, 403);
  CAF_CHECK_EQUAL(res.body["error"]["code"], "forbidden");
  // Nothing was registered: the id is still free for bob.
  CAF_CHECK_EQUAL(register_raw(bob, R"({"device_id":"sneaky"})").status, 201);
}

CAF_TEST(a sync token works on the saves of its user) {
  auto phone = add_device(alice, "phone");
  auto created =
    call(http::verb::post, saves, R"({"session_id":"by-phone"})", phone.token);
  CAF_CHECK_EQUAL(created.status, 201);
  CAF_CHECK_EQUAL(created.body["created"], true);
  auto save_id = created.body["save_id"];
  // The save is alice's: her user token lists it, and attaching by the
  // user token finds the same save.
  auto by_user = call(http::verb::get, saves, "", alice);
  CAF_REQUIRE_EQUAL(by_user.body["saves"].size(), 1u);
  CAF_CHECK_EQUAL(by_user.body["saves"][0]["save_id"], save_id);
  auto again =
    call(http::verb::post, saves, R"({"session_id":"by-phone"})", alice);
  CAF_CHECK_EQUAL(again.status, 200);
  CAF_CHECK_EQUAL(again.body["save_id"], save_id);
  auto by_phone = call(http::verb::get, saves, "", phone.token);
  CAF_CHECK_EQUAL(by_phone.status, 200);
  CAF_REQUIRE_EQUAL(by_phone.body["saves"].size(), 1u);
  CAF_CHECK_EQUAL(by_phone.body["saves"][0]["save_id"], save_id);
  // Bob's devices see none of it.
  auto bobs = add_device(bob, "bobs-phone");
  CAF_CHECK_EQUAL(
    call(http::verb::get, saves, "", bobs.token).body["saves"].size(), 0u);
}

CAF_TEST(rotation issues a new token and retires the old one) {
  auto phone = add_device(alice, "phone");
  auto res = rotate(phone.token, "phone");
  CAF_CHECK_EQUAL(res.status, 200);
  CAF_CHECK_EQUAL(res.body["device_id"], "phone");
  CAF_CHECK(res.body["expires_at"].is_string());
  CAF_REQUIRE(res.body["sync_token"].is_string());
  auto fresh = res.body["sync_token"].get<std::string>();
  CAF_CHECK_NOT_EQUAL(fresh, phone.token);
  CAF_CHECK_EQUAL(saves_status(fresh), 200);
  auto old = call(http::verb::get, saves, "", phone.token);
  CAF_CHECK_EQUAL(old.status, 401);
  CAF_CHECK_EQUAL(old.body["error"]["code"], "unauthorized");
  // The old token cannot rotate again either.
  CAF_CHECK_EQUAL(rotate(phone.token, "phone").status, 401);
  // The new one can, and is then retired in turn.
  auto second = rotate(fresh, "phone");
  CAF_CHECK_EQUAL(second.status, 200);
  CAF_CHECK_EQUAL(saves_status(fresh), 401);
  CAF_CHECK_EQUAL(saves_status(second.body.value("sync_token", "")), 200);
}

CAF_TEST(rotating another devices id is forbidden) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto bobs = add_device(bob, "bobs-phone");
  for (const auto& [bearer, id] :
       std::vector<std::pair<std::string, std::string>>{
         {phone.token, "tablet"},
         {phone.token, "bobs-phone"},
         {bobs.token, "phone"},
         {alice, "phone"}}) { // a user token is not the current sync token
    auto res = rotate(bearer, id);
    CAF_CHECK_EQUAL(res.status, 403);
    CAF_CHECK_EQUAL(res.body["error"]["code"], "forbidden");
  }
  // Every token still works.
  CAF_CHECK_EQUAL(saves_status(phone.token), 200);
  CAF_CHECK_EQUAL(saves_status(tablet.token), 200);
  CAF_CHECK_EQUAL(saves_status(bobs.token), 200);
}

CAF_TEST(the owner revokes a device and its token stops working) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  CAF_CHECK_EQUAL(saves_status(phone.token), 200); // cached as valid now
  auto res = revoke(alice, "phone");
  CAF_CHECK_EQUAL(res.status, 200);
  CAF_CHECK_EQUAL(res.body["device_id"], "phone");
  CAF_CHECK_EQUAL(res.body["revoked"], true);
  auto after = call(http::verb::get, saves, "", phone.token);
  CAF_CHECK_EQUAL(after.status, 401);
  CAF_CHECK_EQUAL(after.body["error"]["code"], "unauthorized");
  CAF_CHECK_EQUAL(rotate(phone.token, "phone").status, 401);
  CAF_CHECK_EQUAL(
    call(http::verb::get, down_target(std::string(36, '0')), "", phone.token)
      .status,
    401);
  // The other device is untouched.
  CAF_CHECK_EQUAL(saves_status(tablet.token), 200);
  // A sync token cannot revoke, not even its own device.
  auto by_device = revoke(tablet.token, "tablet");
  CAF_CHECK_EQUAL(by_device.status, 403);
  CAF_CHECK_EQUAL(by_device.body["error"]["code"], "forbidden");
  CAF_CHECK_EQUAL(saves_status(tablet.token), 200);
  // An unknown device is not found.
  auto missing = revoke(alice, "no-such-device");
  CAF_CHECK_EQUAL(missing.status, 404);
  CAF_CHECK_EQUAL(missing.body["error"]["code"], "not_found");
}

CAF_TEST(another user cannot revoke a device but an admin can) {
  auto phone = add_device(alice, "phone");
  auto by_bob = revoke(bob, "phone");
  CAF_CHECK_EQUAL(by_bob.status, 404);
  CAF_CHECK_EQUAL(by_bob.body["error"]["code"], "not_found");
  // Exactly like a device that does not exist.
  auto missing = revoke(bob, "no-such-device");
  CAF_CHECK_EQUAL(missing.status, 404);
  CAF_CHECK_EQUAL(by_bob.body["error"], missing.body["error"]);
  CAF_CHECK_EQUAL(saves_status(phone.token), 200);
  auto by_admin = revoke(admin, "phone");
  CAF_CHECK_EQUAL(by_admin.status, 200);
  CAF_CHECK_EQUAL(by_admin.body["revoked"], true);
  CAF_CHECK_EQUAL(saves_status(phone.token), 401);
}

CAF_TEST(malformed and garbage tokens are unauthorized) {
  auto phone = add_device(alice, "phone");
  auto valid = token("alice");
  auto tampered = valid;
  tampered[8] = tampered[8] == 'A' ? 'B' : 'A'; // inside the payload
  std::vector<std::string> bad{
    "garbage",
    "awf1.",
    "awf1.abc.def",
    "awf1..",
    "awfd1.",
    "awfd1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    "awfd1." + std::string(300, 'A'),
    phone.token + "x",
    tampered,
    core::mint_user_token("another-secret-another-secret-xx",
                          {"alice", "user", ::time(nullptr) + 60}),
    // Correctly signed, but the role is not one of the contract's.
    core::mint_user_token(test_secret, {"alice", "root", ::time(nullptr) + 60}),
    // Correctly signed, but no subject.
    core::mint_user_token(test_secret, {"", "user", ::time(nullptr) + 60}),
  };
  for (const auto& bearer : bad) {
    for (const auto& [method, target] :
         std::vector<std::pair<http::verb, std::string>>{
           {http::verb::get, saves},
           {http::verb::post, devices},
           {http::verb::get, down_target(std::string(36, '0'))}}) {
      auto res = call(method, target, "", bearer);
      CAF_CHECK_EQUAL(res.status, 401);
      CAF_CHECK_EQUAL(res.body["error"]["code"], "unauthorized");
    }
  }
  // Not a bearer token at all.
  for (const auto& header : std::vector<std::string>{
         "Basic YWxpY2U6cHc=", "Bearer", "Token " + valid, valid}) {
    auto res =
      call_with(http::verb::get, saves, "", "", {{"Authorization", header}});
    CAF_CHECK_EQUAL(res.status, 401);
    CAF_CHECK_EQUAL(res.body["error"]["code"], "unauthorized");
  }
  CAF_CHECK_EQUAL(saves_status(valid), 200);
  CAF_CHECK_EQUAL(saves_status(phone.token), 200);
}

CAF_TEST(an expired user token is answered token expired) {
  auto expired = token("alice", "user", -10);
  for (const auto& [method, target] :
       std::vector<std::pair<http::verb, std::string>>{
         {http::verb::get, saves},
         {http::verb::post, devices},
         {http::verb::delete_, devices + "/phone"},
         {http::verb::get, prefix + "/admin/audit"}}) {
    auto res = call(method, target, "", expired);
    CAF_CHECK_EQUAL(res.status, 401);
    CAF_CHECK_EQUAL(res.body["error"]["code"], "token_expired");
  }
  auto expired_admin = token("root", "admin", -1);
  auto res = call(http::verb::get, prefix + "/admin/audit", "", expired_admin);
  CAF_CHECK_EQUAL(res.status, 401);
  CAF_CHECK_EQUAL(res.body["error"]["code"], "token_expired");
}

CAF_TEST_FIXTURE_SCOPE_END()
