#define CAF_SUITE websocket

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "core/canonical_json.hpp"
#include "persistence/database.hpp"
#include "tests/net/api_client.hpp"
#include "tests/net/ws_client.hpp"

using namespace awf;
namespace http = boost::beast::http;
using json = nlohmann::json;
// The client model the REST suites share: a device, the history it plays,
// and the replica that follows it (sync down bodies and pushes alike).
using test::api::device;
using test::api::history;
using test::api::replica;

namespace {

const std::string api = "/api/awf-cloud-sync";

/// A game state that changes a little every turn.
std::string game_state(int turn) {
  std::string log = "[";
  for (int i = 1; i <= turn; ++i)
    log +=
      (i > 1 ? "," : "") + std::string{"\"move "} + std::to_string(i) + "\"";
  log += "]";
  return R"({"turn":)" + std::to_string(turn) + R"(,"player":{"hp":)" +
         std::to_string(100 - turn % 37) + R"(,"pos":[)" +
         std::to_string(turn % 11) + "," + std::to_string(turn * 3 % 7) +
         R"(]},"log":)" + log + R"(,"name":"Zoë"})";
}

struct fixture : test::server_fixture {
  fixture() : server_fixture({"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1"}) {}

  std::string alice = token("alice");

  device register_device(const std::string& user_token, const std::string& id) {
    auto res = call(http::verb::post, api + "/devices",
                    json{{"device_id", id}, {"label", id}}.dump(), user_token);
    CAF_REQUIRE_EQUAL(res.status, 201);
    return {res.body["device_id"].get<std::string>(),
            res.body["sync_token"].get<std::string>()};
  }

  /// Creates a save; returns its id and session.
  std::pair<std::string, std::string> create_save(const std::string& bearer,
                                                  const std::string& session) {
    auto res = call(http::verb::post, api + "/saves",
                    json{{"session_id", session}}.dump(), bearer);
    CAF_REQUIRE_EQUAL(res.status, 201);
    return {res.body["save_id"].get<std::string>(), session};
  }

  test::ws_client connect(const std::string& bearer,
                          const std::string& protocols = "") {
    return test::ws_client{port(), bearer, protocols};
  }

  static json subscribe(const std::string& save_id, const json& since,
                        const std::string& req_id) {
    return {{"type", "subscribe"},
            {"req_id", req_id},
            {"save_id", save_id},
            {"since_turn", since["turn_id"]},
            {"since_chain", since["chain_hash"]}};
  }

  static json sync_up(const std::string& req_id, const std::string& save_id,
                      const device& dev, const history& h, std::int64_t base,
                      std::int64_t last) {
    return {{"type", "sync_up"},
            {"req_id", req_id},
            {"save_id", save_id},
            {"device_id", dev.id},
            {"base",
             {{"turn_id", base},
              {"chain_hash", h.chain[static_cast<std::size_t>(base)]}}},
            {"turns", h.wire_turns(base + 1, last)}};
  }

  /// Rebuilds the save over REST from (since_turn, since_chain), following
  /// `more` pages, into `r`.
  bool rest_sync_down(const std::string& bearer, const std::string& save_id,
                      std::int64_t since_turn, std::string since_chain,
                      replica& r) {
    for (int page = 0; page < 100; ++page) {
      auto res = call(http::verb::get,
                      api + "/sync/down?save_id=" + save_id +
                        "&since_turn=" + std::to_string(since_turn) +
                        "&since_chain=" + since_chain,
                      "", bearer);
      if (res.status != 200) {
        CAF_MESSAGE("sync down answered " << res.status << ": " << res.raw);
        return false;
      }
      if (!r.apply(res.body))
        return false;
      if (!res.body.value("more", false))
        return true;
      since_turn = r.turn;
      since_chain = r.chain;
    }
    return false;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(websocket_tests, fixture)

CAF_TEST(a sync token in the authorization header opens a socket) {
  auto phone = register_device(alice, "phone");
  auto [save_id, session] = create_save(alice, "ws-header");
  history h{session};
  auto ws = connect(phone.token);
  CAF_REQUIRE(ws.upgraded());
  CAF_CHECK_EQUAL(ws.status(), 101);
  CAF_CHECK_EQUAL(ws.subprotocol(), "");
  ws.send(subscribe(save_id, h.head(), "r1"));
  auto reply = ws.read();
  CAF_REQUIRE(reply);
  CAF_CHECK_EQUAL((*reply)["type"], "sync_down");
  CAF_CHECK_EQUAL((*reply)["req_id"], "r1");
  CAF_CHECK_EQUAL((*reply)["head"], h.head());
}

CAF_TEST(a token in the subprotocol list opens a socket selecting awf v1) {
  auto tablet = register_device(alice, "tablet");
  auto [save_id, session] = create_save(alice, "ws-protocol");
  history h{session};
  auto ws = connect("", "awf.v1, bearer." + tablet.token);
  CAF_REQUIRE(ws.upgraded());
  CAF_CHECK_EQUAL(ws.subprotocol(), "awf.v1");
  ws.send(subscribe(save_id, h.head(), "r1"));
  auto reply = ws.read();
  CAF_REQUIRE(reply);
  CAF_CHECK_EQUAL((*reply)["type"], "sync_down");
  CAF_CHECK_EQUAL((*reply)["head"], h.head());
  // A user token works too, as for REST.
  auto user = connect(alice);
  CAF_CHECK(user.upgraded());
}

CAF_TEST(bad or missing tokens are answered 401 without upgrade) {
  for (const auto& bearer :
       {std::string{"awfs1.not-a-token"}, std::string{"nonsense"},
        token("alice", "user", -10), std::string{}}) {
    auto ws = connect(bearer);
    CAF_CHECK(!ws.upgraded());
    CAF_CHECK_EQUAL(ws.status(), 401);
    CAF_CHECK(ws.body()["error"]["code"] == "unauthorized" ||
              ws.body()["error"]["code"] == "token_expired");
    CAF_CHECK(ws.body()["error"]["message"].is_string());
  }
  auto by_protocol = connect("", "awf.v1, bearer.nonsense");
  CAF_CHECK(!by_protocol.upgraded());
  CAF_CHECK_EQUAL(by_protocol.status(), 401);
  // A plain GET of the WebSocket path is told to upgrade.
  auto plain = call(http::verb::get, api + "/ws", "", alice);
  CAF_CHECK_EQUAL(plain.status, 426);
}

CAF_TEST(malformed frames get error frames and the socket stays open) {
  auto phone = register_device(alice, "phone");
  auto [save_id, session] = create_save(alice, "ws-errors");
  history h{session};
  auto ws = connect(phone.token);
  CAF_REQUIRE(ws.upgraded());
  auto expect_error = [&](const std::string& text, const std::string& code,
                          const json& req_id) {
    CAF_REQUIRE(ws.send_text(text));
    auto reply = ws.read();
    CAF_REQUIRE(reply);
    CAF_CHECK_EQUAL((*reply)["type"], "error");
    CAF_CHECK_EQUAL((*reply)["req_id"], req_id);
    CAF_CHECK_EQUAL((*reply)["error"]["code"], code);
    CAF_CHECK((*reply)["error"]["message"].is_string());
  };
  expect_error("{not json", "invalid_json", nullptr);
  expect_error(R"({"type":"subscribe","type":"sync_up"})", "invalid_json",
               nullptr);
  expect_error("[1,2]", "invalid_request", nullptr);
  expect_error(R"({"req_id":7})", "invalid_request", 7);
  expect_error(R"({"type":"dance","req_id":"x"})", "invalid_request", "x");
  expect_error(R"({"type":"subscribe","req_id":"s","save_id":5})",
               "invalid_request", "s");
  expect_error(R"({"type":"subscribe","req_id":"s","save_id":"nope"})",
               "invalid_request", "s");
  // A well-formed id of no save is not found.
  expect_error(R"({"type":"subscribe","req_id":"s","save_id":)"
               R"("0b7e2d4c-6a51-4f3e-9c8d-2a1b0c9d8e7f"})",
               "not_found", "s");
  // A refused sync up comes back as an error frame too.
  h.add(game_state(1));
  auto foreign = sync_up("u", save_id, phone, h, 0, 1);
  foreign["device_id"] = "someone-else";
  CAF_REQUIRE(ws.send(foreign));
  auto refused = ws.read();
  CAF_REQUIRE(refused);
  CAF_CHECK_EQUAL((*refused)["type"], "error");
  CAF_CHECK_EQUAL((*refused)["req_id"], "u");
  CAF_CHECK_EQUAL((*refused)["error"]["code"], "forbidden");
  // Still serving.
  ws.send(subscribe(save_id, history{session}.head(), "ok"));
  auto reply = ws.read();
  CAF_REQUIRE(reply);
  CAF_CHECK_EQUAL((*reply)["type"], "sync_down");
  CAF_CHECK_EQUAL((*reply)["req_id"], "ok");
}

CAF_TEST(a frame over the message limit closes the socket) {
  auto phone = register_device(alice, "phone");
  auto ws = connect(phone.token);
  CAF_REQUIRE(ws.upgraded());
  // The limit is the state limit (1 MiB here) plus 1 MiB. A message just
  // under it, in several frames, is served.
  auto [save_id, session] = create_save(alice, "ws-big");
  auto fine = subscribe(save_id, history{session}.head(), "fine");
  fine["pad"] = std::string((std::size_t{2} << 20) - 4096, 'x');
  CAF_REQUIRE(ws.send_fragmented(fine.dump(), 7));
  auto served = ws.read();
  CAF_REQUIRE(served);
  CAF_CHECK_EQUAL((*served)["type"], "sync_down");
  CAF_CHECK_EQUAL((*served)["req_id"], "fine");
  std::string big = R"({"type":"sync_up","pad":")" +
                    std::string((std::size_t{2} << 20) + 1024, 'x') + "\"}";
  CAF_CHECK(ws.send_text(big));
  auto reply = ws.read();
  CAF_REQUIRE(reply);
  CAF_CHECK_EQUAL((*reply)["type"], "error");
  CAF_CHECK_EQUAL((*reply)["error"]["code"], "payload_too_large");
  CAF_CHECK(!ws.read());
  CAF_CHECK(!ws.open());
  CAF_CHECK_EQUAL(ws.close_code(), 1009);
  // The server goes on serving others.
  auto other = connect(phone.token);
  CAF_CHECK(other.upgraded());
}

CAF_TEST(a member too large to read is refused like a malformed one) {
  // The members a message is read by may take at most 64 KiB as trees
  // (the budget itself: json_document_test); past it a member reads as no
  // value: a 100,000-element since_chain is refused as malformed.
  auto phone = register_device(alice, "phone");
  auto ws = connect(phone.token);
  CAF_REQUIRE(ws.upgraded());
  auto [save_id, session] = create_save(alice, "ws-members");
  auto msg = subscribe(save_id, history{session}.head(), "big");
  msg["since_chain"] = json(std::vector<int>(100'000, 0));
  CAF_REQUIRE(ws.send_text(msg.dump()));
  auto reply = ws.read();
  CAF_REQUIRE(reply);
  CAF_CHECK_EQUAL((*reply)["type"], "error");
  CAF_CHECK_EQUAL((*reply)["req_id"], "big");
  CAF_CHECK_EQUAL((*reply)["error"]["code"], "invalid_request");
  // The socket goes on serving.
  CAF_REQUIRE(
    ws.send_text(subscribe(save_id, history{session}.head(), "ok").dump()));
  auto served = ws.read();
  CAF_REQUIRE(served);
  CAF_CHECK_EQUAL((*served)["req_id"], "ok");
  CAF_CHECK_EQUAL((*served)["type"], "sync_down");
}

CAF_TEST(two devices of one user follow one save) {
  auto phone = register_device(alice, "phone");
  auto tablet = register_device(alice, "tablet");
  auto [save_id, session] = create_save(alice, "ws-two-devices");
  history h{session};
  auto a = connect(phone.token);
  auto b = connect("", "awf.v1, bearer." + tablet.token);
  CAF_REQUIRE(a.upgraded() && b.upgraded());
  replica ra;
  replica rb;
  // Both follow the save from the start.
  b.send(subscribe(save_id, h.head(), "b-sub"));
  auto b_reply = b.read();
  CAF_REQUIRE(b_reply && (*b_reply)["type"] == "sync_down");
  CAF_REQUIRE(rb.apply(*b_reply));
  a.send(subscribe(save_id, h.head(), "a-sub"));
  auto a_reply = a.read();
  CAF_REQUIRE(a_reply && (*a_reply)["type"] == "sync_down");
  CAF_REQUIRE(ra.apply(*a_reply));
  CAF_CHECK_EQUAL(rb.turn, 0);
  CAF_CHECK_EQUAL(rb.chain, h.chain[0]);
  // A plays three turns, then two more; B is pushed each change.
  for (int t = 1; t <= 5; ++t)
    h.add(game_state(t));
  CAF_REQUIRE(a.send(sync_up("a1", save_id, phone, h, 0, 3)));
  auto a1 = a.read();
  CAF_REQUIRE(a1);
  CAF_CHECK_EQUAL((*a1)["type"], "sync_up_result");
  CAF_CHECK_EQUAL((*a1)["req_id"], "a1");
  CAF_CHECK_EQUAL((*a1)["status"], "fast_forward");
  CAF_CHECK_EQUAL((*a1)["head"]["turn_id"], 3);
  CAF_CHECK_EQUAL((*a1)["head"]["chain_hash"], h.chain[3]);
  CAF_REQUIRE(a.send(sync_up("a2", save_id, phone, h, 3, 5)));
  auto a2 = a.read();
  CAF_REQUIRE(a2);
  CAF_CHECK_EQUAL((*a2)["type"], "sync_up_result");
  CAF_CHECK_EQUAL((*a2)["req_id"], "a2");
  CAF_CHECK_EQUAL((*a2)["head"]["chain_hash"], h.chain[5]);
  while (rb.turn < 5) {
    auto push = b.read();
    CAF_REQUIRE(push);
    CAF_REQUIRE_EQUAL((*push)["type"], "turns");
    CAF_CHECK_EQUAL((*push)["save_id"], save_id);
    CAF_REQUIRE(rb.apply(*push));
    CAF_CHECK_EQUAL((*push)["head"]["turn_id"], rb.turn);
    CAF_CHECK_EQUAL((*push)["head"]["chain_hash"], rb.chain);
  }
  CAF_CHECK(rb.matches(h));
  // B plays turn 6 over its socket: B gets its reply, A a push. A's first
  // message since its own replies is that push, so A was not pushed its
  // own turns.
  h.add(game_state(6));
  CAF_REQUIRE(b.send(sync_up("b1", save_id, tablet, h, 5, 6)));
  auto b1 = b.read();
  CAF_REQUIRE(b1);
  CAF_CHECK_EQUAL((*b1)["type"], "sync_up_result");
  CAF_CHECK_EQUAL((*b1)["req_id"], "b1");
  CAF_CHECK_EQUAL((*b1)["head"]["chain_hash"], h.chain[6]);
  auto a_push = a.read();
  CAF_REQUIRE(a_push);
  CAF_REQUIRE_EQUAL((*a_push)["type"], "turns");
  CAF_CHECK_EQUAL((*a_push)["head"]["turn_id"], 6);
  CAF_REQUIRE_EQUAL((*a_push)["turns"].size(), 1u);
  ra.turn = 5; // A holds its own turns up to 5
  ra.chain = h.chain[5];
  ra.state = h.states[5];
  CAF_REQUIRE(ra.apply(*a_push));
  CAF_CHECK(ra.matches(h));
  // Likewise B's next message is A's turn 7, not its own turn 6.
  h.add(game_state(7));
  CAF_REQUIRE(a.send(sync_up("a3", save_id, phone, h, 6, 7)));
  auto a3 = a.read();
  CAF_REQUIRE(a3 && (*a3)["type"] == "sync_up_result");
  auto b_push = b.read();
  CAF_REQUIRE(b_push);
  CAF_REQUIRE_EQUAL((*b_push)["type"], "turns");
  CAF_CHECK_EQUAL((*b_push)["head"]["turn_id"], 7);
  rb.turn = 6;
  rb.chain = h.chain[6];
  rb.state = h.states[6];
  CAF_REQUIRE(rb.apply(*b_push));
  CAF_CHECK(rb.matches(h));
  // B's REST sync down from several points rebuilds A's bytes and chain.
  for (std::int64_t since : {0, 1, 2, 5, 7}) {
    replica r;
    r.turn = since;
    r.chain = h.chain[static_cast<std::size_t>(since)];
    r.state = h.states[static_cast<std::size_t>(since)];
    CAF_REQUIRE(rest_sync_down(tablet.token, save_id, since,
                               h.chain[static_cast<std::size_t>(since)], r));
    CAF_CHECK(r.matches(h));
    CAF_CHECK_EQUAL(core::canonicalize(r.state), h.canonical.back());
  }
  // From a point that is not on the chain: a snapshot, then the same head.
  replica lost;
  CAF_REQUIRE(
    rest_sync_down(tablet.token, save_id, 3, std::string(64, 'b'), lost));
  CAF_CHECK(lost.matches(h));
}

CAF_TEST(a subscriber far behind gets the rest as turns pushes) {
  auto phone = register_device(alice, "phone");
  auto tablet = register_device(alice, "tablet");
  auto [save_id, session] = create_save(alice, "ws-far-behind");
  history h{session};
  for (int t = 1; t <= 250; ++t)
    h.add(game_state(t));
  auto a = connect(phone.token);
  CAF_REQUIRE(a.upgraded());
  CAF_REQUIRE(a.send(sync_up("a1", save_id, phone, h, 0, 250)));
  auto a1 = a.read();
  CAF_REQUIRE(a1);
  CAF_REQUIRE_EQUAL((*a1)["type"], "sync_up_result");
  CAF_CHECK_EQUAL((*a1)["head"]["turn_id"], 250);
  // B knows turn 1 only; sync down pages are smaller than 249 turns, so the
  // reply says "more" and the session sends the rest on its own.
  auto b = connect(tablet.token);
  CAF_REQUIRE(b.upgraded());
  b.send(subscribe(save_id, json{{"turn_id", 1}, {"chain_hash", h.chain[1]}},
                   "b-sub"));
  replica rb;
  rb.turn = 1;
  rb.chain = h.chain[1];
  rb.state = h.states[1];
  auto reply = b.read();
  CAF_REQUIRE(reply);
  CAF_REQUIRE_EQUAL((*reply)["type"], "sync_down");
  CAF_CHECK_EQUAL((*reply)["head"]["turn_id"], 250);
  CAF_REQUIRE(rb.apply(*reply));
  CAF_MESSAGE("the reply carried turns up to " << rb.turn);
  while (rb.turn < 250) {
    auto push = b.read();
    CAF_REQUIRE(push);
    CAF_REQUIRE_EQUAL((*push)["type"], "turns");
    CAF_REQUIRE(rb.apply(*push));
  }
  CAF_CHECK(rb.matches(h));
  // Then live pushes continue from there.
  h.add(game_state(251));
  CAF_REQUIRE(a.send(sync_up("a2", save_id, phone, h, 250, 251)));
  CAF_REQUIRE(a.read_type("sync_up_result"));
  auto live = b.read();
  CAF_REQUIRE(live);
  CAF_REQUIRE_EQUAL((*live)["type"], "turns");
  CAF_REQUIRE(rb.apply(*live));
  CAF_CHECK(rb.matches(h));
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

struct limited_fixture : test::server_fixture {
  limited_fixture() : server_fixture({"CLOUD_SYNC_MAX_CONNECTIONS=2"}) {}
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(websocket_limit_tests, limited_fixture)

CAF_TEST(connections over the limit are answered 503 with retry after) {
  auto alice = token("alice");
  auto first = test::ws_client{port(), alice};
  auto second = test::ws_client{port(), alice};
  CAF_REQUIRE(first.upgraded() && second.upgraded());
  auto refused = call(http::verb::get, "/healthz");
  CAF_CHECK_EQUAL(refused.status, 503);
  CAF_CHECK_EQUAL(refused.body["error"]["code"], "unavailable");
  CAF_CHECK_EQUAL(refused.header("Retry-After"), "1");
  auto third = test::ws_client{port(), alice};
  CAF_CHECK(!third.upgraded());
  CAF_CHECK_EQUAL(third.status(), 503);
  // A closed socket frees its slot (the server counts it once the close
  // handshake is over, so give it a moment by asking until it answers).
  first.close();
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i)
    status = call(http::verb::get, "/healthz").status;
  CAF_CHECK_EQUAL(status, 200);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(websocket_stop_tests, fixture)

CAF_TEST(the server closes sockets with going away when it stops) {
  auto phone = register_device(alice, "phone");
  auto ws = connect(phone.token);
  CAF_REQUIRE(ws.upgraded());
  // Read while the server stops, so that the close handshake completes.
  int exit_code = -1;
  std::thread stopper{[&] { exit_code = stop(); }};
  auto msg = ws.read();
  stopper.join();
  CAF_CHECK(!msg);
  CAF_CHECK_EQUAL(ws.close_code(), 1001);
  CAF_CHECK_EQUAL(exit_code, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(websocket_revocation_tests, fixture)

CAF_TEST(revoking or rotating a device closes its open sockets) {
  // Closed with policy code 1008 and a reason naming why, after an error
  // frame saying so: not 1001 "going away", which invites a reconnect with
  // the same token.
  auto phone = register_device(alice, "phone");
  auto tablet = register_device(alice, "tablet");
  auto phone_ws = connect(phone.token);
  auto tablet_ws = connect(tablet.token);
  CAF_REQUIRE(phone_ws.upgraded());
  CAF_REQUIRE(tablet_ws.upgraded());
  auto revoked =
    call(http::verb::delete_, api + "/devices/phone", "", alice).status;
  CAF_REQUIRE_EQUAL(revoked, 200);
  auto told = phone_ws.read();
  CAF_REQUIRE(told);
  CAF_CHECK_EQUAL((*told)["type"], "error");
  CAF_CHECK_EQUAL((*told)["error"]["code"], "token_revoked");
  CAF_CHECK(!phone_ws.read());
  CAF_CHECK_EQUAL(phone_ws.close_code(), 1008);
  CAF_CHECK_EQUAL(phone_ws.close_reason(), "token_revoked");
  // Another device's socket stays open until its own token is rotated.
  CAF_CHECK(tablet_ws.open());
  auto rotated =
    call(http::verb::post, api + "/devices/tablet/rotate", "", tablet.token)
      .status;
  CAF_REQUIRE_EQUAL(rotated, 200);
  told = tablet_ws.read();
  CAF_REQUIRE(told);
  CAF_CHECK_EQUAL((*told)["error"]["code"], "token_replaced");
  CAF_CHECK(!tablet_ws.read());
  CAF_CHECK_EQUAL(tablet_ws.close_code(), 1008);
  CAF_CHECK_EQUAL(tablet_ws.close_reason(), "token_replaced");
}

CAF_TEST(registering a device again closes the sockets of its old token) {
  auto phone = register_device(alice, "phone");
  auto [save_id, session] = create_save(alice, "ws-reregister");
  history h{session};
  h.add(game_state(1));
  auto old_ws = connect(phone.token);
  CAF_REQUIRE(old_ws.upgraded());
  // The same device_id again: a new sync token; the old one's socket must
  // not go on speaking for the device.
  auto again = register_device(alice, "phone");
  CAF_REQUIRE_NOT_EQUAL(again.token, phone.token);
  old_ws.send(sync_up("late", save_id, phone, h, 0, 1));
  auto told = old_ws.read();
  CAF_REQUIRE(told);
  CAF_CHECK_EQUAL((*told)["type"], "error");
  CAF_CHECK_EQUAL((*told)["error"]["code"], "token_replaced");
  CAF_CHECK(!old_ws.read());
  CAF_CHECK_EQUAL(old_ws.close_code(), 1008);
  CAF_CHECK_EQUAL(old_ws.close_reason(), "token_replaced");
  // The sync up sent on it was not accepted: the save is still at turn 0.
  auto listed = call(http::verb::get, api + "/saves", "", alice);
  CAF_REQUIRE_EQUAL(listed.body["saves"].size(), 1u);
  CAF_CHECK_EQUAL(listed.body["saves"][0]["head"]["turn_id"], 0);
  // The new token opens a socket that syncs.
  auto new_ws = connect(again.token);
  CAF_REQUIRE(new_ws.upgraded());
  new_ws.send(sync_up("fresh", save_id, again, h, 0, 1));
  auto result = new_ws.read();
  CAF_REQUIRE(result);
  CAF_CHECK_EQUAL((*result)["type"], "sync_up_result");
  CAF_CHECK_EQUAL((*result)["req_id"], "fresh");
}

CAF_TEST(a socket closes when its token expires) {
  // A user token with a few seconds to live (enough to open the socket on a
  // slow, sanitized build): the socket opens, then is told and closed
  // (policy violation) when the token ends.
  auto user_ws = connect(token("alice", "user", 5));
  CAF_REQUIRE(user_ws.upgraded());
  auto told = user_ws.read();
  CAF_REQUIRE(told);
  CAF_CHECK_EQUAL((*told)["type"], "error");
  CAF_CHECK_EQUAL((*told)["error"]["code"], "token_expired");
  CAF_CHECK(!user_ws.read());
  CAF_CHECK_EQUAL(user_ws.close_code(), 1008);
  CAF_CHECK_EQUAL(user_ws.close_reason(), "token_expired");
  // A sync token whose expiry (set in the store before its first use) comes
  // in a few seconds; another device's socket stays open.
  auto phone = register_device(alice, "phone");
  auto tablet = register_device(alice, "tablet");
  persistence::database_options opts;
  opts.url = db.url();
  auto conn = persistence::database::open(opts);
  CAF_REQUIRE(conn);
  auto soon = std::chrono::duration_cast<std::chrono::milliseconds>(
                (std::chrono::system_clock::now() + std::chrono::seconds{5})
                  .time_since_epoch())
                .count();
  CAF_REQUIRE((*conn)->execute(
    "UPDATE awf_devices SET expires_at_ms = " + std::to_string(soon) +
    " WHERE device_id = '" + phone.id + "'"));
  auto phone_ws = connect(phone.token);
  auto tablet_ws = connect(tablet.token);
  CAF_REQUIRE(phone_ws.upgraded());
  CAF_REQUIRE(tablet_ws.upgraded());
  told = phone_ws.read();
  CAF_REQUIRE(told);
  CAF_CHECK_EQUAL((*told)["error"]["code"], "token_expired");
  CAF_CHECK(!phone_ws.read());
  CAF_CHECK_EQUAL(phone_ws.close_code(), 1008);
  // The tablet's socket still answers.
  CAF_REQUIRE(tablet_ws.send_text("[1]"));
  auto alive = tablet_ws.read();
  CAF_REQUIRE(alive);
  CAF_CHECK_EQUAL((*alive)["error"]["code"], "invalid_request");
  // The expired token no longer opens a socket.
  auto again = connect(phone.token);
  CAF_CHECK(!again.upgraded());
  CAF_CHECK_EQUAL(again.status(), 401);
  CAF_CHECK_EQUAL(again.body()["error"]["code"], "token_expired");
}

CAF_TEST_FIXTURE_SCOPE_END()
