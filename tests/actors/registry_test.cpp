#define CAF_SUITE registry

#include "caf/test/unit_test.hpp"

#include <atomic>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "core/canonical_json.hpp"
#include "core/uuid.hpp"
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

/// The code and message of a failed answer, to compare answers whole.
template<class T>
std::string failure_of(const caf::expected<T>& x) {
  if (x)
    return "(no error)";
  return std::to_string(static_cast<int>(actors::error_code(x.error()))) +
         ": " + actors::error_message(x.error());
}

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
  // The engine's clock stands still until the test moves it: however slow
  // the writes, no save is idle before that.
  auto offset = std::make_shared<std::atomic<long long>>(0);
  auto frozen = std::chrono::steady_clock::now();
  clock = [offset, frozen] {
    return frozen + std::chrono::milliseconds{offset->load()};
  };
  auto opts = test::test_options(db.url());
  opts.save_idle = std::chrono::milliseconds{200};
  start(opts);
  for (int i = 0; i < 5; ++i) {
    auto id = new_save();
    CAF_REQUIRE(service->persist_turn(id, 1, state_of(id, 1)));
  }
  CAF_CHECK_EQUAL(test::value_of(service->stats()).resident, 5u);
  *offset = 1000;
  // Poll: the registry checks for idle saves on a timer (100 ms here).
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

CAF_TEST(another users save is refused before anything of it is loaded) {
  auto alice_save = new_save("alice");
  for (int t = 1; t <= 3; ++t)
    CAF_REQUIRE(service->persist_turn(alice_save, t, state_of(alice_save, t)));
  start(test::test_options(db.url())); // nothing is in memory now
  auto missing = core::random_uuid();
  auto as_bob = [&](const std::string& save_id) {
    std::vector<std::string> answers;
    answers.push_back(failure_of(ask<actors::materialized_turn>(
      actors::materialize_atom_v, save_id, actors::head_turn,
      std::string{"bob"}, actors::request_scope{})));
    answers.push_back(failure_of(
      ask<actors::verify_report>(actors::verify_atom_v, save_id, true,
                                 std::string{"bob"}, actors::request_scope{})));
    answers.push_back(failure_of(ask<persistence::save_record>(
      actors::lookup_atom_v, save_id, std::string{"bob"})));
    actors::sync_down_request down;
    down.save_id = save_id;
    down.user_id_hash = "bob";
    answers.push_back(failure_of(
      ask<actors::sync_down_reply>(actors::sync_down_atom_v, std::move(down))));
    actors::sync_up_request up;
    up.save_id = save_id;
    up.user_id_hash = "bob";
    answers.push_back(failure_of(
      ask<actors::sync_up_reply>(actors::sync_up_atom_v, std::move(up))));
    return answers;
  };
  auto foreign = as_bob(alice_save);
  // Exactly the answers of a save that does not exist.
  CAF_CHECK_EQUAL(foreign, as_bob(missing));
  CAF_CHECK_EQUAL(foreign.front(),
                  failure_of(caf::expected<int>{actors::make_save_error(
                    actors::save_errc::not_found, "no such save")}));
  // No save actor was spawned, so no head was read or decrypted.
  auto stats = test::value_of(service->stats());
  CAF_CHECK_EQUAL(stats.spawned, 0u);
  CAF_CHECK_EQUAL(stats.resident, 0u);
  // The owner still gets the save.
  auto head = ask<actors::materialized_turn>(
    actors::materialize_atom_v, alice_save, actors::head_turn,
    std::string{"alice"}, actors::request_scope{});
  CAF_REQUIRE(head);
  CAF_CHECK_EQUAL(head->canonical, core::canonicalize(state_of(alice_save, 3)));
  CAF_CHECK_EQUAL(test::value_of(service->stats()).spawned, 1u);
  // Once in memory, the actor itself refuses bob the same way.
  CAF_CHECK_EQUAL(as_bob(alice_save), as_bob(missing));
}

CAF_TEST(requests arriving during an owner check are all answered in order) {
  auto save_id = new_save("alice");
  CAF_REQUIRE(service->persist_turn(save_id, 1, state_of(save_id, 1)));
  start(test::test_options(db.url()));
  // All sent before any answer, while the save is not in memory: the first
  // waits for the owner check and the rest queue behind it.
  caf::scoped_actor self{sys};
  auto registry = service->registry();
  auto timeout = std::chrono::seconds{60};
  auto persist = [&](int t) {
    return self->request(
      registry, timeout, actors::persist_atom_v,
      actors::persist_request{save_id, t, state_of(save_id, t)});
  };
  auto lookup = [&](const char* owner) {
    return self->request(registry, timeout, actors::lookup_atom_v, save_id,
                         std::string{owner});
  };
  auto first = lookup("alice");
  auto t2 = persist(2);
  auto foreign = lookup("bob");
  auto t3 = persist(3);
  auto last = lookup("alice");
  std::vector<std::string> answers;
  auto note_lookup = [&](const persistence::save_record& r) {
    answers.push_back("lookup " + std::to_string(r.head.turn_id));
  };
  auto note_persist = [&](const actors::persist_ack& ack) {
    answers.push_back("persist " + std::to_string(ack.head.turn_id));
  };
  auto note_error = [&](const caf::error& err) {
    answers.push_back(actors::error_message(err));
  };
  first.receive(note_lookup, note_error);
  t2.receive(note_persist, note_error);
  foreign.receive(note_lookup, note_error);
  t3.receive(note_persist, note_error);
  last.receive(note_lookup, note_error);
  CAF_CHECK_EQUAL(
    answers, (std::vector<std::string>{"lookup 1", "persist 2", "no such save",
                                       "persist 3", "lookup 3"}));
}

CAF_TEST_FIXTURE_SCOPE_END()
