#define CAF_SUITE save_routes
// In the network suite, not net_unit: it runs a real actor system, and
// ThreadSanitizer cannot follow CAF's uninstrumented mailboxes
// (tools/sanitizers.sh).

#include "net/save_routes.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <thread>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

using namespace awf;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};

  caf::strong_actor_ptr new_actor() {
    auto actor = sys.spawn([] { return caf::behavior{[](int) {}}; });
    return caf::actor_cast<caf::strong_actor_ptr>(actor);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(save_routes_tests, fixture)

CAF_TEST(a remembered actor is found until it is replaced or forgotten) {
  net::save_routes routes{10};
  CAF_CHECK(routes.find("save-a") == nullptr);
  auto first = new_actor();
  routes.remember("save-a", first);
  CAF_CHECK(routes.find("save-a") == first);
  CAF_CHECK(routes.find("save-b") == nullptr);
  auto second = new_actor();
  routes.remember("save-a", second);
  CAF_CHECK(routes.find("save-a") == second);
  routes.forget("save-a");
  CAF_CHECK(routes.find("save-a") == nullptr);
}

CAF_TEST(routes stay within their capacity) {
  net::save_routes routes{2};
  routes.remember("save-a", new_actor());
  routes.remember("save-b", new_actor());
  auto newest = new_actor();
  routes.remember("save-c", newest);
  CAF_CHECK(routes.find("save-c") == newest);
  int known = 0;
  for (const auto* id : {"save-a", "save-b", "save-c"})
    known += routes.find(id) != nullptr ? 1 : 0;
  CAF_CHECK_EQUAL(known, 2);
}

CAF_TEST(closed routes let go of their actors and remember none) {
  net::save_routes routes{10};
  auto actor = new_actor();
  auto address = actor->get()->address();
  routes.remember("save-a", std::move(actor));
  // Only the routes hold the actor now.
  CAF_CHECK(caf::actor_cast<caf::strong_actor_ptr>(address) != nullptr);
  routes.close();
  CAF_CHECK(routes.find("save-a") == nullptr);
  // Gone once the scheduler has let go of it too.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (caf::actor_cast<caf::strong_actor_ptr>(address) != nullptr &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  CAF_CHECK(caf::actor_cast<caf::strong_actor_ptr>(address) == nullptr);
  routes.remember("save-b", new_actor());
  CAF_CHECK(routes.find("save-b") == nullptr);
}

CAF_TEST_FIXTURE_SCOPE_END()
