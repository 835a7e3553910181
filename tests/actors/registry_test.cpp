#define CAF_SUITE registry

#include "caf/test/unit_test.hpp"

#include <atomic>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "core/canonical_json.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace awf;

namespace {

nlohmann::json state_of(const std::string& save_id, int turn) {
  return {{"owner", save_id}, {"turn", turn}, {"pad", std::string(200, 'p')}};
}

struct fixture : test::engine_fixture {
  /// Persists turns `from`..`to` of every save from `threads` threads at
  /// once, straight to the registry actor (as the network edge will).
  int persist_concurrently(const std::vector<std::string>& ids, int from,
                           int to, int threads) {
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    auto registry = service->registry();
    for (int w = 0; w < threads; ++w) {
      pool.emplace_back([&, w] {
        caf::scoped_actor self{sys};
        for (std::size_t i = w; i < ids.size(); i += threads)
          for (int t = from; t <= to; ++t)
            self
              ->request(registry, std::chrono::seconds{60},
                        actors::persist_atom_v,
                        actors::persist_request{ids[i], t, state_of(ids[i], t)})
              .receive([](const actors::persist_ack&) {},
                       [&](caf::error& err) {
                         CAF_MESSAGE(actors::error_message(err));
                         ++failures;
                       });
      });
    }
    for (auto& th : pool)
      th.join();
    return failures;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(registry_tests, fixture)

CAF_TEST(resident saves stay bounded and passivated saves come back) {
  auto opts = test::test_options(db.url());
  opts.max_resident_saves = 10;
  start(opts);
  std::vector<std::string> ids;
  for (int i = 0; i < 100; ++i) {
    ids.push_back(new_save());
    CAF_REQUIRE(service->persist_turn(ids.back(), 1, state_of(ids.back(), 1)));
  }
  auto stats = service->stats();
  CAF_REQUIRE(stats);
  CAF_CHECK_LESS_OR_EQUAL(stats->resident, 10u);
  CAF_CHECK_EQUAL(stats->spawned, 100u);
  // Every save reloads its head from the store and continues its chain.
  for (const auto& id : ids) {
    CAF_CHECK_EQUAL(test::value_of(service->materialize(id)).canonical,
                    core::canonicalize(state_of(id, 1)));
    CAF_CHECK(service->persist_turn(id, 2, state_of(id, 2)));
  }
  stats = service->stats();
  CAF_REQUIRE(stats);
  CAF_CHECK_LESS_OR_EQUAL(stats->resident, 10u);
  CAF_CHECK_GREATER_OR_EQUAL(stats->passivated + stats->passivating, 190u);
  for (const auto& id : ids)
    CAF_CHECK(test::value_of(service->verify(id)).ok);
}

CAF_TEST(idle saves leave memory) {
  auto opts = test::test_options(db.url());
  opts.save_idle = std::chrono::milliseconds{200};
  start(opts);
  for (int i = 0; i < 5; ++i) {
    auto id = new_save();
    CAF_REQUIRE(service->persist_turn(id, 1, state_of(id, 1)));
  }
  CAF_CHECK_EQUAL(test::value_of(service->stats()).resident, 5u);
  // Poll: the registry checks for idle saves on a timer.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (test::value_of(service->stats()).resident > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  CAF_CHECK_EQUAL(test::value_of(service->stats()).resident, 0u);
}

CAF_TEST(many saves written at once all land in order) {
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i)
    ids.push_back(new_save());
  CAF_CHECK_EQUAL(persist_concurrently(ids, 1, 25, 8), 0);
  for (const auto& id : ids) {
    auto report = service->verify(id, true);
    CAF_REQUIRE(report);
    CAF_CHECK(report->ok);
    CAF_CHECK_EQUAL(report->head.turn_id, 25);
    CAF_CHECK_EQUAL(test::value_of(service->materialize(id, 13)).canonical,
                    core::canonicalize(state_of(id, 13)));
  }
}

CAF_TEST(requests racing a passivation reach the next actor in order) {
  auto opts = test::test_options(db.url());
  opts.max_resident_saves = 1; // every switch of save passivates the other
  start(opts);
  std::vector<std::string> ids{new_save(), new_save(), new_save()};
  CAF_CHECK_EQUAL(persist_concurrently(ids, 1, 30, 3), 0);
  for (const auto& id : ids) {
    auto report = service->verify(id, true);
    CAF_REQUIRE(report);
    CAF_CHECK(report->ok);
    CAF_CHECK_EQUAL(report->head.turn_id, 30);
  }
  CAF_CHECK_GREATER(test::value_of(service->stats()).passivated, 10u);
}

CAF_TEST_FIXTURE_SCOPE_END()
