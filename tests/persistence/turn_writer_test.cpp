#define CAF_SUITE turn_writer

#include "persistence/turn_writer.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/chain_verifier.hpp"
#include "core/uuid.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/save_store.hpp"
#include "tests/persistence/store_fixture.hpp"

// Entries of several turns and audit records in the group commit. The
// single-turn write path is covered by save_store_test.cpp.

using namespace awf;
using namespace awf::test;
using persistence::audit_entry;
using persistence::turn_commit;

namespace {

std::string state_json(int i, const std::string& who) {
  return R"({"who":")" + who + R"(","turn":)" + std::to_string(i) +
         R"(,"items":[)" + std::to_string(i * 7) + "," +
         std::to_string(i * 11) + R"(],"note":"\u00e9t\u00e9 )" +
         std::to_string(i) + "\"}";
}

struct fixture : database_fixture {
  core::key_ring keys = make_key_ring("k1");
  persistence::save_store store{*db};
  persistence::turn_writer writer{*db};
  row_counts rows{*this};
  persistence::audit_log audit{*db};

  std::string create(const std::string& user) {
    auto made = store.create_or_attach(user, "session-1", "1.0.0");
    if (!made)
      CAF_FAIL("create_or_attach failed: " << made.error().message);
    return made->save.save_id;
  }

  /// Builds `n` consecutive turns of `b` as one entry.
  static turn_commit entry(const std::string& save_id, turn_builder& b,
                           const std::string& who, int first, int n) {
    turn_commit c{save_id, b.head(), {}};
    for (int i = first; i < first + n; ++i)
      c.turns.push_back(b.next(state_json(i, who)));
    return c;
  }

  /// Every audit record, oldest first.
  std::vector<persistence::audit_record> audits() {
    auto listed = audit.list(persistence::audit_filter{});
    if (!listed)
      CAF_FAIL("audit list failed: " << listed.error().message);
    return {listed->rbegin(), listed->rend()};
  }

  std::vector<std::string> audit_operations() {
    std::vector<std::string> out;
    for (const auto& rec : audits())
      out.push_back(rec.operation);
    return out;
  }

  /// Checks that a save holds exactly the turns committed, and that they
  /// rebuild the last state.
  void check_stored(const std::string& save_id, const turn_commit& c,
                    const std::string& last_canonical) {
    auto loaded =
      store.load_turns(save_id, 1, c.turns.back().turn_id, /*with_blobs*/ true);
    CAF_REQUIRE(loaded);
    CAF_REQUIRE_EQUAL(loaded->size(), c.turns.size());
    for (std::size_t i = 0; i < c.turns.size(); ++i) {
      CAF_CHECK_EQUAL((*loaded)[i].turn_id, c.turns[i].turn_id);
      CAF_CHECK_EQUAL((*loaded)[i].chain_hash, c.turns[i].chain_hash);
      CAF_CHECK_EQUAL((*loaded)[i].blob.hash, c.turns[i].blob.hash);
      CAF_CHECK((*loaded)[i].blob.bytes == c.turns[i].blob.bytes);
    }
    auto base = c.turns.back().base_turn;
    std::vector<core::stored_turn> from_base(
      loaded->begin() + (base - c.turns.front().turn_id), loaded->end());
    auto image = core::rebuild_state(from_base, keys, 1 << 20);
    CAF_REQUIRE(image);
    CAF_CHECK_EQUAL(image->canonical, last_canonical);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(turn_writer_tests, fixture)

// -- entries of several turns -------------------------------------------------

CAF_TEST(an entry of several turns commits them all and moves the head once) {
  auto save_id = create("user-a");
  core::encode_options opts;
  opts.snapshot_every = 3;
  turn_builder b{keys, "session-1", opts};
  auto c = entry(save_id, b, "A", 1, 5);
  auto outcomes = writer.commit({c});
  CAF_REQUIRE_EQUAL(outcomes.size(), 1u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "ok");
  auto head = find_save_or_fail(store, save_id).head;
  CAF_CHECK_EQUAL(head.turn_id, 5);
  CAF_CHECK_EQUAL(head.chain_hash, c.turns[4].chain_hash);
  CAF_CHECK_EQUAL(rows.turns_of_save(save_id), 5);
  // Snapshots at turns 1 and 4 are blobs; the diffs are in their rows.
  CAF_CHECK_EQUAL(rows.refs_of_save(save_id), 2);
  // The head points at the later snapshot.
  CAF_CHECK_EQUAL(std::string{core::to_string(c.turns[3].kind)}, "snapshot");
  CAF_CHECK_EQUAL(base_snapshot_hash(save_id), c.turns[3].blob.hash);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 5u);
  check_stored(save_id, c, b.last_canonical());
  // The next entry continues from the new head.
  auto next = entry(save_id, b, "A", 6, 2);
  CAF_CHECK_EQUAL(code_of(writer.commit({next}).front()), "ok");
  CAF_CHECK_EQUAL(find_save_or_fail(store, save_id).head.turn_id, 7);
  CAF_CHECK_EQUAL(rows.turns_of_save(save_id), 7);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 7u);
}

CAF_TEST(an entry of diffs only keeps the base snapshot) {
  auto save_id = create("user-a");
  turn_builder b{keys, "session-1"};
  auto first = entry(save_id, b, "A", 1, 1);
  CAF_CHECK_EQUAL(code_of(writer.commit({first}).front()), "ok");
  auto diffs = entry(save_id, b, "A", 2, 3);
  for (const auto& t : diffs.turns)
    CAF_CHECK_NOT_EQUAL(std::string{core::to_string(t.kind)}, "snapshot");
  CAF_CHECK_EQUAL(code_of(writer.commit({diffs}).front()), "ok");
  CAF_CHECK_EQUAL(base_snapshot_hash(save_id), first.turns[0].blob.hash);
  CAF_CHECK_EQUAL(find_save_or_fail(store, save_id).head.chain_hash,
                  diffs.turns[2].chain_hash);
}

CAF_TEST(a bad turn in the middle stores nothing of its entry) {
  auto a = create("user-a");
  auto m = create("user-m");
  auto c = create("user-c");
  turn_builder ba{keys, "session-1"};
  turn_builder bm{keys, "session-1"};
  turn_builder bc{keys, "session-1"};
  std::vector<turn_commit> batch{
    entry(a, ba, "A", 1, 2), entry(m, bm, "M", 1, 3), entry(c, bc, "C", 1, 3)};
  // The database refuses the middle turn's blob (a snapshot of an unknown
  // blob type).
  auto& refused = batch[1].turns[1];
  refused.kind = core::turn_kind::snapshot;
  refused.base_turn = refused.turn_id;
  refused.blob.type = "bogus";
  auto outcomes = writer.commit(batch);
  CAF_REQUIRE_EQUAL(outcomes.size(), 3u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "ok");
  CAF_CHECK_EQUAL(code_of(outcomes[1]), "failure");
  CAF_CHECK_EQUAL(code_of(outcomes[2]), "ok");
  // Nothing of the bad entry, not even its good first and last turns.
  CAF_CHECK_EQUAL(find_save_or_fail(store, m).head.turn_id, 0);
  CAF_CHECK_EQUAL(find_save_or_fail(store, m).head.chain_hash,
                  core::chain_genesis("session-1"));
  CAF_CHECK_EQUAL(rows.turns_of_save(m), 0);
  CAF_CHECK_EQUAL(rows.refs_of_save(m), 0);
  for (const auto& t : batch[1].turns)
    CAF_CHECK_EQUAL(rows.blobs_named(t.blob.hash), 0);
  // The other entries landed whole.
  CAF_CHECK_EQUAL(find_save_or_fail(store, a).head.turn_id, 2);
  CAF_CHECK_EQUAL(find_save_or_fail(store, c).head.turn_id, 3);
  CAF_CHECK_EQUAL(rows.turns_of_save(a), 2);
  CAF_CHECK_EQUAL(rows.turns_of_save(c), 3);
  check_stored(a, batch[0], ba.last_canonical());
  check_stored(c, batch[2], bc.last_canonical());
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 5u);
}

CAF_TEST(an entry whose turns are not consecutive fails alone) {
  auto a = create("user-a");
  auto m = create("user-m");
  turn_builder ba{keys, "session-1"};
  turn_builder bm{keys, "session-1"};
  auto good = entry(a, ba, "A", 1, 2);
  auto gap = entry(m, bm, "M", 1, 3);
  gap.turns.erase(gap.turns.begin() + 1); // turns 1 and 3
  turn_commit late{
    m, core::chain_head{0, core::chain_genesis("session-1")}, {}};
  late.turns.push_back(gap.turns.back()); // turn 3 on head 0
  turn_commit empty{m, late.expected_head, {}};
  auto outcomes = writer.commit({gap, good, late, empty});
  CAF_REQUIRE_EQUAL(outcomes.size(), 4u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "failure");
  CAF_CHECK_EQUAL(code_of(outcomes[1]), "ok");
  CAF_CHECK_EQUAL(code_of(outcomes[2]), "failure");
  CAF_CHECK_EQUAL(code_of(outcomes[3]), "failure");
  CAF_CHECK_EQUAL(find_save_or_fail(store, m).head.turn_id, 0);
  CAF_CHECK_EQUAL(rows.turns_of_save(m), 0);
  CAF_CHECK_EQUAL(find_save_or_fail(store, a).head.turn_id, 2);
  CAF_CHECK_EQUAL(rows.turns_of_save(a), 2);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 2u);
}

CAF_TEST(an entry of several turns against a stale head stores nothing) {
  auto a = create("user-a");
  turn_builder b{keys, "session-1"};
  auto genesis = b.head();
  auto first = entry(a, b, "A", 1, 2);
  CAF_CHECK_EQUAL(code_of(writer.commit({first}).front()), "ok");
  // Another device's turns 1-3, built on the same genesis.
  turn_builder other{keys, "session-1"};
  auto stale = entry(a, other, "B", 1, 3);
  CAF_CHECK_EQUAL(stale.expected_head.chain_hash, genesis.chain_hash);
  auto outcomes = writer.commit({stale});
  CAF_REQUIRE_EQUAL(outcomes.size(), 1u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "head_moved");
  CAF_CHECK_EQUAL(find_save_or_fail(store, a).head.turn_id, 2);
  CAF_CHECK_EQUAL(find_save_or_fail(store, a).head.chain_hash,
                  first.turns[1].chain_hash);
  CAF_CHECK_EQUAL(rows.turns_of_save(a), 2);
  for (const auto& t : stale.turns)
    CAF_CHECK_EQUAL(rows.blobs_named(t.blob.hash), 0);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 2u);
}

// -- audit records in the group commit ---------------------------------------

CAF_TEST(audits commit with the turns) {
  auto a = create("user-a");
  auto c = create("user-c");
  turn_builder ba{keys, "session-1"};
  turn_builder bc{keys, "session-1"};
  auto missing = core::random_uuid();
  std::vector<audit_entry> records{
    {a, std::string{"dev-a"}, "sync_up", R"({"turns":2})"},
    {c, std::nullopt, "sync_up", R"({"turns":1})"},
    {missing, std::string{"dev-x"}, "sync_up", R"({"rejected":true})"},
    {std::nullopt, std::nullopt, "batch", "{}"}};
  auto outcomes =
    writer.commit({entry(a, ba, "A", 1, 2), entry(c, bc, "C", 1, 1)}, records);
  CAF_REQUIRE_EQUAL(outcomes.size(), 2u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "ok");
  CAF_CHECK_EQUAL(code_of(outcomes[1]), "ok");
  CAF_CHECK_EQUAL(rows.turns_of_save(a), 2);
  CAF_CHECK_EQUAL(rows.turns_of_save(c), 1);
  auto stored = audits();
  CAF_REQUIRE_EQUAL(stored.size(), 4u);
  CAF_CHECK_EQUAL(stored[0].operation, "sync_up");
  CAF_REQUIRE(stored[0].save_id.has_value());
  CAF_CHECK_EQUAL(*stored[0].save_id, a);
  CAF_REQUIRE(stored[0].device_id.has_value());
  CAF_CHECK_EQUAL(*stored[0].device_id, "dev-a");
  CAF_CHECK_EQUAL(json_text(stored[0].details_json),
                  json_text(R"({"turns":2})"));
  CAF_REQUIRE(stored[1].save_id.has_value());
  CAF_CHECK_EQUAL(*stored[1].save_id, c);
  CAF_CHECK(!stored[1].device_id.has_value());
  // The missing save is kept in the details, the column stays NULL.
  CAF_CHECK(!stored[2].save_id.has_value());
  CAF_CHECK_EQUAL(
    json_text(stored[2].details_json),
    json_text(R"({"rejected":true,"save_id":")" + missing + "\"}"));
  CAF_CHECK_EQUAL(stored[3].operation, "batch");
  CAF_CHECK(!stored[3].save_id.has_value());
  CAF_CHECK_EQUAL(json_text(stored[3].details_json), "{}");
}

CAF_TEST(a sync up record is kept in the last turn row of its entry) {
  auto a = create("user-a");
  turn_builder b{keys, "session-1"};
  auto c = entry(a, b, "A", 1, 3);
  for (auto& t : c.turns)
    t.device_id = "dev-a";
  c.sync_turns = 4; // one turn the save already had, and three new ones
  CAF_CHECK_EQUAL(code_of(writer.commit({c}).front()), "ok");
  // No row of its own: the record lists from the turn row.
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_sync_audit"), 0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs WHERE "
                        "sync_turns IS NOT NULL"),
                  1);
  auto stored = audits();
  CAF_REQUIRE_EQUAL(stored.size(), 1u);
  const auto& record = stored[0];
  CAF_CHECK_EQUAL(record.operation, "sync_up");
  CAF_CHECK(core::is_uuid(record.audit_id));
  CAF_CHECK_EQUAL(record.save_id.value_or(""), a);
  CAF_CHECK_EQUAL(record.device_id.value_or(""), "dev-a");
  CAF_CHECK_EQUAL(json_text(record.details_json),
                  json_text(R"({"status":"fast_forward","turns":4,)"
                            R"("head_turn":3,"user_id_hash":"user-a"})"));
  CAF_CHECK_GREATER(record.created_at_ms, 0);
  // Listed again, it has the same id.
  auto again = audits();
  CAF_REQUIRE_EQUAL(again.size(), 1u);
  CAF_CHECK_EQUAL(again.front().audit_id, record.audit_id);
  // The save and device filters find it, another save's filter does not.
  auto by_save = audit.list(a, 10);
  CAF_REQUIRE(by_save);
  CAF_CHECK_EQUAL(by_save->size(), 1u);
  auto other = audit.list(create("user-b"), 10);
  CAF_REQUIRE(other);
  CAF_CHECK_EQUAL(other->size(), 0u);
  persistence::audit_filter device;
  device.device_id = "dev-a";
  auto by_device = audit.list(device);
  CAF_REQUIRE(by_device);
  CAF_CHECK_EQUAL(by_device->size(), 1u);
  device.device_id = "dev-b";
  by_device = audit.list(device);
  CAF_REQUIRE(by_device);
  CAF_CHECK_EQUAL(by_device->size(), 0u);
}

CAF_TEST(kept sync up records and other records list together newest first) {
  auto a = create("user-a");
  turn_builder b{keys, "session-1"};
  auto pause = [this] { clock.advance(std::chrono::milliseconds{3}); };
  // explicit, kept, explicit, kept: each a few milliseconds after the last.
  CAF_REQUIRE(audit.append(a, std::string{"dev-a"}, "device_register", "{}"));
  pause();
  auto first = entry(a, b, "A", 1, 1);
  first.sync_turns = 1;
  CAF_REQUIRE_EQUAL(code_of(writer.commit({first}).front()), "ok");
  pause();
  CAF_REQUIRE(audit.append(a, std::nullopt, "verify", "{}"));
  pause();
  auto second = entry(a, b, "A", 2, 1);
  second.sync_turns = 1;
  CAF_REQUIRE_EQUAL(code_of(writer.commit({second}).front()), "ok");
  CAF_CHECK_EQUAL(audit_operations(),
                  (std::vector<std::string>{"device_register", "sync_up",
                                            "verify", "sync_up"}));
  auto newest = audit.list(a, 3);
  CAF_REQUIRE(newest);
  CAF_REQUIRE_EQUAL(newest->size(), 3u);
  CAF_CHECK_EQUAL((*newest)[0].operation, "sync_up");
  CAF_CHECK_EQUAL(json_text((*newest)[0].details_json),
                  json_text(R"({"status":"fast_forward","turns":1,)"
                            R"("head_turn":2,"user_id_hash":"user-a"})"));
  CAF_CHECK_EQUAL((*newest)[1].operation, "verify");
  CAF_CHECK_EQUAL((*newest)[2].operation, "sync_up");
  // The time filter applies to both kinds.
  persistence::audit_filter since;
  since.since_ms = (*newest)[1].created_at_ms;
  auto recent = audit.list(since);
  CAF_REQUIRE(recent);
  CAF_CHECK_EQUAL(recent->size(), 2u);
}

CAF_TEST(a sync up whose head moved keeps no record) {
  auto a = create("user-a");
  turn_builder b{keys, "session-1"};
  CAF_CHECK_EQUAL(code_of(writer.commit({entry(a, b, "A", 1, 1)}).front()),
                  "ok");
  turn_builder other{keys, "session-1"};
  auto stale = entry(a, other, "B", 1, 1);
  stale.sync_turns = 1;
  CAF_CHECK_EQUAL(code_of(writer.commit({stale}).front()), "head_moved");
  CAF_CHECK_EQUAL(audits().size(), 0u);
}

CAF_TEST(audits are written when an entry finds its head moved) {
  auto a = create("user-a");
  turn_builder b{keys, "session-1"};
  auto genesis = b.head();
  CAF_CHECK_EQUAL(code_of(writer.commit({entry(a, b, "A", 1, 1)}).front()),
                  "ok");
  turn_builder other{keys, "session-1"};
  auto stale = entry(a, other, "B", 1, 1);
  CAF_CHECK_EQUAL(stale.expected_head.chain_hash, genesis.chain_hash);
  auto outcomes =
    writer.commit({stale}, {{a, std::string{"dev-b"}, "sync_conflict", "{}"}});
  CAF_REQUIRE_EQUAL(outcomes.size(), 1u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "head_moved");
  CAF_CHECK_EQUAL(audit_operations(),
                  (std::vector<std::string>{"sync_conflict"}));
}

CAF_TEST(a failing audit does not sink the turns or the other audits) {
  auto a = create("user-a");
  auto c = create("user-c");
  turn_builder ba{keys, "session-1"};
  turn_builder bc{keys, "session-1"};
  std::vector<turn_commit> batch{entry(a, ba, "A", 1, 2),
                                 entry(c, bc, "C", 1, 2)};
  std::vector<audit_entry> records{{a, std::nullopt, "first", "{}"},
                                   {a, std::nullopt, "broken", "not json"},
                                   {c, std::nullopt, "third", R"({"n":3})"}};
  auto outcomes = writer.commit(batch, records);
  CAF_REQUIRE_EQUAL(outcomes.size(), 2u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "ok");
  CAF_CHECK_EQUAL(code_of(outcomes[1]), "ok");
  CAF_CHECK_EQUAL(find_save_or_fail(store, a).head.turn_id, 2);
  CAF_CHECK_EQUAL(find_save_or_fail(store, c).head.turn_id, 2);
  CAF_CHECK_EQUAL(rows.turns_of_save(a), 2);
  CAF_CHECK_EQUAL(rows.turns_of_save(c), 2);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 4u);
  // Stored once each (the failed group transaction left nothing behind).
  CAF_CHECK_EQUAL(audit_operations(),
                  (std::vector<std::string>{"first", "third"}));
}

CAF_TEST(audits survive an entry the database rejects) {
  auto a = create("user-a");
  auto m = create("user-m");
  turn_builder ba{keys, "session-1"};
  turn_builder bm{keys, "session-1"};
  std::vector<turn_commit> batch{entry(a, ba, "A", 1, 1),
                                 entry(m, bm, "M", 1, 2)};
  batch[1].turns[0].blob.type = "bogus";
  auto outcomes =
    writer.commit(batch, {{a, std::nullopt, "sync_up", "{}"},
                          {m, std::nullopt, "sync_up", R"({"n":2})"}});
  CAF_REQUIRE_EQUAL(outcomes.size(), 2u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "ok");
  CAF_CHECK_EQUAL(code_of(outcomes[1]), "failure");
  CAF_CHECK_EQUAL(rows.turns_of_save(a), 1);
  CAF_CHECK_EQUAL(rows.turns_of_save(m), 0);
  auto stored = audits();
  CAF_REQUIRE_EQUAL(stored.size(), 2u);
  CAF_CHECK_EQUAL(stored[0].save_id.value_or("NULL"), a);
  CAF_CHECK_EQUAL(stored[1].save_id.value_or("NULL"), m);
}

CAF_TEST(a single entry that fails alone still writes its audits) {
  auto m = create("user-m");
  turn_builder bm{keys, "session-1"};
  auto bad = entry(m, bm, "M", 1, 1);
  bad.turns[0].blob.type = "bogus";
  auto outcomes =
    writer.commit({bad}, {{m, std::string{"dev-m"}, "sync_failed", "{}"}});
  CAF_REQUIRE_EQUAL(outcomes.size(), 1u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "failure");
  CAF_CHECK_EQUAL(rows.turns_of_save(m), 0);
  CAF_CHECK_EQUAL(audit_operations(),
                  (std::vector<std::string>{"sync_failed"}));
}

CAF_TEST(audits commit without turns) {
  auto a = create("user-a");
  auto outcomes =
    writer.commit({}, {{a, std::nullopt, "read", "{}"},
                       {std::nullopt, std::nullopt, "tick", "{}"}});
  CAF_CHECK_EQUAL(outcomes.size(), 0u);
  CAF_CHECK_EQUAL(audit_operations(),
                  (std::vector<std::string>{"read", "tick"}));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs"), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
