#define CAF_SUITE conflict_race

#include "caf/test/unit_test.hpp"

#include <atomic>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "actors/save_registry.hpp"
#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "persistence/archive_store.hpp"
#include "persistence/save_store.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace awf;
using json = nlohmann::json;

namespace {

constexpr int device_count = 8;
constexpr int rounds_per_device = 40;

const char* const strategies[] = {"server_wins", "client_wins", "longest_chain",
                                  "three_way_merge", "manual"};

/// A turn as the device computed it: its id and chain hash.
using turn_key = std::pair<std::int64_t, std::string>;

struct outcome_log {
  std::mutex mutex;
  std::vector<turn_key> acknowledged; ///< accepted into the head chain
  std::vector<turn_key> sent; ///< turns of every request that was answered
  std::atomic<int> conflicts{0};
  std::atomic<int> unexpected{0};
  std::vector<std::string> errors;
};

/// One device: plays on top of the head it last heard of, with a strategy
/// of its own per round; other devices race it all the time.
void play_device(caf::actor_system& sys, actors::save_registry_actor registry,
                 std::string save_id, std::string owner, core::chain_head head,
                 int device, outcome_log& log) {
  caf::scoped_actor self{sys};
  std::mt19937 rng{static_cast<unsigned>(1000 + device)};
  auto refresh = [&] {
    self
      ->request(registry, std::chrono::seconds{60}, actors::materialize_atom_v,
                save_id, actors::head_turn, owner, actors::request_scope{})
      .receive(
        [&](const actors::materialized_turn& t) {
          head = {t.turn_id, t.chain_hash};
        },
        [&](const caf::error&) { ++log.unexpected; });
  };
  for (int round = 0; round < rounds_per_device; ++round) {
    actors::sync_up_request req;
    req.save_id = save_id;
    req.user_id_hash = owner;
    req.device_id = "device-" + std::to_string(device);
    req.base = head;
    req.strategy = strategies[rng() % std::size(strategies)];
    std::vector<turn_key> mine;
    auto chain = head.chain_hash;
    int count = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < count; ++k) {
      core::incoming_turn turn;
      turn.turn_id = head.turn_id + 1 + k;
      json state{{"device", device},
                 {"round", round},
                 {"k", k},
                 {"gold", static_cast<int>(rng() % 1000)},
                 {"inventory", json::array({device, round})}};
      chain = core::chain_next(chain, turn.turn_id,
                               core::state_hash(core::canonicalize(state)));
      mine.emplace_back(turn.turn_id, chain);
      turn.state = core::canonicalize(state);
      req.turns.push_back(std::move(turn));
    }
    self
      ->request(registry, std::chrono::seconds{60}, actors::sync_up_atom_v,
                std::move(req))
      .receive(
        [&](const actors::sync_up_reply& reply) {
          if (reply.conflict)
            ++log.conflicts;
          std::lock_guard<std::mutex> guard{log.mutex};
          log.sent.insert(log.sent.end(), mine.begin(), mine.end());
          for (auto id : reply.accepted)
            for (const auto& key : mine)
              if (key.first == id)
                log.acknowledged.push_back(key);
          head = reply.head;
        },
        [&](const caf::error& err) {
          // A base that left the chain (another device's branch won) is
          // the one refusal a racing device should see; it re-reads the
          // head and plays on.
          if (actors::error_code(err) != actors::save_errc::unknown_base) {
            ++log.unexpected;
            std::lock_guard<std::mutex> guard{log.mutex};
            log.errors.push_back(actors::error_message(err));
          }
          refresh();
        });
  }
}

/// Every (turn, chain hash) of the head chain and of every archive.
std::set<turn_key> kept_turns(const std::string& url,
                              const std::string& save_id) {
  persistence::database_options opts;
  opts.url = url;
  auto db = persistence::database::open(opts);
  if (!db)
    throw std::runtime_error(db.error().message);
  persistence::save_store saves{**db};
  persistence::archive_store archives{**db};
  std::set<turn_key> kept;
  auto save = saves.find_save(save_id);
  if (!save)
    throw std::runtime_error(save.error().message);
  auto chain = saves.load_turns(save_id, 1, save->head.turn_id, false);
  if (!chain)
    throw std::runtime_error(chain.error().message);
  for (const auto& t : *chain)
    kept.emplace(t.turn_id, t.chain_hash);
  auto list = archives.list_archives(save_id, 1u << 20);
  if (!list)
    throw std::runtime_error(list.error().message);
  for (const auto& a : *list) {
    auto turns = archives.load_archive_turns(a.archive_id, a.fork_turn + 1,
                                             a.fork_turn + a.turn_count, false);
    if (!turns)
      throw std::runtime_error(turns.error().message);
    for (const auto& t : *turns)
      kept.emplace(t.turn_id, t.chain_hash);
  }
  return kept;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(conflict_race, test::engine_fixture)

CAF_TEST(racing devices never lose an acknowledged turn) {
  const std::string owner = "racer";
  auto save_id = new_save(owner);
  auto first = service->persist_turn(save_id, 1, json{{"gold", 0}});
  CAF_REQUIRE(first);
  outcome_log log;
  std::vector<std::thread> devices;
  for (int d = 0; d < device_count; ++d)
    devices.emplace_back(play_device, std::ref(sys), service->registry(),
                         save_id, owner, first->head, d, std::ref(log));
  for (auto& t : devices)
    t.join();
  for (const auto& e : log.errors)
    CAF_MESSAGE("unexpected error: " << e);
  CAF_MESSAGE(log.sent.size()
              << " turns answered, " << log.acknowledged.size()
              << " acknowledged, " << log.conflicts.load() << " conflicts");
  CAF_CHECK_EQUAL(log.unexpected.load(), 0);
  // The race really raced: devices diverged and were arbitrated.
  CAF_CHECK_GREATER(log.conflicts.load(), 20);
  CAF_CHECK_GREATER(log.acknowledged.size(), 20u);
  auto report = test::value_of(service->verify(save_id, true));
  CAF_CHECK(report.ok);
  for (const auto& e : report.errors)
    CAF_MESSAGE("verify: " << e);
  auto kept = kept_turns(db.url(), save_id);
  std::size_t lost_acknowledged = 0, lost_sent = 0;
  for (const auto& key : log.acknowledged)
    lost_acknowledged += kept.count(key) == 0;
  // Nothing of an answered request is lost either: each turn is on the
  // head chain or in the archive of the branch that lost (only a refused
  // request, e.g. unknown_base, stores nothing).
  for (const auto& key : log.sent)
    lost_sent += kept.count(key) == 0;
  CAF_CHECK_EQUAL(lost_acknowledged, 0u);
  CAF_CHECK_EQUAL(lost_sent, 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
