#define CAF_SUITE save_store

#include "persistence/save_store.hpp"
#include "persistence/turn_writer.hpp"

#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "core/uuid.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;
using persistence::turn_commit;

namespace {

/// A varied game state for turn `i`: nested objects, arrays, non-ASCII text.
std::string state_json(int i, const std::string& who = "Zo\u00eb") {
  std::string log = "[";
  for (int k = 1; k <= i; ++k)
    log += (k > 1 ? "," : "") + std::string{"\"step "} + std::to_string(k) +
           " \u2713\"";
  log += "]";
  return R"({"hero":{"name":")" + who + R"(","hp":)" +
         std::to_string(100 - 3 * i) + R"(,"gold":)" + std::to_string(i * i) +
         R"(},"log":)" + log + R"(,"turn":)" + std::to_string(i) + "}";
}

/// True for envelopes that would break a store treating bytes as C text.
bool has_nul_and_high_bytes(const core::stored_blob& blob) {
  auto high = std::any_of(blob.bytes.begin(), blob.bytes.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x80;
  });
  return high && blob.bytes.find('\0') != std::string::npos;
}

/// Checks every field of a loaded turn against the one committed.
void check_same_turn(const core::stored_turn& got,
                     const core::stored_turn& want, bool with_blob) {
  CAF_MESSAGE("turn " << want.turn_id);
  CAF_CHECK_EQUAL(got.turn_id, want.turn_id);
  CAF_CHECK_EQUAL(std::string{core::to_string(got.kind)},
                  std::string{core::to_string(want.kind)});
  CAF_CHECK_EQUAL(got.base_turn, want.base_turn);
  CAF_CHECK_EQUAL(got.state_hash, want.state_hash);
  CAF_CHECK_EQUAL(got.chain_hash, want.chain_hash);
  CAF_CHECK_EQUAL(got.state_bytes, want.state_bytes);
  CAF_CHECK_EQUAL(got.blob.hash, want.blob.hash);
  if (with_blob) {
    CAF_CHECK_EQUAL(got.blob.type, want.blob.type);
    CAF_CHECK_EQUAL(got.blob.codec, want.blob.codec);
    // Only a snapshot's blob records its plaintext size.
    if (want.kind == core::turn_kind::snapshot)
      CAF_CHECK_EQUAL(got.blob.plain_size, want.blob.plain_size);
    CAF_CHECK_EQUAL(got.blob.bytes.size(), want.blob.bytes.size());
    CAF_CHECK(got.blob.bytes == want.blob.bytes);
  } else {
    CAF_CHECK_EQUAL(got.blob.bytes.size(), 0u);
    CAF_CHECK_EQUAL(got.blob.type, "");
    CAF_CHECK_EQUAL(got.blob.codec, "");
  }
}

struct fixture : database_fixture {
  core::key_ring keys = make_key_ring("k1");
  persistence::save_store store{*db};
  persistence::turn_writer writer{*db};
  row_counts rows{*this};

  /// Creates a new save and requires that it is new.
  persistence::save_record create(const std::string& user,
                                  const std::string& session) {
    auto made = store.create_or_attach(user, session, "1.0.0");
    if (!made)
      CAF_FAIL("create_or_attach failed: " << made.error().message);
    CAF_REQUIRE(made->created);
    return made->save;
  }

  /// Commits one turn alone and returns its outcome.
  persistence::storage_status commit(const std::string& save_id,
                                     const core::chain_head& expected,
                                     const core::stored_turn& turn) {
    auto outcomes = writer.commit({turn_commit{save_id, expected, {turn}}});
    CAF_REQUIRE_EQUAL(outcomes.size(), 1u);
    return outcomes.front();
  }

  /// Builds the next turn of `b` and commits it; requires success.
  core::stored_turn commit_next(const std::string& save_id, turn_builder& b,
                                const std::string& json) {
    auto expected = b.head();
    auto turn = b.next(json);
    auto status = commit(save_id, expected, turn);
    if (!status)
      CAF_FAIL("commit failed: " << status.error().message);
    return turn;
  }

  /// Builds the next turn of `b` as a commit against `b`'s current head.
  static turn_commit next_commit(const std::string& save_id, turn_builder& b,
                                 const std::string& json) {
    auto expected = b.head();
    auto turn = b.next(json);
    return {save_id, expected, {std::move(turn)}};
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(save_store_tests, fixture)

// -- create_or_attach and find_save -------------------------------------------

CAF_TEST(create_or_attach creates a save at turn 0 then attaches to it) {
  auto before = now_ms();
  auto first = store.create_or_attach("user-a", "session-1", "1.0.0");
  CAF_REQUIRE(first);
  CAF_CHECK(first->created);
  const auto& made = first->save;
  CAF_CHECK(core::is_uuid(made.save_id));
  CAF_CHECK_EQUAL(made.session_id, "session-1");
  CAF_CHECK_EQUAL(made.user_id_hash, "user-a");
  CAF_CHECK_EQUAL(made.version, "1.0.0");
  CAF_CHECK_EQUAL(made.head.turn_id, 0);
  CAF_CHECK_EQUAL(made.head.chain_hash, core::chain_genesis("session-1"));
  CAF_CHECK(made.integrity_ok);
  // Timestamps come back as Unix milliseconds of the database's clock.
  CAF_CHECK_GREATER(made.created_at_ms, before - 60'000);
  CAF_CHECK_LESS(made.created_at_ms, now_ms() + 60'000);
  CAF_CHECK_LESS_OR_EQUAL(made.created_at_ms, made.updated_at_ms);
  auto second = store.create_or_attach("user-a", "session-1", "1.0.0");
  CAF_REQUIRE(second);
  CAF_CHECK(!second->created);
  CAF_CHECK_EQUAL(second->save.save_id, made.save_id);
  CAF_CHECK_EQUAL(second->save.head.turn_id, 0);
  CAF_CHECK_EQUAL(second->save.head.chain_hash, made.head.chain_hash);
  CAF_CHECK_EQUAL(second->save.created_at_ms, made.created_at_ms);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_saves"), 1);
}

CAF_TEST(attaching returns the current head not turn 0) {
  auto made = create("user-a", "session-1");
  turn_builder b{keys, "session-1"};
  commit_next(made.save_id, b, state_json(1));
  auto again = store.create_or_attach("user-a", "session-1", "1.0.0");
  CAF_REQUIRE(again);
  CAF_CHECK(!again->created);
  CAF_CHECK_EQUAL(again->save.save_id, made.save_id);
  CAF_CHECK_EQUAL(again->save.head.turn_id, 1);
  CAF_CHECK_EQUAL(again->save.head.chain_hash, b.head().chain_hash);
}

CAF_TEST(saves are per user and per session) {
  auto a1 = create("user-a", "session-1");
  auto b1 = create("user-b", "session-1");
  auto a2 = create("user-a", "session-2");
  CAF_CHECK_NOT_EQUAL(a1.save_id, b1.save_id);
  CAF_CHECK_NOT_EQUAL(a1.save_id, a2.save_id);
  CAF_CHECK_NOT_EQUAL(b1.save_id, a2.save_id);
  // Same session, same genesis: the chain depends on the session only.
  CAF_CHECK_EQUAL(b1.head.chain_hash, a1.head.chain_hash);
  CAF_CHECK_EQUAL(a2.head.chain_hash, core::chain_genesis("session-2"));
  CAF_CHECK_EQUAL(find_save_or_fail(store, b1.save_id).user_id_hash, "user-b");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_saves"), 3);
}

CAF_TEST(find_save returns the stored record) {
  auto made = create("user-a", "session-1");
  auto found = store.find_save(made.save_id);
  CAF_REQUIRE(found);
  CAF_CHECK_EQUAL(found->save_id, made.save_id);
  CAF_CHECK_EQUAL(found->session_id, "session-1");
  CAF_CHECK_EQUAL(found->user_id_hash, "user-a");
  CAF_CHECK_EQUAL(found->version, "1.0.0");
  CAF_CHECK_EQUAL(found->head.turn_id, 0);
  CAF_CHECK_EQUAL(found->head.chain_hash, made.head.chain_hash);
  CAF_CHECK(found->integrity_ok);
  CAF_CHECK_EQUAL(found->created_at_ms, made.created_at_ms);
  CAF_CHECK_EQUAL(found->updated_at_ms, made.updated_at_ms);
}

CAF_TEST(find_save answers not_found for junk and unknown ids) {
  create("user-a", "session-1");
  for (std::string id : {"nope", "../x", "", "' OR 1=1 --",
                         "00000000-0000-0000-0000-00000000000g"}) {
    CAF_MESSAGE("id '" << id << "'");
    CAF_CHECK_EQUAL(code_of(store.find_save(id)), "not_found");
  }
  CAF_CHECK_EQUAL(code_of(store.find_save(core::random_uuid())), "not_found");
}

// -- turn_writer::commit and load_turns
// ----------------------------------------------

CAF_TEST(committed turns load back byte for byte and decode) {
  auto made = create("user-a", "session-1");
  core::encode_options opts;
  opts.snapshot_every = 3;
  turn_builder b{keys, "session-1", opts};
  std::vector<core::stored_turn> turns;
  std::vector<std::string> states;
  // Turns 1-3 one commit at a time, turns 4-6 in one batch.
  for (int i = 1; i <= 3; ++i) {
    auto expected = b.head();
    turns.push_back(b.next(state_json(i), has_nul_and_high_bytes));
    states.push_back(b.last_canonical());
    CAF_CHECK_EQUAL(code_of(commit(made.save_id, expected, turns.back())),
                    "ok");
  }
  std::vector<turn_commit> batch;
  for (int i = 4; i <= 6; ++i) {
    auto expected = b.head();
    turns.push_back(b.next(state_json(i), has_nul_and_high_bytes));
    states.push_back(b.last_canonical());
    batch.push_back({made.save_id, expected, {turns.back()}});
  }
  auto outcomes = writer.commit(batch);
  CAF_REQUIRE_EQUAL(outcomes.size(), 3u);
  for (const auto& outcome : outcomes)
    CAF_CHECK_EQUAL(code_of(outcome), "ok");
  // The codec made snapshots at turns 1 and 4, diffs elsewhere.
  CAF_CHECK_EQUAL(std::string{core::to_string(turns[0].kind)}, "snapshot");
  CAF_CHECK_EQUAL(std::string{core::to_string(turns[3].kind)}, "snapshot");
  CAF_CHECK_NOT_EQUAL(std::string{core::to_string(turns[1].kind)}, "snapshot");
  CAF_CHECK_NOT_EQUAL(std::string{core::to_string(turns[4].kind)}, "snapshot");
  auto loaded = store.load_turns(made.save_id, 1, 6, true);
  CAF_REQUIRE(loaded);
  CAF_REQUIRE_EQUAL(loaded->size(), turns.size());
  for (std::size_t i = 0; i < turns.size(); ++i)
    check_same_turn((*loaded)[i], turns[i], true);
  std::optional<core::state_image> previous;
  for (std::size_t i = 0; i < loaded->size(); ++i) {
    auto image = core::decode_turn(
      (*loaded)[i], previous ? &*previous : nullptr, keys, 1 << 20);
    if (!image) {
      CAF_CHECK_EQUAL(image.error().message, "");
      break;
    }
    CAF_CHECK_EQUAL(image->canonical, states[i]);
    previous = std::move(*image);
  }
}

CAF_TEST(load_turns without blobs returns ids hashes and kinds only) {
  auto made = create("user-a", "session-1");
  turn_builder b{keys, "session-1"};
  std::vector<core::stored_turn> turns;
  for (int i = 1; i <= 4; ++i)
    turns.push_back(commit_next(made.save_id, b, state_json(i)));
  auto loaded = store.load_turns(made.save_id, 1, 4, false);
  CAF_REQUIRE(loaded);
  CAF_REQUIRE_EQUAL(loaded->size(), 4u);
  for (std::size_t i = 0; i < turns.size(); ++i)
    check_same_turn((*loaded)[i], turns[i], false);
}

CAF_TEST(load_turns returns only the asked range) {
  auto made = create("user-a", "session-1");
  turn_builder b{keys, "session-1"};
  std::vector<core::stored_turn> turns;
  for (int i = 1; i <= 5; ++i)
    turns.push_back(commit_next(made.save_id, b, state_json(i)));
  auto middle = store.load_turns(made.save_id, 2, 3, true);
  CAF_REQUIRE(middle);
  CAF_REQUIRE_EQUAL(middle->size(), 2u);
  check_same_turn((*middle)[0], turns[1], true);
  check_same_turn((*middle)[1], turns[2], true);
  auto past_head = store.load_turns(made.save_id, 5, 9, false);
  CAF_REQUIRE(past_head);
  CAF_REQUIRE_EQUAL(past_head->size(), 1u);
  CAF_CHECK_EQUAL(past_head->front().turn_id, 5);
  auto none = store.load_turns(made.save_id, 6, 9, false);
  CAF_REQUIRE(none);
  CAF_CHECK_EQUAL(none->size(), 0u);
}

CAF_TEST(load_turns keeps saves apart and ignores junk ids) {
  auto a = create("user-a", "session-1");
  auto other = create("user-b", "session-1");
  turn_builder ba{keys, "session-1"};
  turn_builder bo{keys, "session-1"};
  commit_next(a.save_id, ba, state_json(1, "A"));
  commit_next(a.save_id, ba, state_json(2, "A"));
  auto only = commit_next(other.save_id, bo, state_json(1, "B"));
  auto loaded = store.load_turns(other.save_id, 0, 100, true);
  CAF_REQUIRE(loaded);
  CAF_REQUIRE_EQUAL(loaded->size(), 1u);
  check_same_turn(loaded->front(), only, true);
  for (std::string id : {"nope", "../x"}) {
    auto junk = store.load_turns(id, 0, 100, true);
    CAF_REQUIRE(junk);
    CAF_CHECK_EQUAL(junk->size(), 0u);
  }
}

CAF_TEST(base_turn_of names the snapshot each turn rebuilds from) {
  auto made = create("user-a", "session-1");
  core::encode_options opts;
  opts.snapshot_every = 3;
  turn_builder b{keys, "session-1", opts};
  for (int i = 1; i <= 7; ++i)
    commit_next(made.save_id, b, state_json(i));
  const std::vector<std::int64_t> expected{1, 1, 1, 4, 4, 4, 7};
  for (std::int64_t t = 1; t <= 7; ++t) {
    auto base = store.base_turn_of(made.save_id, t);
    CAF_REQUIRE(base);
    CAF_CHECK_EQUAL(*base, expected[t - 1]);
  }
  CAF_CHECK_EQUAL(code_of(store.base_turn_of(made.save_id, 8)), "not_found");
  CAF_CHECK_EQUAL(code_of(store.base_turn_of(made.save_id, 0)), "not_found");
  CAF_CHECK_EQUAL(code_of(store.base_turn_of("nope", 1)), "not_found");
  CAF_CHECK_EQUAL(code_of(store.base_turn_of(core::random_uuid(), 1)),
                  "not_found");
}

CAF_TEST(each commit advances the head and the update time) {
  auto made = create("user-a", "session-1");
  core::encode_options opts;
  opts.snapshot_every = 2;
  turn_builder b{keys, "session-1", opts};
  auto last = made;
  std::string last_snapshot;
  for (int i = 1; i <= 4; ++i) {
    let_time_pass();
    auto turn = commit_next(made.save_id, b, state_json(i));
    if (turn.kind == core::turn_kind::snapshot)
      last_snapshot = turn.blob.hash;
    auto now = find_save_or_fail(store, made.save_id);
    CAF_CHECK_EQUAL(now.head.turn_id, i);
    CAF_CHECK_EQUAL(now.head.chain_hash, turn.chain_hash);
    CAF_CHECK_EQUAL(now.created_at_ms, made.created_at_ms);
    CAF_CHECK_GREATER(now.updated_at_ms, last.updated_at_ms);
    std::string base_hash;
    sql() << "SELECT base_snapshot_hash FROM awf_saves WHERE save_id = :id",
      soci::use(made.save_id), soci::into(base_hash);
    CAF_CHECK_EQUAL(base_hash, last_snapshot);
    last = now;
  }
  CAF_CHECK_EQUAL(rows.turns_of_save(made.save_id), 4);
}

CAF_TEST(a commit against a stale head stores nothing) {
  auto made = create("user-a", "session-1");
  turn_builder b{keys, "session-1"};
  auto genesis = b.head();
  commit_next(made.save_id, b, state_json(1));
  auto head1 = b.head();
  auto turn2 = b.next(state_json(2));
  // Another device built its turn 1 on turn 0, but the head moved past it.
  turn_builder late{keys, "session-1"};
  auto late1 = late.next(state_json(1, "Late"));
  auto stale = commit(made.save_id, genesis, late1);
  CAF_CHECK_EQUAL(code_of(stale), "head_moved");
  // Right turn, wrong chain hash: also stale.
  auto forked = commit(
    made.save_id, core::chain_head{1, core::chain_genesis("other")}, turn2);
  CAF_CHECK_EQUAL(code_of(forked), "head_moved");
  // A turn that does not follow its expected head is refused outright.
  CAF_CHECK_EQUAL(code_of(commit(made.save_id, genesis, turn2)), "failure");
  CAF_CHECK_EQUAL(rows.turns_of_save(made.save_id), 1);
  CAF_CHECK_EQUAL(rows.blobs_named(late1.blob.hash), 0);
  CAF_CHECK_EQUAL(rows.blobs_named(turn2.blob.hash), 0);
  CAF_CHECK_EQUAL(rows.refs_of_blob(turn2.blob.hash), 0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_blobs"), 1);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 1u);
  auto now = find_save_or_fail(store, made.save_id);
  CAF_CHECK_EQUAL(now.head.turn_id, 1);
  CAF_CHECK_EQUAL(now.head.chain_hash, head1.chain_hash);
  // The same turn against the real head commits.
  CAF_CHECK_EQUAL(code_of(commit(made.save_id, head1, turn2)), "ok");
  CAF_CHECK_EQUAL(rows.turns_of_save(made.save_id), 2);
  CAF_CHECK_EQUAL(rows.blobs_named(turn2.blob.hash),
                  row_counts::blobs_expected(turn2));
}

CAF_TEST(a stale entry in a batch does not stop the others) {
  auto a = create("user-a", "session-1");
  auto m = create("user-m", "session-1");
  auto c = create("user-c", "session-1");
  turn_builder ba{keys, "session-1"};
  turn_builder bm{keys, "session-1"};
  turn_builder bc{keys, "session-1"};
  auto m_genesis = bm.head();
  commit_next(m.save_id, bm, state_json(1, "M"));
  auto a_expected = ba.head();
  auto c_expected = bc.head();
  auto a1 = ba.next(state_json(1, "A"));
  // Another device's turn 1 for M, built on the head it last saw.
  turn_builder bm_late{keys, "session-1"};
  auto m_late = bm_late.next(state_json(1, "M-late"));
  auto c1 = bc.next(state_json(1, "C"));
  auto outcomes = writer.commit({{a.save_id, a_expected, {a1}},
                                 {m.save_id, m_genesis, {m_late}},
                                 {c.save_id, c_expected, {c1}}});
  CAF_REQUIRE_EQUAL(outcomes.size(), 3u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "ok");
  CAF_CHECK_EQUAL(code_of(outcomes[1]), "head_moved");
  CAF_CHECK_EQUAL(code_of(outcomes[2]), "ok");
  CAF_CHECK_EQUAL(find_save_or_fail(store, a.save_id).head.turn_id, 1);
  CAF_CHECK_EQUAL(find_save_or_fail(store, a.save_id).head.chain_hash,
                  a1.chain_hash);
  CAF_CHECK_EQUAL(find_save_or_fail(store, m.save_id).head.turn_id, 1);
  CAF_CHECK_EQUAL(find_save_or_fail(store, c.save_id).head.turn_id, 1);
  CAF_CHECK_EQUAL(find_save_or_fail(store, c.save_id).head.chain_hash,
                  c1.chain_hash);
  CAF_CHECK_EQUAL(rows.turns_of_save(a.save_id), 1);
  CAF_CHECK_EQUAL(rows.turns_of_save(m.save_id), 1);
  CAF_CHECK_EQUAL(rows.turns_of_save(c.save_id), 1);
  CAF_CHECK_EQUAL(rows.blobs_named(m_late.blob.hash), 0);
  CAF_CHECK_EQUAL(rows.blobs_named(a1.blob.hash), 1);
  CAF_CHECK_EQUAL(rows.blobs_named(c1.blob.hash), 1);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 3u);
}

CAF_TEST(an entry the database rejects fails alone) {
  auto a = create("user-a", "session-1");
  auto m = create("user-m", "session-1");
  auto c = create("user-c", "session-1");
  // A stray turn-1 row makes the middle save's insert violate the key.
  sql() << "INSERT INTO awf_save_diffs (save_key, from_turn, to_turn, "
           "diff_hash, chain_hash, state_hash, kind, base_turn, state_bytes) "
           "VALUES (" +
             persistence::detail::save_key_of(":id") +
             ", 0, 1, 'x', 'x', 'x', 'snapshot', 1, 1)",
    soci::use(m.save_id);
  turn_builder ba{keys, "session-1"};
  turn_builder bm{keys, "session-1"};
  turn_builder bc{keys, "session-1"};
  std::vector<turn_commit> batch{
    next_commit(a.save_id, ba, state_json(1, "A")),
    next_commit(m.save_id, bm, state_json(1, "M")),
    next_commit(c.save_id, bc, state_json(1, "C"))};
  auto outcomes = writer.commit(batch);
  CAF_REQUIRE_EQUAL(outcomes.size(), 3u);
  CAF_CHECK_EQUAL(code_of(outcomes[0]), "ok");
  CAF_CHECK_EQUAL(code_of(outcomes[1]), "failure");
  CAF_CHECK_EQUAL(code_of(outcomes[2]), "ok");
  CAF_CHECK_EQUAL(find_save_or_fail(store, a.save_id).head.turn_id, 1);
  CAF_CHECK_EQUAL(find_save_or_fail(store, m.save_id).head.turn_id, 0);
  CAF_CHECK_EQUAL(find_save_or_fail(store, c.save_id).head.turn_id, 1);
  CAF_CHECK_EQUAL(rows.blobs_named(batch[1].turns.front().blob.hash), 0);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 2u);
}

CAF_TEST(an empty batch commits nothing) {
  CAF_CHECK_EQUAL(writer.commit({}).size(), 0u);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs"), 0);
}

CAF_TEST(a junk save id is treated like an unknown save) {
  // As find_save promises: PostgreSQL must not see non-UUID text in a UUID
  // column, so junk ids answer as a save that does not exist.
  create("user-a", "session-1");
  turn_builder b{keys, "session-1"};
  auto expected = b.head();
  auto turn = b.next(state_json(1));
  for (std::string junk : {"nope", "../x"}) {
    CAF_MESSAGE("id '" << junk << "'");
    auto unknown = commit(core::random_uuid(), expected, turn);
    CAF_CHECK_EQUAL(code_of(unknown), "head_moved");
    CAF_CHECK_EQUAL(code_of(commit(junk, expected, turn)), code_of(unknown));
    auto unknown_flag = store.set_integrity(core::random_uuid(), false);
    CAF_CHECK_EQUAL(code_of(store.set_integrity(junk, false)),
                    code_of(unknown_flag));
  }
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs"), 0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_blobs"), 0);
}

// -- blobs and keys -----------------------------------------------------------

CAF_TEST(two saves storing the same snapshot share one blob) {
  auto a = create("user-a", "session-1");
  auto b = create("user-b", "session-2");
  turn_builder ba{keys, "session-1"};
  turn_builder bb{keys, "session-2"};
  auto ta = commit_next(a.save_id, ba, state_json(1));
  auto tb = commit_next(b.save_id, bb, state_json(1));
  CAF_REQUIRE_EQUAL(ta.blob.hash, tb.blob.hash);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_blobs"), 1);
  CAF_CHECK_EQUAL(rows.blobs_named(ta.blob.hash), 1);
  CAF_CHECK_EQUAL(rows.refs_of_blob(ta.blob.hash), 2);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_blob_refs WHERE "
                        "save_id = :p",
                        b.save_id),
                  1);
  // The second save reads the first save's envelope and still decodes it.
  auto loaded = store.load_turns(b.save_id, 1, 1, true);
  CAF_REQUIRE(loaded);
  CAF_REQUIRE_EQUAL(loaded->size(), 1u);
  CAF_CHECK(loaded->front().blob.bytes == ta.blob.bytes);
  CAF_CHECK_EQUAL(loaded->front().chain_hash, tb.chain_hash);
  auto image = core::decode_turn(loaded->front(), nullptr, keys, 1 << 20);
  CAF_REQUIRE(image);
  CAF_CHECK_EQUAL(image->canonical, ba.last_canonical());
  // Both seals spent a nonce, stored or not.
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 2u);
}

CAF_TEST(stored blob rows describe their envelope) {
  auto a = create("user-a", "session-1");
  turn_builder b{keys, "session-1"};
  auto t = commit_next(a.save_id, b, state_json(1));
  std::string type, enc, codec, key_id;
  long long size = 0, stored_size = 0;
  sql() << "SELECT blob_type, enc, codec, key_id, size, stored_size FROM "
           "awf_save_blobs WHERE blob_hash = :h",
    soci::use(t.blob.hash), soci::into(type), soci::into(enc),
    soci::into(codec), soci::into(key_id), soci::into(size),
    soci::into(stored_size);
  CAF_CHECK_EQUAL(type, "snapshot");
  CAF_CHECK_EQUAL(enc, "aesgcm");
  CAF_CHECK_EQUAL(codec, t.blob.codec);
  CAF_CHECK_EQUAL(key_id, "k1");
  CAF_CHECK_EQUAL(size, static_cast<long long>(t.blob.plain_size));
  CAF_CHECK_EQUAL(stored_size, static_cast<long long>(t.blob.bytes.size()));
}

CAF_TEST(key usage counts encryptions per key across batches) {
  auto a = create("user-a", "session-1");
  auto c = create("user-c", "session-1");
  turn_builder ba{keys, "session-1"};
  turn_builder bc{keys, "session-1"};
  auto all = store.key_usage();
  CAF_REQUIRE(all);
  CAF_CHECK_EQUAL(all->size(), 0u);
  // Batch 1: two saves; batch 2: three turns of one save.
  std::vector<turn_commit> first{
    next_commit(a.save_id, ba, state_json(1, "A")),
    next_commit(c.save_id, bc, state_json(1, "C"))};
  for (const auto& outcome : writer.commit(first))
    CAF_CHECK_EQUAL(code_of(outcome), "ok");
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 2u);
  std::vector<turn_commit> second;
  for (int i = 2; i <= 4; ++i)
    second.push_back(next_commit(a.save_id, ba, state_json(i, "A")));
  for (const auto& outcome : writer.commit(second))
    CAF_CHECK_EQUAL(code_of(outcome), "ok");
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 5u);
  // A rotated ring encrypts under its first key.
  auto rotated = core::key_ring::make({{"k2", core::key_ring::random_key()},
                                       {"k1", core::key_ring::random_key()}});
  CAF_REQUIRE(rotated);
  turn_builder br{*rotated, "session-9"};
  auto r = create("user-r", "session-9");
  commit_next(r.save_id, br, state_json(1, "R"));
  commit_next(r.save_id, br, state_json(2, "R"));
  all = store.key_usage();
  CAF_REQUIRE(all);
  CAF_CHECK_EQUAL(all->size(), 2u);
  CAF_CHECK_EQUAL(key_usage_of(store, "k1"), 5u);
  CAF_CHECK_EQUAL(key_usage_of(store, "k2"), 2u);
}

// -- listing, sampling, integrity ---------------------------------------------

CAF_TEST(list_saves returns a user saves most recently updated first) {
  auto s1 = create("user-a", "session-1");
  let_time_pass();
  auto s2 = create("user-a", "session-2");
  let_time_pass();
  auto s3 = create("user-a", "session-3");
  create("user-b", "session-1");
  auto ids = [&] {
    std::vector<std::string> out;
    auto listed = store.list_saves("user-a");
    if (!listed)
      CAF_FAIL("list_saves failed: " << listed.error().message);
    for (const auto& rec : *listed) {
      CAF_CHECK_EQUAL(rec.user_id_hash, "user-a");
      out.push_back(rec.save_id);
    }
    return out;
  };
  CAF_CHECK_EQUAL(
    ids(), (std::vector<std::string>{s3.save_id, s2.save_id, s1.save_id}));
  let_time_pass();
  turn_builder b{keys, "session-1"};
  commit_next(s1.save_id, b, state_json(1));
  CAF_CHECK_EQUAL(
    ids(), (std::vector<std::string>{s1.save_id, s3.save_id, s2.save_id}));
  auto nobody = store.list_saves("user-nobody");
  CAF_REQUIRE(nobody);
  CAF_CHECK_EQUAL(nobody->size(), 0u);
}

CAF_TEST(saves created back to back list newest first) {
  // No pauses: several saves share a timestamp tick (SQLite keeps
  // milliseconds), and the order must still be most recent first.
  std::vector<std::string> newest_first;
  for (int i = 0; i < 20; ++i)
    newest_first.insert(
      newest_first.begin(),
      create("user-a", "session-" + std::to_string(i)).save_id);
  auto listed = store.list_saves("user-a");
  CAF_REQUIRE(listed);
  std::vector<std::string> got;
  for (const auto& rec : *listed)
    got.push_back(rec.save_id);
  CAF_CHECK_EQUAL(got, newest_first);
}

CAF_TEST(sample_save_ids draws by percent and limit) {
  std::set<std::string> all;
  for (int i = 0; i < 6; ++i)
    all.insert(create("user-" + std::to_string(i), "session").save_id);
  auto everything = store.sample_save_ids(100, 100);
  CAF_REQUIRE(everything);
  CAF_CHECK_EQUAL(everything->size(), 6u);
  CAF_CHECK(std::set<std::string>(everything->begin(), everything->end()) ==
            all);
  auto limited = store.sample_save_ids(100, 4);
  CAF_REQUIRE(limited);
  CAF_CHECK_EQUAL(limited->size(), 4u);
  for (const auto& id : *limited)
    CAF_CHECK(all.count(id) == 1);
  auto nothing = store.sample_save_ids(0, 100);
  CAF_REQUIRE(nothing);
  CAF_CHECK_EQUAL(nothing->size(), 0u);
}

CAF_TEST(a sampling limit still reaches every save over repeated draws) {
  std::set<std::string> all;
  for (int i = 0; i < 20; ++i)
    all.insert(create("user-" + std::to_string(i), "session").save_id);
  std::set<std::string> seen;
  // 60 draws of 5 out of 20 miss a given save with probability 0.75^60.
  for (int draw = 0; draw < 60; ++draw) {
    auto ids = store.sample_save_ids(100, 5);
    CAF_REQUIRE(ids);
    CAF_CHECK_EQUAL(ids->size(), 5u);
    seen.insert(ids->begin(), ids->end());
  }
  CAF_CHECK(seen == all);
}

CAF_TEST(set_integrity records a verification outcome) {
  auto a = create("user-a", "session-1");
  auto other = create("user-b", "session-1");
  CAF_CHECK(find_save_or_fail(store, a.save_id).integrity_ok);
  CAF_CHECK_EQUAL(code_of(store.set_integrity(a.save_id, false)), "ok");
  CAF_CHECK(!find_save_or_fail(store, a.save_id).integrity_ok);
  CAF_CHECK(find_save_or_fail(store, other.save_id).integrity_ok);
  CAF_CHECK_EQUAL(code_of(store.set_integrity(a.save_id, true)), "ok");
  CAF_CHECK(find_save_or_fail(store, a.save_id).integrity_ok);
}

CAF_TEST_FIXTURE_SCOPE_END()
