// Sync down pages are bounded in bytes while they are built (issue 10): a
// save whose turns each replace a large value answers a small request with
// pages no larger than the message limit, over REST and in a WebSocket
// subscription's catch-up, and paging through them rebuilds every state.
#define CAF_SUITE sync_down_paging

#include "caf/test/unit_test.hpp"

#include "tests/net/api_client.hpp"
#include "tests/net/ws_client.hpp"

using namespace awf;
using namespace awf::test::api;

namespace {

/// The message limit with a 1 MiB state limit: the state limit plus 1 MiB.
constexpr std::size_t message_limit = std::size_t{2} << 20;

/// Bytes of the value every turn replaces: three such turns fit a page,
/// four do not.
constexpr std::size_t big_value = 600 * 1000;

struct fixture : api_fixture {
  fixture() : api_fixture({"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1"}) {}

  std::string alice = token("alice");

  /// Plays turns 1..last, each replacing a 600 KB string, one sync up each.
  history play_big(const device& dev, const save_ref& save, int last) {
    history h{save.session_id};
    for (int t = 1; t <= last; ++t) {
      h.add_value(json{
        {"turn", t},
        {"blob", std::string(big_value, static_cast<char>('a' + t % 26))}});
      auto res = sync_up(dev.token, up_body(save.save_id, dev, h, t - 1, t));
      CAF_REQUIRE_EQUAL(res.status, 200);
    }
    return h;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(sync_down_paging_tests, fixture)

CAF_TEST(a sync down page of large turns stays within the message limit) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "big-turns");
  auto h = play_big(phone, save, 10);
  auto r = replica::from(h, 1);
  int pages = 0;
  while (true) {
    auto res = sync_down(phone.token, save.save_id, r.turn, r.chain);
    CAF_REQUIRE_EQUAL(res.status, 200);
    ++pages;
    CAF_CHECK_LESS_OR_EQUAL(res.raw.size(), message_limit);
    CAF_REQUIRE(res.body["turns"].is_array());
    CAF_CHECK_GREATER_OR_EQUAL(res.body["turns"].size(), 1u);
    CAF_CHECK_EQUAL(res.body["head"], h.head());
    if (!r.apply(res.body))
      CAF_FAIL(r.failure);
    if (!res.body.value("more", false))
      break;
    CAF_REQUIRE_LESS(pages, 20);
  }
  // 9 turns of 600 KB, three a page.
  CAF_CHECK_EQUAL(pages, 3);
  CAF_CHECK(r.matches(h));
}

CAF_TEST(a subscription catches up on large turns in bounded messages) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "big-turns-ws");
  auto h = play_big(phone, save, 10);
  test::ws_client ws{port(), phone.token};
  CAF_REQUIRE(ws.upgraded());
  ws.send({{"type", "subscribe"},
           {"req_id", 1},
           {"save_id", save.save_id},
           {"since_turn", 1},
           {"since_chain", h.chain_at(1)}});
  auto r = replica::from(h, 1);
  auto text = ws.read_text();
  CAF_REQUIRE(text);
  CAF_CHECK_LESS_OR_EQUAL(text->size(), message_limit);
  auto first = json::parse(*text);
  CAF_REQUIRE_EQUAL(first["type"], "sync_down");
  CAF_CHECK_EQUAL(first["more"], true);
  if (!r.apply(first))
    CAF_FAIL(r.failure);
  // The connection sends the remaining pages itself, each bounded too.
  for (int i = 0; i < 20 && r.turn < h.head_turn(); ++i) {
    text = ws.read_text();
    CAF_REQUIRE(text);
    CAF_CHECK_LESS_OR_EQUAL(text->size(), message_limit);
    auto msg = json::parse(*text);
    CAF_REQUIRE_EQUAL(msg["type"], "turns");
    if (!r.apply(msg))
      CAF_FAIL(r.failure);
  }
  CAF_CHECK(r.matches(h));
  CAF_CHECK(ws.open());
}

CAF_TEST_FIXTURE_SCOPE_END()
