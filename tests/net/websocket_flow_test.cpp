// How a WebSocket connection copes with clients that send fast or read
// slowly (issue 10): a pipelining client is slowed (reading pauses while its
// replies queue up), not closed; a push is rendered once for all its
// subscribers; readers that fall behind are closed once all queued messages
// together pass CLOUD_SYNC_WS_QUEUED_MB; a refused re-subscribe keeps the
// subscription; an integer req_id is echoed as an integer.
#define CAF_SUITE websocket_flow

#include "caf/test/unit_test.hpp"

#include <memory>
#include <set>

#include "tests/net/api_client.hpp"
#include "tests/net/ws_client.hpp"

using namespace awf;
using namespace awf::test::api;

namespace {

/// Bytes of the value every big turn replaces.
constexpr std::size_t big_value = 600 * 1000;

struct flow_fixture : api_fixture {
  explicit flow_fixture(
    std::vector<std::string> env = {"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1"})
    : api_fixture(std::move(env)) {}

  std::string alice = token("alice");

  std::unique_ptr<test::ws_client> open(const device& dev) {
    auto ws = std::make_unique<test::ws_client>(port(), dev.token);
    CAF_REQUIRE(ws->upgraded());
    return ws;
  }

  static json subscribe(const std::string& save_id, const history& h,
                        const json& req_id) {
    return {{"type", "subscribe"},
            {"req_id", req_id},
            {"save_id", save_id},
            {"since_turn", h.head_turn()},
            {"since_chain", h.chain.back()}};
  }

  /// Appends a turn replacing a string of `size` bytes and syncs it up.
  void push_big(const device& dev, const save_ref& save, history& h,
                std::size_t size = big_value) {
    auto t = h.head_turn() + 1;
    h.add_value(
      json{{"turn", t},
           {"blob", std::string(size, static_cast<char>('a' + t % 26))}});
    auto res = sync_up(dev.token, up_body(save.save_id, dev, h, t - 1, t));
    CAF_REQUIRE_EQUAL(res.status, 200);
  }

  /// The value of sample `name` in /metrics (-1: missing).
  long long metric(const std::string& name) {
    auto text = call(http::verb::get, "/metrics").raw;
    auto at = text.find("\n" + name + " ");
    if (at == std::string::npos)
      return -1;
    return std::atoll(text.c_str() + at + name.size() + 2);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(websocket_flow_tests, flow_fixture)

CAF_TEST(a thousand pipelined frames all get answers and the socket stays) {
  auto phone = add_device(alice, "phone");
  auto ws = open(phone);
  std::vector<std::string> frames;
  for (int i = 0; i < 1000; ++i)
    frames.push_back(json{{"type", "nope"}, {"req_id", i}}.dump());
  CAF_REQUIRE(ws->send_at_once(frames));
  for (int i = 0; i < 1000; ++i) {
    auto msg = ws->read();
    if (!msg)
      CAF_FAIL("answer " << i << " missing; close " << ws->close_code() << " "
                         << ws->close_reason());
    CAF_CHECK_EQUAL((*msg)["type"], "error");
    CAF_CHECK_EQUAL((*msg)["req_id"], i);
  }
  CAF_REQUIRE(ws->send({{"type", "nope"}, {"req_id", "after"}}));
  auto last = ws->read();
  CAF_REQUIRE(last);
  CAF_CHECK_EQUAL((*last)["req_id"], "after");
}

CAF_TEST(sync ups past the in flight cap are refused one by one) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "inflight");
  history h{save.session_id};
  h.add(game_state(1));
  CAF_REQUIRE_EQUAL(
    sync_up(phone.token, up_body(save.save_id, phone, h, 0, 1)).status, 200);
  auto ws = open(phone);
  std::vector<std::string> frames;
  auto body = up_body(save.save_id, phone, h, 0, 1); // a replay each time
  body["type"] = "sync_up";
  for (int i = 0; i < 500; ++i) {
    body["req_id"] = i;
    frames.push_back(body.dump());
  }
  CAF_REQUIRE(ws->send_at_once(frames));
  std::set<std::int64_t> answered;
  for (int i = 0; i < 500; ++i) {
    auto msg = ws->read();
    if (!msg)
      CAF_FAIL("answer " << i << " missing; close " << ws->close_code() << " "
                         << ws->close_reason());
    answered.insert((*msg)["req_id"].get<std::int64_t>());
    if ((*msg)["type"] == "error") {
      auto code = (*msg)["error"]["code"];
      CAF_CHECK(code == "unavailable" || code == "rate_limited");
    } else {
      CAF_CHECK_EQUAL((*msg)["type"], "sync_up_result");
    }
  }
  CAF_CHECK_EQUAL(answered.size(), 500u);
  CAF_CHECK(ws->send({{"type", "nope"}, {"req_id", "after"}}));
  auto last = ws->read();
  CAF_REQUIRE(last);
  CAF_CHECK_EQUAL((*last)["req_id"], "after");
}

CAF_TEST(an integer req_id is echoed in canonical form) {
  auto phone = add_device(alice, "phone");
  auto ws = open(phone);
  auto echoed = [&](const std::string& req_id) {
    CAF_REQUIRE(ws->send_text(R"({"type":"nope","req_id":)" + req_id + "}"));
    auto text = ws->read_text();
    CAF_REQUIRE(text);
    auto at = text->find("\"req_id\":");
    CAF_REQUIRE_NOT_EQUAL(at, std::string::npos);
    auto end = text->find_first_of(",}", at);
    return text->substr(at + 9, end - at - 9);
  };
  CAF_CHECK_EQUAL(echoed("7"), "7");
  CAF_CHECK_EQUAL(echoed("7.0"), "7");
  CAF_CHECK_EQUAL(echoed("-0"), "0");
  CAF_CHECK_EQUAL(echoed("-12"), "-12");
  CAF_CHECK_EQUAL(echoed("\"x\""), "\"x\"");
}

CAF_TEST(subscribers of one save share each push) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "fanout");
  history h{save.session_id};
  constexpr int subscribers = 8;
  constexpr int pushes = 5;
  std::vector<std::unique_ptr<test::ws_client>> sockets;
  sockets.reserve(subscribers);
  for (int i = 0; i < subscribers; ++i) {
    sockets.push_back(open(phone));
    auto& ws = sockets.back();
    ws->shrink_receive_buffer();
    ws->send(subscribe(save.save_id, h, i));
    auto reply = ws->read();
    CAF_REQUIRE(reply);
    CAF_REQUIRE_EQUAL((*reply)["type"], "sync_down");
  }
  // Nobody reads while the pushes come: they wait in the server.
  for (int i = 0; i < pushes; ++i)
    push_big(tablet, save, h);
  // Each push is held once, however many queues hold it (copies would be
  // up to eight times this).
  auto queued = metric("awf_ws_queued_bytes");
  CAF_CHECK_GREATER_OR_EQUAL(queued, 0);
  CAF_CHECK_LESS_OR_EQUAL(queued,
                          static_cast<long long>(pushes * (big_value + 4096)));
  std::vector<std::string> first;
  for (auto& ws : sockets)
    ws->grow_receive_buffer();
  for (int i = 0; i < subscribers; ++i) {
    auto r = replica::from(h, 0);
    std::vector<std::string> got;
    for (int p = 0; p < pushes; ++p) {
      auto text = sockets[i]->read_text();
      CAF_REQUIRE(text);
      auto msg = json::parse(*text);
      CAF_REQUIRE_EQUAL(msg["type"], "turns");
      if (!r.apply(msg))
        CAF_FAIL(r.failure);
      got.push_back(std::move(*text));
    }
    CAF_CHECK(r.matches(h));
    if (i == 0)
      first = std::move(got);
    else
      CAF_CHECK(got == first); // the same bytes for every subscriber
  }
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

struct queue_cap_fixture : flow_fixture {
  queue_cap_fixture()
    : flow_fixture(
        {"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1", "CLOUD_SYNC_WS_QUEUED_MB=1"}) {}
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(websocket_queue_cap_tests, queue_cap_fixture)

CAF_TEST(readers that fall behind past the process wide bound are closed) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "slow-readers");
  history h{save.session_id};
  std::vector<std::unique_ptr<test::ws_client>> slow;
  slow.reserve(2);
  for (int i = 0; i < 2; ++i) {
    slow.push_back(open(phone));
    slow.back()->shrink_receive_buffer();
    slow.back()->send(subscribe(save.save_id, h, i));
    CAF_REQUIRE(slow.back()->read_type("sync_down"));
  }
  // Twelve pushes of 900 KB: more than the sockets' buffers take, and past
  // the 1 MiB bound as soon as two wait.
  constexpr int pushes = 12;
  for (int i = 0; i < pushes; ++i)
    push_big(tablet, save, h, 900 * 1000);
  for (auto& ws : slow) {
    ws->grow_receive_buffer();
    int pushed = 0;
    while (ws->read(std::chrono::seconds{5}))
      ++pushed;
    CAF_MESSAGE("a slow reader got " << pushed << " pushes, then close "
                                     << ws->close_code());
    CAF_CHECK_LESS(pushed, pushes);
    // The close frame, unless the close deadline (5 s) passed before the
    // test read: then the socket was just closed.
    CAF_CHECK(ws->close_code() == 1008 || ws->close_code() == 0);
  }
  CAF_CHECK_GREATER_OR_EQUAL(metric("awf_slow_consumers_closed_total"), 2);
  // The server goes on: a new subscriber is answered.
  auto fresh = open(phone);
  fresh->send(subscribe(save.save_id, h, "fresh"));
  auto reply = fresh->read();
  CAF_REQUIRE(reply);
  CAF_CHECK_EQUAL((*reply)["type"], "sync_down");
  CAF_CHECK_EQUAL((*reply)["head"], h.head());
}

CAF_TEST_FIXTURE_SCOPE_END()

namespace {

struct rate_fixture : flow_fixture {
  rate_fixture()
    : flow_fixture({"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1",
                    "CLOUD_SYNC_DEVICE_RATE=1", "CLOUD_SYNC_DEVICE_BURST=3"}) {}
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(websocket_resubscribe_tests, rate_fixture)

CAF_TEST(a refused re subscribe keeps the working subscription) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "keep-sub");
  history h{save.session_id};
  auto ws = open(phone);
  ws->send(subscribe(save.save_id, h, "first"));
  auto reply = ws->read();
  CAF_REQUIRE(reply);
  CAF_REQUIRE_EQUAL((*reply)["type"], "sync_down");
  // The phone spends its requests on sync downs until it is refused, then
  // subscribes again (once more if a request came back meanwhile).
  std::optional<json> again;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 10; ++i)
      if (sync_down(phone.token, save.save_id, 0).status == 429)
        break;
    ws->send(subscribe(save.save_id, h, "again"));
    again = ws->read();
    CAF_REQUIRE(again);
    if ((*again)["type"] == "error")
      break;
  }
  CAF_CHECK_EQUAL((*again)["type"], "error");
  CAF_CHECK_EQUAL((*again)["req_id"], "again");
  CAF_CHECK_EQUAL((*again)["error"]["code"], "rate_limited");
  CAF_CHECK_EQUAL(metric("awf_subscriptions"), 1);
  // Another device moves the save on: the phone is still pushed the turn.
  h.add(game_state(1));
  CAF_REQUIRE_EQUAL(
    sync_up(tablet.token, up_body(save.save_id, tablet, h, 0, 1)).status, 200);
  std::optional<json> push;
  for (int i = 0; i < 3; ++i) {
    push = ws->read_type("turns");
    if (!push || (*push)["head"] == h.head())
      break;
  }
  CAF_REQUIRE(push);
  CAF_CHECK_EQUAL((*push)["head"], h.head());
}

CAF_TEST_FIXTURE_SCOPE_END()
