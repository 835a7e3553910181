#define CAF_SUITE persist_rules

#include "caf/test/unit_test.hpp"

#include <limits>

#include <caf/scoped_actor.hpp>

#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace awf;
using actors::save_errc;

namespace {

struct fixture : test::engine_fixture {
  template<class T>
  save_errc code_of(const caf::expected<T>& x) {
    return x ? save_errc{} : actors::error_code(x.error());
  }
};

nlohmann::json state_of(int n) {
  return {{"turn", n}, {"gold", n * 10}, {"items", {"sword", "shield"}}};
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(persist_rules_tests, fixture)

CAF_TEST(create attaches to the same session) {
  auto first = service->create_or_attach_save("s-1", "alice");
  auto again = service->create_or_attach_save("s-1", "alice");
  auto other_user = service->create_or_attach_save("s-1", "bob");
  CAF_REQUIRE(first && again && other_user);
  CAF_CHECK(first->created);
  CAF_CHECK(!again->created);
  CAF_CHECK_EQUAL(first->save.save_id, again->save.save_id);
  CAF_CHECK_NOT_EQUAL(first->save.save_id, other_user->save.save_id);
  CAF_CHECK_EQUAL(first->save.head.turn_id, 0);
  CAF_CHECK_EQUAL(first->save.head.chain_hash, core::chain_genesis("s-1"));
}

CAF_TEST(a repeated identical turn is acknowledged without change) {
  auto save_id = new_save();
  auto t1 = service->persist_turn(save_id, 1, state_of(1));
  auto t2 = service->persist_turn(save_id, 2, state_of(2));
  CAF_REQUIRE(t1 && t2);
  // The head again, then an older turn (answered from the store).
  auto replay_head = service->persist_turn(save_id, 2, state_of(2));
  auto replay_old = service->persist_turn(save_id, 1, state_of(1));
  CAF_REQUIRE(replay_head && replay_old);
  CAF_CHECK(replay_head->already_stored);
  CAF_CHECK_EQUAL(replay_head->head, t2->head);
  CAF_CHECK(replay_old->already_stored);
  CAF_CHECK_EQUAL(replay_old->head, t1->head);
  auto verify = service->verify(save_id);
  CAF_REQUIRE(verify);
  CAF_CHECK_EQUAL(verify->head, t2->head);
}

CAF_TEST(a different state for a stored turn is refused) {
  auto save_id = new_save();
  CAF_REQUIRE(service->persist_turn(save_id, 1, state_of(1)));
  CAF_REQUIRE(service->persist_turn(save_id, 2, state_of(2)));
  CAF_CHECK_EQUAL(code_of(service->persist_turn(save_id, 2, state_of(9))),
                  save_errc::divergent_turn);
  CAF_CHECK_EQUAL(code_of(service->persist_turn(save_id, 1, state_of(9))),
                  save_errc::divergent_turn);
  CAF_CHECK_EQUAL(test::value_of(service->materialize(save_id, 2)).canonical,
                  core::canonicalize(state_of(2)));
}

CAF_TEST(a turn gap stores nothing) {
  auto save_id = new_save();
  CAF_REQUIRE(service->persist_turn(save_id, 1, state_of(1)));
  auto gap = service->persist_turn(save_id, 3, state_of(3));
  CAF_CHECK_EQUAL(code_of(gap), save_errc::turn_gap);
  CAF_CHECK(actors::error_message(gap.error()).find("turn 3") !=
            std::string::npos);
  CAF_CHECK_EQUAL(code_of(service->persist_turn(save_id, 0, state_of(0))),
                  save_errc::invalid_request);
  CAF_CHECK_EQUAL(test::value_of(service->materialize(save_id)).turn_id, 1);
  CAF_CHECK_EQUAL(test::value_of(service->verify(save_id)).checked_turns, 1);
}

CAF_TEST(an oversized state is refused and stores nothing) {
  auto opts = test::test_options(db.url());
  opts.max_state_bytes = 1000;
  start(opts);
  auto save_id = new_save();
  CAF_REQUIRE(service->persist_turn(save_id, 1, state_of(1)));
  nlohmann::json big{{"blob", std::string(2000, 'z')}};
  CAF_CHECK_EQUAL(code_of(service->persist_turn(save_id, 2, big)),
                  save_errc::payload_too_large);
  CAF_CHECK_EQUAL(test::value_of(service->materialize(save_id)).turn_id, 1);
  // The save goes on normally afterwards.
  CAF_CHECK(service->persist_turn(save_id, 2, state_of(2)));
}

CAF_TEST(unknown and malformed save ids are not found) {
  const char* ids[] = {"00000000-0000-4000-8000-000000000000", "nope",
                       "../../etc/passwd", ""};
  for (const char* id : ids) {
    CAF_CHECK_EQUAL(code_of(service->persist_turn(id, 1, state_of(1))),
                    save_errc::not_found);
    CAF_CHECK_EQUAL(code_of(service->materialize(id)), save_errc::not_found);
    CAF_CHECK_EQUAL(code_of(service->verify(id)), save_errc::not_found);
  }
}

CAF_TEST(materialize answers turn zero and refuses turns past the head) {
  auto created = service->create_or_attach_save("s-zero", "alice");
  CAF_REQUIRE(created);
  auto save_id = created->save.save_id;
  auto zero = service->materialize(save_id, 0);
  CAF_REQUIRE(zero);
  CAF_CHECK_EQUAL(zero->turn_id, 0);
  CAF_CHECK(zero->canonical.empty());
  CAF_CHECK_EQUAL(zero->chain_hash, core::chain_genesis("s-zero"));
  CAF_CHECK_EQUAL(code_of(service->materialize(save_id, 1)),
                  save_errc::not_found);
  CAF_REQUIRE(service->persist_turn(save_id, 1, state_of(1)));
  CAF_CHECK_EQUAL(code_of(service->materialize(save_id, 2)),
                  save_errc::not_found);
  CAF_CHECK_EQUAL(
    test::value_of(service->materialize(save_id, actors::head_turn)).turn_id,
    1);
}

CAF_TEST(saves list newest first per user) {
  auto a = service->create_or_attach_save("s-a", "carol");
  auto b = service->create_or_attach_save("s-b", "carol");
  CAF_REQUIRE(a && b);
  CAF_REQUIRE(service->persist_turn(a->save.save_id, 1, state_of(1)));
  auto saves = service->list_saves("carol");
  CAF_REQUIRE(saves);
  CAF_REQUIRE_EQUAL(saves->size(), 2u);
  CAF_CHECK_EQUAL(saves->front().save_id, a->save.save_id);
  CAF_CHECK(service->list_saves("nobody")->empty());
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(key_budget_tests, test::engine_fixture)

CAF_TEST(a key past its encryption budget refuses and stores nothing) {
  // Each turn seals one blob. A budget of 5 encryptions, kept across a
  // restart through awf_key_usage. Nonces are reserved one at a time here,
  // so the restart loses none (a larger block would count its unused rest
  // as spent).
  auto opts = test::test_options(db.url());
  opts.nonce_reservation_block = 1;
  auto limited = [this] {
    auto ring = core::key_ring::make({{"k1", key_bytes}}, 5);
    CAF_REQUIRE(ring);
    return std::make_shared<core::key_ring>(std::move(*ring));
  };
  start(opts, limited());
  auto save_id = new_save();
  for (int t = 1; t <= 3; ++t)
    CAF_REQUIRE(service->persist_turn(save_id, t, {{"t", t}}));
  start(opts, limited());
  CAF_REQUIRE(service->persist_turn(save_id, 4, {{"t", 4}}));
  CAF_REQUIRE(service->persist_turn(save_id, 5, {{"t", 5}}));
  auto refused = service->persist_turn(save_id, 6, {{"t", 6}});
  CAF_REQUIRE(!refused);
  CAF_CHECK_EQUAL(actors::error_code(refused.error()),
                  actors::save_errc::key_exhausted);
  auto report = test::value_of(service->verify(save_id, true));
  CAF_CHECK(report.ok);
  CAF_CHECK_EQUAL(report.head.turn_id, 5);
  // Rotating in a new key lets the save go on.
  auto rotated = core::key_ring::make(
    {{"k2", core::key_ring::random_key()}, {"k1", key_bytes}});
  CAF_REQUIRE(rotated);
  start(test::test_options(db.url()),
        std::make_shared<core::key_ring>(std::move(*rotated)));
  CAF_CHECK(service->persist_turn(save_id, 6, {{"t", 6}}));
}

CAF_TEST(encryptions of a failed request are counted across a restart) {
  auto ring_of_k1 = [this] {
    auto ring = core::key_ring::make({{"k1", key_bytes}});
    CAF_REQUIRE(ring);
    return std::make_shared<core::key_ring>(std::move(*ring));
  };
  auto opts = test::test_options(db.url());
  opts.nonce_reservation_block = 8; // several reservations in one request
  auto ring = ring_of_k1();
  start(opts, ring);
  auto made = service->create_or_attach_save("nonce-session", "user-1");
  CAF_REQUIRE(made);
  // Twenty turns are sealed, then the last one fails its hash check: the
  // request fails and stores nothing.
  actors::sync_up_request req;
  req.save_id = made->save.save_id;
  req.user_id_hash = "user-1";
  req.base = made->save.head;
  for (int t = 1; t <= 21; ++t) {
    core::incoming_turn turn;
    turn.turn_id = t;
    turn.state = core::canonicalize(
      nlohmann::json{{"t", t}, {"pad", std::string(100, 'x')}});
    if (t == 21)
      turn.state_hash = std::string(64, '0');
    req.turns.push_back(std::move(turn));
  }
  caf::scoped_actor self{sys};
  bool failed = false;
  self
    ->request(service->registry(), std::chrono::seconds{60},
              actors::sync_up_atom_v, std::move(req))
    .receive([](const actors::sync_up_reply&) {},
             [&](const caf::error& err) {
               CAF_MESSAGE(actors::error_message(err));
               failed = true;
             });
  CAF_REQUIRE(failed);
  CAF_CHECK_EQUAL(
    test::value_of(service->materialize(made->save.save_id)).turn_id, 0);
  auto sealed = ring->encryptions("k1");
  CAF_CHECK_GREATER_OR_EQUAL(sealed, 20u);
  // A new process knows only what the database kept.
  stop();
  auto restarted = ring_of_k1();
  start(opts, restarted);
  CAF_CHECK_GREATER_OR_EQUAL(restarted->encryptions("k1"), sealed);
}

CAF_TEST_FIXTURE_SCOPE_END()

CAF_TEST_FIXTURE_SCOPE(input_rules_tests, test::engine_fixture)

CAF_TEST(states that canonical bytes cannot reproduce are refused) {
  auto save_id = new_save();
  CAF_REQUIRE(service->persist_turn(save_id, 1, {{"a", -1}}));
  // UINT64_MAX is not a double: reading it back would give another number.
  nlohmann::json huge{{"a", std::numeric_limits<std::uint64_t>::max()}};
  auto refused = service->persist_turn(save_id, 2, huge);
  CAF_REQUIRE(!refused);
  CAF_CHECK_EQUAL(actors::error_code(refused.error()),
                  actors::save_errc::unsupported_number);
  nlohmann::json bad_text{{"name", std::string{"\xff\xfe"}}};
  auto invalid = service->persist_turn(save_id, 2, bad_text);
  CAF_REQUIRE(!invalid);
  CAF_CHECK_EQUAL(actors::error_code(invalid.error()),
                  actors::save_errc::invalid_json);
  // Integers a double carries exactly are fine, and 1 and 1.0 are the same.
  CAF_REQUIRE(service->persist_turn(save_id, 2, {{"a", 1}}));
  auto replay = service->persist_turn(save_id, 2, {{"a", 1.0}});
  CAF_REQUIRE(replay);
  CAF_CHECK(replay->already_stored);
  start(test::test_options(db.url()));
  CAF_CHECK(service->persist_turn(save_id, 3, {{"a", 2}}));
  CAF_CHECK(test::value_of(service->verify(save_id, true)).ok);
}

CAF_TEST(many turns in flight to one save land in order) {
  auto opts = test::test_options(db.url());
  for (std::size_t resident : {std::size_t{100}, std::size_t{1}}) {
    opts.max_resident_saves = resident;
    start(opts);
    std::vector<std::string> ids{new_save(), new_save(), new_save()};
    // Send every turn of every save without waiting for any answer.
    caf::scoped_actor self{sys};
    const int turns = 40;
    for (int t = 1; t <= turns; ++t)
      for (const auto& id : ids)
        self->send(service->registry(), actors::persist_atom_v,
                   actors::persist_request{id, t, {{"owner", id}, {"t", t}}});
    int acks = 0;
    int errors = 0;
    self->receive_for(acks, static_cast<int>(ids.size()) *
                              turns)([&](const actors::persist_ack&) {},
                                     [&](caf::error& err) {
                                       CAF_MESSAGE(actors::error_message(err));
                                       ++errors;
                                     });
    CAF_CHECK_EQUAL(errors, 0);
    for (const auto& id : ids) {
      auto report = test::value_of(service->verify(id, true));
      CAF_CHECK(report.ok);
      CAF_CHECK_EQUAL(report.head.turn_id, turns);
    }
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
