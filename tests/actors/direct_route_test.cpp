#define CAF_SUITE direct_route

#include "caf/test/unit_test.hpp"

#include <atomic>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "core/canonical_json.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace awf;
using actors::save_errc;

namespace {

nlohmann::json state_of(int turn) {
  return {{"turn", turn}, {"pad", std::string(300, 'd')}};
}

/// The chain head after `turn` if its state is state_of(turn).
core::chain_head head_after(const core::chain_head& before, int turn) {
  auto hash = core::state_hash(core::canonicalize(state_of(turn)));
  return {turn, core::chain_next(before.chain_hash, turn, hash)};
}

actors::sync_up_request sync_up_of(const std::string& save_id,
                                   const core::chain_head& base, int turn) {
  core::incoming_turn t;
  t.turn_id = turn;
  t.state = core::canonicalize(state_of(turn));
  return test::one_turn_sync_up(save_id, base, std::move(t));
}

struct fixture : test::engine_fixture {
  /// A save whose turn 1 came by sync up; `actor` is the actor that said
  /// it served it.
  std::string save_id;
  core::chain_head head;
  actors::save_actor actor;

  void make_save() {
    save_id = new_save();
    auto base = test::value_of(service->materialize(save_id));
    auto first = ask<actors::sync_up_reply>(
      actors::sync_up_atom_v, sync_up_of(save_id, {0, base.chain_hash}, 1));
    CAF_REQUIRE(first);
    CAF_REQUIRE(first->served_by != nullptr);
    head = first->head;
    actor = caf::actor_cast<actors::save_actor>(first->served_by);
  }

  /// The head as the save's sync down reports it, asked through `dest`.
  template<class Handle>
  caf::expected<actors::sync_down_reply> sync_down_via(const Handle& dest) {
    actors::sync_down_request req;
    req.save_id = save_id;
    req.user_id_hash = "user-1";
    caf::scoped_actor self{sys};
    caf::expected<actors::sync_down_reply> out = caf::error{};
    self
      ->request(dest, std::chrono::seconds{60}, actors::sync_down_atom_v,
                std::move(req))
      .receive([&](actors::sync_down_reply& r) { out = std::move(r); },
               [&](caf::error& err) { out = std::move(err); });
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(direct_route_tests, fixture)

CAF_TEST(sync ups sent back to back land in order and reads wait for them) {
  make_save();
  caf::scoped_actor self{sys};
  constexpr int last = 12;
  // Every sync up goes out before any answer: each builds on the head the
  // actor holds in memory while the earlier ones are still being written.
  using sync_up_handle = decltype(self->request(
    actor, caf::infinite, actors::sync_up_atom_v, actors::sync_up_request{}));
  std::vector<sync_up_handle> ups;
  auto expected = head;
  for (int t = 2; t <= last; ++t) {
    ups.push_back(self->request(actor, std::chrono::seconds{60},
                                actors::sync_up_atom_v,
                                sync_up_of(save_id, expected, t)));
    expected = head_after(expected, t);
  }
  // Right behind them, reads of the store: a turn below the head and a
  // sync down from turn 1 must see every turn sent before them.
  auto below = self->request(
    actor, std::chrono::seconds{60}, actors::materialize_atom_v, save_id,
    std::int64_t{last - 1}, std::string{"user-1"}, actors::request_scope{});
  actors::sync_down_request down;
  down.save_id = save_id;
  down.user_id_hash = "user-1";
  down.since_turn = head.turn_id;
  down.since_chain = head.chain_hash;
  auto since_first = self->request(actor, std::chrono::seconds{60},
                                   actors::sync_down_atom_v, std::move(down));
  auto check = head;
  for (auto& up : ups)
    std::move(up).receive(
      [&](const actors::sync_up_reply& reply) {
        check = head_after(check, static_cast<int>(check.turn_id) + 1);
        CAF_CHECK_EQUAL(to_string(reply.status), "fast_forward");
        CAF_CHECK(reply.head == check);
      },
      [&](const caf::error& err) { CAF_FAIL(actors::error_message(err)); });
  std::move(below).receive(
    [&](const actors::materialized_turn& turn) {
      CAF_CHECK_EQUAL(turn.turn_id, last - 1);
      CAF_CHECK_EQUAL(turn.canonical, core::canonicalize(state_of(last - 1)));
    },
    [&](const caf::error& err) { CAF_FAIL(actors::error_message(err)); });
  std::move(since_first)
    .receive(
      [&](const actors::sync_down_reply& reply) {
        CAF_CHECK(reply.head == expected);
        CAF_REQUIRE_EQUAL(reply.turns.size(), std::size_t{last - 1});
        CAF_CHECK_EQUAL(reply.turns.back().turn_id, last);
      },
      [&](const caf::error& err) { CAF_FAIL(actors::error_message(err)); });
  auto report = test::value_of(service->verify(save_id, true));
  CAF_CHECK(report.ok);
  CAF_CHECK(report.head == expected);
}

CAF_TEST(a handle of an actor that left memory still reaches the save) {
  auto opts = test::test_options(db.url());
  opts.max_resident_saves = 1; // touching another save passivates this one
  start(opts);
  make_save();
  auto other = new_save();
  CAF_REQUIRE(service->persist_turn(other, 1, state_of(1)));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (test::value_of(service->stats()).passivated < 1 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  CAF_REQUIRE_GREATER_OR_EQUAL(test::value_of(service->stats()).passivated, 1u);
  // The old handle forwards to the registry, which loads the save anew.
  auto reply = sync_down_via(actor);
  CAF_REQUIRE(reply);
  CAF_CHECK(reply->head == head);
  CAF_REQUIRE(reply->served_by != nullptr);
  CAF_CHECK(reply->served_by != caf::actor_cast<caf::strong_actor_ptr>(actor));
  // A sync up through the old handle lands too.
  caf::scoped_actor self{sys};
  self
    ->request(actor, std::chrono::seconds{60}, actors::sync_up_atom_v,
              sync_up_of(save_id, head, 2))
    .receive(
      [&](const actors::sync_up_reply& up) {
        CAF_CHECK(up.head == head_after(head, 2));
      },
      [&](const caf::error& err) { CAF_FAIL(actors::error_message(err)); });
  CAF_CHECK(test::value_of(service->verify(save_id, true)).ok);
}

CAF_TEST(a save used only through its actor does not count as idle) {
  auto offset = std::make_shared<std::atomic<long long>>(0);
  auto frozen = std::chrono::steady_clock::now();
  clock = [offset, frozen] {
    return frozen + std::chrono::milliseconds{offset->load()};
  };
  auto opts = test::test_options(db.url());
  opts.save_idle = std::chrono::milliseconds{2000}; // checked every second
  start(opts);
  make_save(); // used through the registry at 0 ms
  auto idle_one = new_save();
  CAF_REQUIRE(service->persist_turn(idle_one, 1, state_of(1)));
  CAF_REQUIRE_EQUAL(test::value_of(service->stats()).resident, 2u);
  // At 1.5 s (nothing is idle yet) the save is used directly; at 2.5 s only
  // the other one has been idle for longer than 2 s.
  *offset = 1500;
  CAF_REQUIRE(sync_down_via(actor));
  *offset = 2500;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (test::value_of(service->stats()).resident > 1 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  CAF_CHECK_EQUAL(test::value_of(service->stats()).resident, 1u);
  // The save used directly is still served by the same actor.
  auto reply = sync_down_via(actor);
  CAF_REQUIRE(reply);
  CAF_CHECK(reply->served_by == caf::actor_cast<caf::strong_actor_ptr>(actor));
}

CAF_TEST(sync ups behind a write of another server fail and the save reloads) {
  make_save();
  // A second engine on the same database (another server node) appends
  // turn 2: this engine's actor still holds turn 1 as its head.
  auto ctx = std::make_shared<actors::engine_context>();
  ctx->keys = keys;
  ctx->options = test::test_options(db.url());
  actors::service_options svc;
  svc.periodic_verification = false;
  auto other_node = actors::save_service::start(sys, ctx, svc);
  CAF_REQUIRE(other_node);
  CAF_REQUIRE((*other_node)->persist_turn(save_id, 2, state_of(200)));
  (*other_node)->stop();
  // Two sync ups back to back on the stale head: the first fails the
  // writer's conditional head update, the second builds on the first.
  caf::scoped_actor self{sys};
  auto first =
    self->request(actor, std::chrono::seconds{60}, actors::sync_up_atom_v,
                  sync_up_of(save_id, head, 2));
  auto second =
    self->request(actor, std::chrono::seconds{60}, actors::sync_up_atom_v,
                  sync_up_of(save_id, head_after(head, 2), 3));
  std::move(first).receive(
    [&](const actors::sync_up_reply&) { CAF_FAIL("a stale write landed"); },
    [&](const caf::error& err) {
      CAF_CHECK_EQUAL(actors::error_code(err), save_errc::head_moved);
    });
  // The second either fails behind the first at the writer or, when the
  // first failed before it was handled, reaches a fresh actor, for which
  // its base (the first's turn) is not on the chain.
  std::move(second).receive(
    [&](const actors::sync_up_reply&) { CAF_FAIL("a stale write landed"); },
    [&](const caf::error& err) {
      auto code = actors::error_code(err);
      CAF_CHECK(code == save_errc::head_moved ||
                code == save_errc::unknown_base);
    });
  // The next request reaches an actor that loaded the other node's turn.
  auto now = test::value_of(service->materialize(save_id));
  CAF_CHECK_EQUAL(now.turn_id, 2);
  CAF_CHECK_EQUAL(now.canonical, core::canonicalize(state_of(200)));
  CAF_CHECK(test::value_of(service->verify(save_id, true)).ok);
}

CAF_TEST_FIXTURE_SCOPE_END()
