#define CAF_SUITE subscription_hub

#include "net/subscription_hub.hpp"

#include "caf/test/unit_test.hpp"

#include <memory>
#include <vector>

using namespace awf;
using namespace awf::net;

namespace {

/// Records what it is handed, on the publisher's thread.
struct recorder : push_subscriber {
  std::vector<std::shared_ptr<const push_event>> got;
  void deliver(std::shared_ptr<const push_event> event) override {
    got.push_back(std::move(event));
  }
};

std::shared_ptr<const push_event> event_for(const std::string& save_id,
                                            std::int64_t turn) {
  auto e = std::make_shared<push_event>();
  e->save_id = save_id;
  e->base = core::chain_head{turn - 1, "base"};
  e->head = core::chain_head{turn, "head"};
  return e;
}

/// The origin a connection passes: its push_subscriber address.
const void* origin_of(const std::shared_ptr<recorder>& r) {
  return static_cast<const push_subscriber*>(r.get());
}

struct fixture {
  subscription_hub hub;
  std::shared_ptr<recorder> a = std::make_shared<recorder>();
  std::shared_ptr<recorder> b = std::make_shared<recorder>();
  std::shared_ptr<recorder> c = std::make_shared<recorder>();
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(subscription_hub_tests, fixture)

CAF_TEST(publish reaches the subscribers of that save only) {
  hub.subscribe("s1", a);
  hub.subscribe("s1", b);
  hub.subscribe("s2", c);
  CAF_CHECK_EQUAL(hub.subscriptions(), 3u);
  auto e = event_for("s1", 1);
  hub.publish(e);
  CAF_REQUIRE_EQUAL(a->got.size(), 1u);
  CAF_CHECK_EQUAL(a->got[0], e); // the same event, not a copy
  CAF_CHECK_EQUAL(b->got.size(), 1u);
  CAF_CHECK_EQUAL(c->got.size(), 0u);
  hub.publish(event_for("nobody", 1));
  CAF_CHECK_EQUAL(a->got.size(), 1u);
}

CAF_TEST(publish skips the origin) {
  hub.subscribe("s1", a);
  hub.subscribe("s1", b);
  hub.publish(event_for("s1", 1), origin_of(a));
  CAF_CHECK_EQUAL(a->got.size(), 0u);
  CAF_CHECK_EQUAL(b->got.size(), 1u);
  // An origin that follows nothing changes nothing.
  hub.publish(event_for("s1", 2), origin_of(c));
  CAF_CHECK_EQUAL(a->got.size(), 1u);
  CAF_CHECK_EQUAL(b->got.size(), 2u);
}

CAF_TEST(closed connections drop out) {
  hub.subscribe("s1", a);
  hub.subscribe("s1", b);
  std::weak_ptr<recorder> gone = b;
  b.reset();
  CAF_CHECK(gone.expired());
  CAF_CHECK_EQUAL(hub.subscriptions(), 1u);
  hub.publish(event_for("s1", 1)); // must not touch the expired entry
  CAF_CHECK_EQUAL(a->got.size(), 1u);
  a.reset();
  hub.publish(event_for("s1", 2));
  CAF_CHECK_EQUAL(hub.subscriptions(), 0u);
}

CAF_TEST(followed tells whether a live connection follows a save) {
  CAF_CHECK(!hub.followed("s1"));
  hub.subscribe("s1", a);
  CAF_CHECK(hub.followed("s1"));
  CAF_CHECK(!hub.followed("s2"));
  a.reset(); // closed
  CAF_CHECK(!hub.followed("s1"));
}

CAF_TEST(unsubscribe stops pushes for that save only) {
  hub.subscribe("s1", a);
  hub.subscribe("s2", a);
  hub.subscribe("s1", b);
  hub.unsubscribe("s1", a.get());
  CAF_CHECK_EQUAL(hub.subscriptions(), 2u);
  hub.publish(event_for("s1", 1));
  hub.publish(event_for("s2", 1));
  CAF_REQUIRE_EQUAL(a->got.size(), 1u);
  CAF_CHECK_EQUAL(a->got[0]->save_id, "s2");
  CAF_CHECK_EQUAL(b->got.size(), 1u);
  // Unknown saves and subscribers are ignored.
  hub.unsubscribe("s9", a.get());
  hub.unsubscribe("s1", c.get());
  CAF_CHECK_EQUAL(hub.subscriptions(), 2u);
}

CAF_TEST(subscribing twice delivers once) {
  hub.subscribe("s1", a);
  hub.subscribe("s1", a);
  CAF_CHECK_EQUAL(hub.subscriptions(), 1u);
  hub.publish(event_for("s1", 1));
  CAF_CHECK_EQUAL(a->got.size(), 1u);
}

CAF_TEST(a subscriber may unsubscribe while it is being delivered to) {
  // deliver runs outside the hub's lock, so calling back into the hub from
  // it must not deadlock.
  struct leaver : push_subscriber {
    subscription_hub* hub = nullptr;
    int calls = 0;
    void deliver(std::shared_ptr<const push_event> e) override {
      ++calls;
      hub->unsubscribe(e->save_id, this);
    }
  };
  auto l = std::make_shared<leaver>();
  l->hub = &hub;
  hub.subscribe("s1", l);
  hub.publish(event_for("s1", 1));
  hub.publish(event_for("s1", 2));
  CAF_CHECK_EQUAL(l->calls, 1);
  CAF_CHECK_EQUAL(hub.subscriptions(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
