// What a player with valid tokens may send, against the real awf-syncd
// (issue 10): client ids of the wrong shape or size are refused at the edge
// and reach neither the audit trail nor the conflict table; a user token
// syncs only as one of its user's devices; expensive operations are bounded
// per user.
#define CAF_SUITE client_limits

#include "caf/test/unit_test.hpp"

#include "tests/net/api_client.hpp"
#include "tests/net/ws_client.hpp"

using namespace awf;
using namespace awf::test::api;

namespace {

/// A random UUID no save has.
const std::string missing_save = "0b7e2d4c-6a51-4f3e-9c8d-2a1b0c9d8e7f";

/// An answer that echoes a client value of this size or more is a bug.
constexpr std::size_t small_answer = 1024;

struct limits_fixture : api_fixture {
  explicit limits_fixture(
    std::vector<std::string> env = {"CLOUD_SYNC_MAX_SAVE_BYTES_MB=8"})
    : api_fixture(std::move(env)) {}

  std::string alice = token("alice");
  std::string bob = token("bob");
  std::string admin = token("root", "admin");

  /// Plays turns 1..last of a fresh save with `dev`; returns the history.
  history play(const device& dev, const save_ref& save, int last,
               const std::string& tag = "main") {
    history h{save.session_id};
    for (int t = 1; t <= last; ++t)
      h.add(game_state(t, tag));
    auto res = sync_up(dev.token, up_body(save.save_id, dev, h, 0, last));
    CAF_REQUIRE_EQUAL(res.status, 200);
    return h;
  }

  /// A history that shares turn 1 of `h` and then goes its own way.
  static history fork_of(const history& h, const std::string& session,
                         int last) {
    history other{session};
    other.add_value(h.states.at(1));
    for (int t = 2; t <= last; ++t)
      other.add(game_state(t, "fork"));
    return other;
  }

  http_reply restore(const std::string& bearer, const json& body) {
    return call_with(http::verb::post, prefix + "/save/restore", body.dump(),
                     bearer);
  }

  http_reply get(const std::string& target, const std::string& bearer) {
    return call_with(http::verb::get, prefix + target, "", bearer);
  }

  /// The stored conflict reports of a save.
  json conflicts_of(const std::string& save_id) {
    auto res = get("/save/conflicts?save_id=" + save_id, alice);
    CAF_CHECK_EQUAL(res.status, 200);
    return res.body["conflicts"];
  }

  /// A refusal in the contract's format that names `field` (when given) and
  /// does not echo the value back.
  void check_refused(const http_reply& res, int status, const std::string& code,
                     const std::string& field = "") {
    json body = res.body; // a copy: operator[] may add what is missing
    if (!body.is_object())
      body = json::object();
    CAF_CHECK_EQUAL(res.status, status);
    CAF_CHECK_EQUAL(body["error"]["code"], code);
    CAF_CHECK(body["error"]["message"].is_string());
    if (!field.empty())
      CAF_CHECK_EQUAL(body["error"]["details"]["field"], field);
    CAF_CHECK_LESS(res.raw.size(), small_answer);
    if (res.status != status)
      CAF_MESSAGE("answer: " << res.raw.substr(0, 300));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(client_id_tests, limits_fixture)

CAF_TEST(a huge save id is refused and the audit trail does not keep it) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "huge-save-id");
  history h{save.session_id};
  h.add(game_state(1));
  auto body = up_body(save.save_id, phone, h, 0, 1);
  body["save_id"] = std::string(std::size_t{5} << 20, 'a');
  check_refused(sync_up(phone.token, body), 400, "invalid_request", "save_id");
  // The same over the socket.
  test::ws_client ws{port(), phone.token};
  CAF_REQUIRE(ws.upgraded());
  body["type"] = "sync_up";
  body["req_id"] = "huge";
  CAF_REQUIRE(ws.send(body));
  auto frame = ws.read_type("error");
  CAF_REQUIRE(frame.has_value());
  CAF_CHECK_EQUAL((*frame)["req_id"], "huge");
  CAF_CHECK_EQUAL((*frame)["error"]["code"], "invalid_request");
  CAF_CHECK_LESS(frame->dump().size(), small_answer);
  // Both refusals are audited, without the id: the whole trail stays small.
  auto records =
    audit_until(admin, "device_id=phone&limit=1000", [](const json& r) {
      return count_op(r, "sync_up_rejected") >= 2;
    });
  CAF_CHECK_EQUAL(count_op(records, "sync_up_rejected"), 2u);
  auto listing = get("/admin/audit?limit=1000", admin);
  CAF_CHECK_EQUAL(listing.status, 200);
  CAF_CHECK_LESS(listing.raw.size(), std::size_t{64} << 10);
  // Nothing was stored for the save either.
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(0));
}

CAF_TEST(a huge device id in a conflicting sync up stores no conflict) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "huge-device-id");
  auto h = play(phone, save, 3);
  auto other = fork_of(h, save.session_id, 3);
  auto body = json{{"save_id", save.save_id},
                   {"device_id", std::string(std::size_t{4} << 20, 'd')},
                   {"base", h.at(1)},
                   {"turns", other.wire_turns(2, 3)},
                   {"strategy", "server_wins"}};
  check_refused(sync_up(alice, body), 400, "invalid_request", "device_id");
  CAF_CHECK_EQUAL(conflicts_of(save.save_id), json::array());
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.head());
  // The same request naming her own device is a conflict, stored once.
  body["device_id"] = phone.id;
  auto settled = sync_up(alice, body);
  CAF_CHECK_EQUAL(settled.status, 200);
  CAF_CHECK_EQUAL(settled.body["status"], "resolved");
  auto stored = conflicts_of(save.save_id);
  CAF_REQUIRE_EQUAL(stored.size(), 1u);
  CAF_CHECK_LESS(stored.dump().size(), std::size_t{4} << 10);
}

CAF_TEST(ids of the wrong shape are refused at every entry) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "shapes");
  auto h = play(phone, save, 2);
  // Under the 64 KiB body limit of these routes (a larger body is refused
  // whole, see transport), far over any id.
  const std::string big(std::size_t{32} << 10, 'z');
  // Query strings stay under the 16 KiB header limit.
  const std::string long_text(8000, 'q');
  const std::string id = save.save_id;
  // Body fields.
  check_refused(materialize(alice, {{"save_id", big}}), 400, "invalid_request",
                "save_id");
  check_refused(materialize(alice, {{"save_id", "nope"}}), 400,
                "invalid_request", "save_id");
  check_refused(materialize(alice, {{"save_id", id}, {"archive_id", big}}), 400,
                "invalid_request", "archive_id");
  check_refused(verify(alice, {{"save_id", big}, {"full", true}}), 400,
                "invalid_request", "save_id");
  check_refused(restore(alice, {{"save_id", big}, {"turn_id", 1}}), 400,
                "invalid_request", "save_id");
  check_refused(restore(alice, {{"save_id", id}, {"archive_id", big}}), 400,
                "invalid_request", "archive_id");
  auto as_other = up_body(id, phone, h, 2, 2);
  as_other["device_id"] = "no spaces allowed";
  check_refused(sync_up(alice, as_other), 400, "invalid_request", "device_id");
  // Query parameters.
  check_refused(get("/save/conflicts?save_id=" + long_text, alice), 400,
                "invalid_request", "save_id");
  check_refused(get("/sync/down?save_id=" + long_text, phone.token), 400,
                "invalid_request", "save_id");
  check_refused(
    get("/sync/down?save_id=" + id + "&since_turn=1&since_chain=" + long_text,
        phone.token),
    400, "invalid_request", "since_chain");
  check_refused(get("/admin/audit?save_id=" + long_text, admin), 400,
                "invalid_request", "save_id");
  check_refused(get("/admin/audit?device_id=" + long_text, admin), 400,
                "invalid_request", "device_id");
  check_refused(get("/admin/audit?device_id=two%20words", admin), 400,
                "invalid_request", "device_id");
  // Path segments name no resource.
  check_refused(get("/admin/device/" + long_text, admin), 404, "not_found");
  // WebSocket frames.
  test::ws_client ws{port(), phone.token};
  CAF_REQUIRE(ws.upgraded());
  for (const std::string type : {"subscribe", "unsubscribe"}) {
    CAF_MESSAGE(type);
    CAF_REQUIRE(ws.send({{"type", type}, {"req_id", type}, {"save_id", big}}));
    auto frame = ws.read_type("error");
    CAF_REQUIRE(frame.has_value());
    CAF_CHECK_EQUAL((*frame)["req_id"], type);
    CAF_CHECK_EQUAL((*frame)["error"]["code"], "invalid_request");
    CAF_CHECK_EQUAL((*frame)["error"]["details"]["field"], "save_id");
    CAF_CHECK_LESS(frame->dump().size(), small_answer);
  }
  CAF_REQUIRE(ws.send({{"type", "subscribe"},
                       {"req_id", "chain"},
                       {"save_id", id},
                       {"since_turn", 1},
                       {"since_chain", big}}));
  auto frame = ws.read_type("error");
  CAF_REQUIRE(frame.has_value());
  CAF_CHECK_EQUAL((*frame)["error"]["details"]["field"], "since_chain");
  // Well-formed requests still work on the same connection.
  CAF_REQUIRE(ws.send({{"type", "subscribe"},
                       {"req_id", "ok"},
                       {"save_id", id},
                       {"since_turn", 0}}));
  auto down = ws.read_type("sync_down");
  CAF_REQUIRE(down.has_value());
  CAF_CHECK_EQUAL((*down)["head"], h.head());
  CAF_CHECK_EQUAL(listed_head(alice, id), h.head());
}

// -- the device of a user token (contract §5) -----------------------------

CAF_TEST(a user token syncs only as one of the users own devices) {
  auto phone = add_device(alice, "phone");
  auto retired = add_device(alice, "retired");
  auto bobs = add_device(bob, "bobs-phone");
  CAF_REQUIRE_EQUAL(
    call_with(http::verb::delete_, prefix + "/devices/retired", "", alice)
      .status,
    200);
  auto save = add_save(alice, "own-devices");
  auto h = play(phone, save, 3);
  // A diverging branch: a conflict report would name the syncing device.
  auto other = fork_of(h, save.session_id, 4);
  auto body = json{{"save_id", save.save_id},
                   {"base", h.at(1)},
                   {"turns", other.wire_turns(2, 4)},
                   {"strategy", "client_wins"}};
  auto as = [&](const std::string& device_id) {
    auto b = body;
    b["device_id"] = device_id;
    return b;
  };
  auto foreign = sync_up(alice, as(bobs.id));
  auto unknown = sync_up(alice, as("nobody-has-this"));
  auto revoked = sync_up(alice, as(retired.id));
  check_refused(foreign, 403, "forbidden", "device_id");
  check_refused(unknown, 403, "forbidden", "device_id");
  check_refused(revoked, 403, "forbidden", "device_id");
  // The same answer for each: it tells nothing about other users' devices.
  CAF_CHECK_EQUAL(foreign.body, unknown.body);
  CAF_CHECK_EQUAL(foreign.body, revoked.body);
  CAF_CHECK_EQUAL(conflicts_of(save.save_id), json::array());
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.head());
  // Over the socket too.
  test::ws_client ws{port(), alice};
  CAF_REQUIRE(ws.upgraded());
  auto frame_body = as(bobs.id);
  frame_body["type"] = "sync_up";
  frame_body["req_id"] = 7;
  CAF_REQUIRE(ws.send(frame_body));
  auto frame = ws.read_type("error");
  CAF_REQUIRE(frame.has_value());
  CAF_CHECK_EQUAL((*frame)["error"]["code"], "forbidden");
  CAF_CHECK_EQUAL(conflicts_of(save.save_id), json::array());
  // Her own device is fine, and the report names it.
  auto own = sync_up(alice, as(phone.id));
  CAF_CHECK_EQUAL(own.status, 200);
  CAF_CHECK_EQUAL(own.body["status"], "resolved");
  bool named = false;
  for (const auto& branch : own.body["conflict"]["branches"])
    if (branch["branch_id"] == "client")
      named = branch["device_id"] == phone.id;
  CAF_CHECK(named);
  // Without a device id a user token still syncs (as no device).
  auto next = other;
  next.add(game_state(5, "fork"));
  auto plain = up_body(save.save_id, phone, next, 4, 5);
  plain.erase("device_id");
  CAF_CHECK_EQUAL(sync_up(alice, plain).status, 200);
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- expensive operations per user (finding 9) -------------------------------

namespace {

struct expensive_fixture : limits_fixture {
  // One a minute after a burst of three: nothing refills during a test.
  expensive_fixture()
    : limits_fixture({"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1",
                      "CLOUD_SYNC_USER_EXPENSIVE_PER_MIN=1",
                      "CLOUD_SYNC_USER_EXPENSIVE_BURST=3"}) {}
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(expensive_rate_tests, expensive_fixture)

CAF_TEST(expensive operations over a users rate are told to retry later) {
  auto phone = add_device(alice, "phone");
  auto bobs = add_device(bob, "bobs-phone");
  auto save = add_save(alice, "expensive");
  auto bobs_save = add_save(bob, "bobs-expensive");
  auto h = play(phone, save, 3);
  play(bobs, bobs_save, 2);
  // The burst: a full verify, a materialize of a stored turn, a restore.
  CAF_CHECK_EQUAL(
    verify(alice, {{"save_id", save.save_id}, {"full", true}}).status, 200);
  CAF_CHECK_EQUAL(
    materialize(phone.token, {{"save_id", save.save_id}, {"turn_id", 1}})
      .status,
    200);
  auto restored = restore(alice, {{"save_id", save.save_id}, {"turn_id", 1}});
  CAF_CHECK_EQUAL(restored.status, 200);
  json head = restored.body["head"];
  // Then every kind is refused for any of her tokens, with Retry-After.
  std::vector<http_reply> refused{
    verify(alice, {{"save_id", save.save_id}, {"full", true}}),
    materialize(phone.token, {{"save_id", save.save_id}, {"turn_id", 2}}),
    restore(alice, {{"save_id", save.save_id}, {"turn_id", 2}})};
  for (const auto& res : refused) {
    check_refused(res, 429, "rate_limited");
    auto retry = res.header("Retry-After");
    CAF_CHECK(!retry.empty() &&
              retry.find_first_not_of("0123456789") == std::string::npos);
    CAF_CHECK_GREATER_OR_EQUAL(std::atoi(retry.c_str()), 1);
  }
  // The refused restore stored nothing.
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), head);
  // Cheap reads stay open: the head, a quick verify, sync down.
  CAF_CHECK_EQUAL(materialize(alice, {{"save_id", save.save_id}}).status, 200);
  CAF_CHECK_EQUAL(verify(alice, {{"save_id", save.save_id}}).status, 200);
  CAF_CHECK_EQUAL(sync_down(phone.token, save.save_id, 0).status, 200);
  // Another user is admitted.
  CAF_CHECK_EQUAL(
    verify(bob, {{"save_id", bobs_save.save_id}, {"full", true}}).status, 200);
  CAF_CHECK_EQUAL(
    materialize(bob, {{"save_id", bobs_save.save_id}, {"turn_id", 1}}).status,
    200);
  auto metrics = call(http::verb::get, "/metrics");
  CAF_CHECK(metrics.raw.find("awf_rate_limited_total 3\n") !=
            std::string::npos);
  (void)h;
}

CAF_TEST_FIXTURE_SCOPE_END()
