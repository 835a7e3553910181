#define CAF_SUITE store_concurrency

#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/sha256.hpp"
#include "persistence/device_store.hpp"
#include "persistence/migrations.hpp"
#include "persistence/save_store.hpp"
#include "persistence/turn_writer.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;

// Several connections (as several storage workers or server processes would
// hold) race on one database. Checks run on the main thread only.

namespace {

constexpr int racers = 8;

/// Runs `body(i)` on `racers` threads released at the same moment.
template<class F>
void race(F body) {
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < racers; ++i)
    threads.emplace_back([&, i] {
      ++ready;
      while (ready.load() < racers)
        std::this_thread::yield();
      body(i);
    });
  for (auto& t : threads)
    t.join();
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(concurrency_tests, raw_database_fixture)

CAF_TEST(concurrent migrations apply each version once) {
  std::vector<std::unique_ptr<persistence::database>> conns;
  for (int i = 0; i < racers; ++i)
    conns.push_back(open_database(scratch));
  std::vector<std::string> errors(racers);
  std::vector<std::vector<int>> applied(racers);
  race([&](int i) {
    auto result = persistence::migrate(*conns[i]);
    if (result)
      applied[i] = *result;
    else
      errors[i] = result.error().message;
  });
  int total = 0;
  for (int i = 0; i < racers; ++i) {
    CAF_CHECK_EQUAL(errors[i], "");
    total += static_cast<int>(applied[i].size());
  }
  CAF_CHECK_EQUAL(total, persistence::latest_schema_version());
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations"),
                  persistence::latest_schema_version());
}

CAF_TEST(concurrent create_or_attach makes one save) {
  CAF_REQUIRE(persistence::migrate(*db));
  std::vector<std::unique_ptr<persistence::database>> conns;
  for (int i = 0; i < racers; ++i)
    conns.push_back(open_database(scratch));
  std::vector<std::string> ids(racers), errors(racers);
  std::vector<int> created(racers, 0);
  race([&](int i) {
    persistence::save_store store{*conns[i]};
    auto result = store.create_or_attach("user-a", "session-1", "1.0.0");
    if (!result) {
      errors[i] = result.error().message;
      return;
    }
    ids[i] = result->save.save_id;
    created[i] = result->created ? 1 : 0;
  });
  for (int i = 0; i < racers; ++i) {
    CAF_CHECK_EQUAL(errors[i], "");
    CAF_CHECK_EQUAL(ids[i], ids[0]);
  }
  CAF_CHECK_EQUAL(std::count(created.begin(), created.end(), 1), 1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_saves"), 1);
}

CAF_TEST(concurrent commits against one head let exactly one win) {
  CAF_REQUIRE(persistence::migrate(*db));
  persistence::save_store main_store{*db};
  auto made = main_store.create_or_attach("user-a", "session-1", "1.0.0");
  CAF_REQUIRE(made);
  const auto id = made->save.save_id;
  auto keys = make_key_ring();
  // Every racer holds a different turn 1 for the same head (as devices do).
  std::vector<persistence::turn_commit> commits;
  for (int i = 0; i < racers; ++i) {
    turn_builder b{keys, "session-1"};
    auto expected = b.head();
    auto turn = b.next(R"({"device":)" + std::to_string(i) + "}");
    commits.push_back({id, expected, {turn}});
  }
  std::vector<std::unique_ptr<persistence::database>> conns;
  for (int i = 0; i < racers; ++i)
    conns.push_back(open_database(scratch));
  std::vector<std::string> outcome(racers);
  race([&](int i) {
    persistence::turn_writer writer{*conns[i]};
    auto result = writer.commit({commits[i]});
    outcome[i] = result.size() == 1 ? code_of(result.front()) : "no outcome";
  });
  int winner = -1;
  for (int i = 0; i < racers; ++i) {
    CAF_MESSAGE("racer " << i << ": " << outcome[i]);
    if (outcome[i] == "ok")
      winner = i;
    else
      CAF_CHECK_EQUAL(outcome[i], "head_moved");
  }
  CAF_CHECK_EQUAL(std::count(outcome.begin(), outcome.end(), "ok"), 1);
  if (winner < 0)
    return;
  auto now = main_store.find_save(id);
  CAF_REQUIRE(now);
  CAF_CHECK_EQUAL(now->head.turn_id, 1);
  CAF_CHECK_EQUAL(now->head.chain_hash,
                  commits[winner].turns.front().chain_hash);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs"), 1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_blobs"), 1);
  auto usage = main_store.key_usage();
  CAF_REQUIRE(usage);
  CAF_CHECK_EQUAL((*usage)["k1"], 1u);
}

CAF_TEST(concurrent registrations of one device id let one user own it) {
  CAF_REQUIRE(persistence::migrate(*db));
  std::vector<std::unique_ptr<persistence::database>> conns;
  for (int i = 0; i < racers; ++i)
    conns.push_back(open_database(scratch));
  std::vector<std::string> outcome(racers);
  race([&](int i) {
    persistence::device_store devices{*conns[i]};
    auto user = "user-" + std::to_string(i);
    outcome[i] = code_of(devices.register_device(
      user, "dev-1", "", core::sha256_hex("token-" + user), 0));
  });
  int winner = -1;
  for (int i = 0; i < racers; ++i) {
    CAF_MESSAGE("racer " << i << ": " << outcome[i]);
    if (outcome[i] == "ok")
      winner = i;
    else
      CAF_CHECK_EQUAL(outcome[i], "conflict");
  }
  CAF_CHECK_EQUAL(std::count(outcome.begin(), outcome.end(), "ok"), 1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices"), 1);
  if (winner < 0)
    return;
  persistence::device_store devices{*db};
  auto owner = devices.find_device("dev-1");
  CAF_REQUIRE(owner);
  CAF_CHECK_EQUAL(owner->user_id_hash, "user-" + std::to_string(winner));
  CAF_CHECK_EQUAL(owner->token_hash,
                  core::sha256_hex("token-user-" + std::to_string(winner)));
}

CAF_TEST_FIXTURE_SCOPE_END()
