#define CAF_SUITE archive_store

#include "persistence/archive_store.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <string>
#include <vector>

#include "core/chain_verifier.hpp"
#include "core/uuid.hpp"
#include "persistence/save_store.hpp"
#include "persistence/turn_writer.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;
using persistence::archive_record;

namespace {

std::string state_json(int i, const std::string& who) {
  return R"({"who":")" + who + R"(","turn":)" + std::to_string(i) +
         R"(,"bag":["sword","shield",)" + std::to_string(i * 3) + R"(],"hp":)" +
         std::to_string(100 - i) + "}";
}

/// A save with head turns 1..3 and a client branch leaving it at turn 2.
struct fixture : database_fixture {
  core::key_ring keys = make_key_ring("k1");
  persistence::save_store saves{*db};
  persistence::turn_writer writer{*db};
  persistence::archive_store archives{*db};
  row_counts rows{*this};
  std::string save_id;
  turn_builder head{keys, "session-1"};
  core::chain_head fork_head; ///< the head chain at turn 2
  std::vector<core::stored_turn> head_turns;

  fixture() {
    auto made = saves.create_or_attach("user-a", "session-1", "1.0.0");
    if (!made)
      CAF_FAIL("create_or_attach failed: " << made.error().message);
    save_id = made->save.save_id;
    for (int i = 1; i <= 3; ++i) {
      auto expected = head.head();
      head_turns.push_back(head.next(state_json(i, "server")));
      auto status =
        writer.commit({{save_id, expected, {head_turns.back()}}}).front();
      if (!status)
        CAF_FAIL("commit failed: " << status.error().message);
      if (i == 2)
        fork_head = head.head();
    }
  }

  /// Builds `n` turns of a branch leaving the head chain at `fork`.
  std::vector<core::stored_turn> branch(turn_builder& b, int n,
                                        const std::string& who) {
    std::vector<core::stored_turn> out;
    for (int i = 0; i < n; ++i)
      out.push_back(b.next(state_json(b.head().turn_id + 1, who)));
    return out;
  }

  archive_record record(std::int64_t fork_turn,
                        const std::string& reason = "conflict") {
    return archive_record{
      core::random_uuid(), save_id, reason, R"({"device_id":"dev-b"})",
      fork_turn,           0,       0};
  }

  /// Checks that nothing of `turns` nor of archive `id` was stored.
  void check_nothing_stored(const std::string& id,
                            const std::vector<core::stored_turn>& turns) {
    // As text: a malformed id is no UUID for PostgreSQL to compare with.
    CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_archives WHERE "
                          "CAST(archive_id AS TEXT) = :p",
                          id),
                    0);
    CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 0);
    for (const auto& t : turns) {
      CAF_CHECK_EQUAL(rows.blobs_named(t.blob.hash), 0);
      CAF_CHECK_EQUAL(rows.refs_of_blob(t.blob.hash), 0);
    }
    CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 3u);
  }

  /// The head chain is untouched by archiving.
  void check_head_unchanged() {
    auto now = saves.find_save(save_id);
    CAF_REQUIRE(now);
    CAF_CHECK_EQUAL(now->head.turn_id, 3);
    CAF_CHECK_EQUAL(now->head.chain_hash, head.head().chain_hash);
    CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs"), 3);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(archive_store_tests, fixture)

CAF_TEST(an archive stores its turns and they rebuild the branch) {
  turn_builder b{keys, fork_head};
  auto turns = branch(b, 4, "client");
  CAF_CHECK_EQUAL(std::string{core::to_string(turns[0].kind)}, "snapshot");
  CAF_CHECK_EQUAL(turns[0].turn_id, 3);
  CAF_CHECK_NOT_EQUAL(std::string{core::to_string(turns[3].kind)}, "snapshot");
  auto rec = record(2);
  auto before = now_ms();
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(rec, turns)), "ok");
  auto found = archives.find_archive(save_id, rec.archive_id);
  CAF_REQUIRE(found);
  CAF_CHECK_EQUAL(found->archive_id, rec.archive_id);
  CAF_CHECK_EQUAL(found->save_id, save_id);
  CAF_CHECK_EQUAL(found->reason, "conflict");
  CAF_CHECK_EQUAL(json_text(found->meta_json),
                  json_text(R"({"device_id":"dev-b"})"));
  CAF_CHECK_EQUAL(found->fork_turn, 2);
  CAF_CHECK_EQUAL(found->turn_count, 4);
  CAF_CHECK_GREATER(found->created_at_ms, before - 60'000);
  CAF_CHECK_LESS(found->created_at_ms, now_ms() + 60'000);
  // Every turn loads back as written, blobs included, and rebuilds.
  auto loaded = archives.load_archive_turns(rec.archive_id, 3, 6, true);
  CAF_REQUIRE(loaded);
  CAF_REQUIRE_EQUAL(loaded->size(), 4u);
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const auto& got = (*loaded)[i];
    const auto& want = turns[i];
    CAF_MESSAGE("turn " << want.turn_id);
    CAF_CHECK_EQUAL(got.turn_id, want.turn_id);
    CAF_CHECK_EQUAL(std::string{core::to_string(got.kind)},
                    std::string{core::to_string(want.kind)});
    CAF_CHECK_EQUAL(got.base_turn, want.base_turn);
    CAF_CHECK_EQUAL(got.state_hash, want.state_hash);
    CAF_CHECK_EQUAL(got.chain_hash, want.chain_hash);
    CAF_CHECK_EQUAL(got.state_bytes, want.state_bytes);
    CAF_CHECK_EQUAL(got.blob.hash, want.blob.hash);
    CAF_CHECK_EQUAL(got.blob.type, want.blob.type);
    CAF_CHECK_EQUAL(got.blob.codec, want.blob.codec);
    // Only a snapshot's blob records its plaintext size.
    if (want.kind == core::turn_kind::snapshot)
      CAF_CHECK_EQUAL(got.blob.plain_size, want.blob.plain_size);
    CAF_CHECK(got.blob.bytes == want.blob.bytes);
  }
  auto rebuilt = core::rebuild_state(*loaded, keys, 1 << 20);
  CAF_REQUIRE(rebuilt);
  CAF_CHECK_EQUAL(rebuilt->canonical, b.last_canonical());
  CAF_CHECK_EQUAL(core::state_hash(rebuilt->canonical), turns[3].state_hash);
  // The chain continues from the fork point of the head chain.
  CAF_CHECK_EQUAL(turns[0].chain_hash, core::chain_next(fork_head.chain_hash, 3,
                                                        turns[0].state_hash));
  // A sub-range, and turns without blobs.
  auto first_two = archives.load_archive_turns(rec.archive_id, 3, 4, true);
  CAF_REQUIRE(first_two);
  CAF_REQUIRE_EQUAL(first_two->size(), 2u);
  auto at_four = core::rebuild_state(*first_two, keys, 1 << 20);
  CAF_REQUIRE(at_four);
  CAF_CHECK_EQUAL(core::state_hash(at_four->canonical), turns[1].state_hash);
  auto bare = archives.load_archive_turns(rec.archive_id, 0, 100, false);
  CAF_REQUIRE(bare);
  CAF_REQUIRE_EQUAL(bare->size(), 4u);
  CAF_CHECK_EQUAL(bare->back().blob.hash, turns[3].blob.hash);
  CAF_CHECK_EQUAL(bare->back().blob.bytes.size(), 0u);
  CAF_CHECK_EQUAL(bare->back().blob.type, "");
  check_head_unchanged();
}

CAF_TEST(archived snapshots are referenced by the save and seals counted) {
  turn_builder b{keys, fork_head};
  auto turns = branch(b, 3, "client");
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 3u);
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(record(2), turns)), "ok");
  // The branch's first turn is a snapshot (a shared blob); its diffs live
  // in their archived rows.
  for (const auto& t : turns) {
    long long want = t.kind == core::turn_kind::snapshot ? 1 : 0;
    CAF_CHECK_EQUAL(rows.blobs_named(t.blob.hash), want);
    CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_blob_refs WHERE "
                          "blob_hash = '" +
                            t.blob.hash + "' AND save_id = :p",
                          save_id),
                    want);
  }
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns WHERE body "
                        "IS NOT NULL"),
                  2);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_blob_refs"), 2);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_blobs"), 2);
  // One encryption per archived turn, as turn_writer counts them.
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 6u);
  // A rotated ring's turns count under its own key.
  auto rotated = core::key_ring::make({{"k2", core::key_ring::random_key()},
                                       {"k1", core::key_ring::random_key()}});
  CAF_REQUIRE(rotated);
  turn_builder r{*rotated, fork_head};
  auto other = branch(r, 2, "tablet");
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(record(2), other)), "ok");
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 6u);
  CAF_CHECK_EQUAL(key_usage_of(saves, "k2"), 2u);
}

CAF_TEST(an archived snapshot equal to a stored one shares its blob) {
  // The branch leaves at turn 0 and starts with the head's first state.
  turn_builder b{keys, core::chain_head{0, core::chain_genesis("session-1")}};
  auto turns = branch(b, 1, "server");
  CAF_REQUIRE_EQUAL(turns[0].blob.hash, head_turns[0].blob.hash);
  auto rec = record(0);
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(rec, turns)), "ok");
  CAF_CHECK_EQUAL(rows.blobs_named(turns[0].blob.hash), 1);
  CAF_CHECK_EQUAL(rows.refs_of_blob(turns[0].blob.hash), 1);
  // The head's only blob is that snapshot; its diffs are in its rows.
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_blobs"), 1);
  // The stored envelope is the head's; it still decodes to the state.
  auto loaded = archives.load_archive_turns(rec.archive_id, 1, 1, true);
  CAF_REQUIRE(loaded);
  CAF_REQUIRE_EQUAL(loaded->size(), 1u);
  CAF_CHECK(loaded->front().blob.bytes == head_turns[0].blob.bytes);
  auto image = core::rebuild_state(*loaded, keys, 1 << 20);
  CAF_REQUIRE(image);
  CAF_CHECK_EQUAL(image->canonical, b.last_canonical());
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 4u);
}

CAF_TEST(a failing write stores nothing) {
  turn_builder b{keys, fork_head};
  auto turns = branch(b, 3, "client");
  // A duplicate archive id: the second write fails whole.
  auto first = record(2);
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(first, {turns[0]})), "ok");
  auto again = first;
  again.reason = "manual_restore";
  turn_builder other{keys, fork_head};
  auto other_turns = branch(other, 2, "tablet");
  CAF_CHECK_EQUAL(code_of(archives.write_archive(again, other_turns)),
                  "failure");
  auto kept = archives.find_archive(save_id, first.archive_id);
  CAF_REQUIRE(kept);
  CAF_CHECK_EQUAL(kept->reason, "conflict");
  CAF_CHECK_EQUAL(kept->turn_count, 1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 1);
  for (const auto& t : other_turns) {
    CAF_CHECK_EQUAL(rows.blobs_named(t.blob.hash), 0);
    CAF_CHECK_EQUAL(rows.refs_of_blob(t.blob.hash), 0);
  }
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 4u);
  check_head_unchanged();
}

CAF_TEST(a turn the database refuses stores nothing of the archive) {
  turn_builder b{keys, fork_head};
  auto turns = branch(b, 3, "client");
  // A snapshot blob of a type the schema does not allow.
  turns[1].kind = core::turn_kind::snapshot;
  turns[1].base_turn = turns[1].turn_id;
  turns[1].blob.type = "bogus";
  auto rec = record(2);
  CAF_CHECK_EQUAL(code_of(archives.write_archive(rec, turns)), "failure");
  check_nothing_stored(rec.archive_id, turns);
  check_head_unchanged();
}

CAF_TEST(malformed archives are refused before anything is written) {
  turn_builder b{keys, fork_head};
  auto turns = branch(b, 3, "client");
  auto refuse = [&](const archive_record& rec,
                    const std::vector<core::stored_turn>& ts,
                    const std::string& code) {
    CAF_CHECK_EQUAL(code_of(archives.write_archive(rec, ts)), code);
    check_nothing_stored(rec.archive_id, turns);
  };
  CAF_MESSAGE("not starting with a snapshot");
  refuse(record(3), {turns[1], turns[2]}, "failure");
  CAF_MESSAGE("a gap");
  refuse(record(2), {turns[0], turns[2]}, "failure");
  CAF_MESSAGE("the wrong fork turn");
  refuse(record(1), turns, "failure");
  CAF_MESSAGE("an unknown reason");
  refuse(record(2, "whim"), turns, "failure");
  CAF_MESSAGE("meta that is not a JSON object");
  auto bad_meta = record(2);
  bad_meta.meta_json = "[1]";
  refuse(bad_meta, turns, "failure");
  CAF_MESSAGE("an archive id that is not a UUID");
  auto bad_id = record(2);
  bad_id.archive_id = "archive-1";
  refuse(bad_id, turns, "failure");
  CAF_MESSAGE("a save that does not exist");
  auto ghost = record(2);
  ghost.save_id = core::random_uuid();
  refuse(ghost, turns, "failure");
  auto junk = record(2);
  junk.save_id = "nope";
  refuse(junk, turns, "not_found");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_archives"), 0);
}

CAF_TEST(an archive may hold no turns) {
  auto rec = record(3, "manual_restore");
  rec.meta_json = "";
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(rec, {})), "ok");
  auto found = archives.find_archive(save_id, rec.archive_id);
  CAF_REQUIRE(found);
  CAF_CHECK_EQUAL(found->reason, "manual_restore");
  CAF_CHECK_EQUAL(found->fork_turn, 3);
  CAF_CHECK_EQUAL(found->turn_count, 0);
  CAF_CHECK_EQUAL(json_text(found->meta_json), "{}");
  auto loaded = archives.load_archive_turns(rec.archive_id, 0, 100, true);
  CAF_REQUIRE(loaded);
  CAF_CHECK_EQUAL(loaded->size(), 0u);
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 3u);
}

CAF_TEST(list_archives returns a save archives newest first) {
  turn_builder b{keys, fork_head};
  auto turns = branch(b, 2, "client");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto rec = record(2, i == 1 ? "manual_restore" : "conflict");
    CAF_REQUIRE_EQUAL(code_of(archives.write_archive(rec, turns)), "ok");
    ids.insert(ids.begin(), rec.archive_id);
    let_time_pass();
  }
  // Another save's archive stays out of the list.
  auto other = saves.create_or_attach("user-b", "session-1", "1.0.0");
  CAF_REQUIRE(other);
  auto foreign = record(0);
  foreign.save_id = other->save.save_id;
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(foreign, {})), "ok");
  auto listed = archives.list_archives(save_id, 10);
  CAF_REQUIRE(listed);
  std::vector<std::string> got;
  for (const auto& rec : *listed) {
    CAF_CHECK_EQUAL(rec.save_id, save_id);
    CAF_CHECK_EQUAL(rec.turn_count, 2);
    got.push_back(rec.archive_id);
  }
  CAF_CHECK_EQUAL(got, ids);
  CAF_REQUIRE_EQUAL(listed->size(), 3u);
  CAF_CHECK_EQUAL((*listed)[1].reason, "manual_restore");
  CAF_CHECK_GREATER((*listed)[0].created_at_ms, (*listed)[2].created_at_ms);
  auto limited = archives.list_archives(save_id, 2);
  CAF_REQUIRE(limited);
  CAF_REQUIRE_EQUAL(limited->size(), 2u);
  CAF_CHECK_EQUAL(limited->front().archive_id, ids.front());
  auto mine = archives.list_archives(other->save.save_id, 10);
  CAF_REQUIRE(mine);
  CAF_REQUIRE_EQUAL(mine->size(), 1u);
  CAF_CHECK_EQUAL(mine->front().archive_id, foreign.archive_id);
  // The head's snapshot and the branch's: each stored once, whatever the
  // number of archives using it (each archive's diffs are its own rows).
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_blobs"), 2);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 6);
  auto junk = archives.list_archives("nope", 10);
  CAF_REQUIRE(junk);
  CAF_CHECK_EQUAL(junk->size(), 0u);
}

CAF_TEST(find_archive answers only for its own save) {
  auto rec = record(2);
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(rec, {})), "ok");
  auto other = saves.create_or_attach("user-b", "session-1", "1.0.0");
  CAF_REQUIRE(other);
  CAF_CHECK_EQUAL(code_of(archives.find_archive(save_id, rec.archive_id)),
                  "ok");
  CAF_CHECK_EQUAL(
    code_of(archives.find_archive(other->save.save_id, rec.archive_id)),
    "not_found");
  CAF_CHECK_EQUAL(code_of(archives.find_archive(save_id, core::random_uuid())),
                  "not_found");
  CAF_CHECK_EQUAL(code_of(archives.find_archive(save_id, "nope")), "not_found");
  CAF_CHECK_EQUAL(code_of(archives.find_archive("nope", rec.archive_id)),
                  "not_found");
  auto junk = archives.load_archive_turns("nope", 0, 10, true);
  CAF_REQUIRE(junk);
  CAF_CHECK_EQUAL(junk->size(), 0u);
}

CAF_TEST(deleting the save removes its archives and their turns) {
  turn_builder b{keys, fork_head};
  auto rec = record(2);
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(rec, branch(b, 2, "c"))),
                    "ok");
  sql() << "DELETE FROM awf_saves WHERE save_id = :id", soci::use(save_id);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_archives"), 0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_blob_refs"), 0);
  CAF_CHECK_EQUAL(code_of(archives.find_archive(save_id, rec.archive_id)),
                  "not_found");
}

CAF_TEST_FIXTURE_SCOPE_END()
