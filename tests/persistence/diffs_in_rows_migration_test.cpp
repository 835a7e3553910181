#define CAF_SUITE diffs_in_rows_migration

#include "caf/test/unit_test.hpp"

#include <string>
#include <vector>

#include "core/chain_verifier.hpp"
#include "persistence/archive_store.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/detail/sync_records.hpp"
#include "persistence/migrations.hpp"
#include "persistence/turn_writer.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;

// Migration 6 moves every diff into its turn row; migration 8 makes turn
// rows compact (an integer save key, binary hashes). A database written
// before both (diffs as content-addressed blobs with references, in saves
// and archives, next to conflicts) is built here in the old layout with real
// sealed turns, migrated to version 7, given a turn in that version's layout
// (its sync up record kept in the row), migrated to the latest version, and
// read back through today's read path.

namespace {

constexpr std::size_t max_state = std::size_t{1} << 20;

const std::string save_a = "00000000-0000-4000-8000-00000000000a";
const std::string save_b = "00000000-0000-4000-8000-00000000000b";
const std::string archive_a = "00000000-0000-4000-8000-0000000000a1";
const std::string conflict_a = "00000000-0000-4000-8000-0000000000c1";

std::string state_json(int turn, const std::string& who) {
  std::string items;
  for (int i = 0; i < 40; ++i)
    items += (i ? "," : "") + std::string{"{\"id\":"} + std::to_string(i) +
             ",\"n\":" + std::to_string(i == turn % 40 ? turn : i) + "}";
  return "{\"who\":\"" + who + "\",\"turn\":" + std::to_string(turn) +
         ",\"items\":[" + items + "]}";
}

struct fixture : raw_database_fixture {
  core::key_ring keys = make_key_ring();

  fixture() { CAF_REQUIRE(persistence::migrate(*db, 5)); }

  /// `turn` as the engine stored it before migration 6: a diff is a blob
  /// addressed by the SHA-256 of its plaintext, sealed under that hash.
  core::stored_turn old_layout(core::stored_turn turn) {
    if (turn.kind == core::turn_kind::snapshot)
      return turn;
    auto plain = core::open_blob(turn.blob, keys, max_state);
    CAF_REQUIRE(plain);
    auto old = core::seal_blob(
      *plain, "diff", turn.kind == core::turn_kind::zstd_delta, 3, keys);
    CAF_REQUIRE(old);
    turn.blob = std::move(*old);
    return turn;
  }

  void insert_blob(const std::string& save_id, const core::stored_blob& b) {
    std::string bytes = persistence::detail::bytes_to_parameter(*db, b.bytes);
    long long size = static_cast<long long>(b.plain_size);
    long long stored = static_cast<long long>(b.bytes.size());
    sql() << "INSERT INTO awf_save_blobs (blob_hash, blob_type, bytes, size, "
             "enc, codec, key_id, stored_size) VALUES (:h, :t, " +
               persistence::detail::bytes_in(*db, ":b") +
               ", :s, 'aesgcm', :c, 'k1', :ss) ON CONFLICT (blob_hash) DO "
               "NOTHING",
      soci::use(b.hash), soci::use(b.type), soci::use(bytes), soci::use(size),
      soci::use(b.codec), soci::use(stored);
    sql() << "INSERT INTO awf_blob_refs (save_id, blob_hash) VALUES (:s, :h) "
             "ON CONFLICT (save_id, blob_hash) DO NOTHING",
      soci::use(save_id), soci::use(b.hash);
  }

  /// Writes `turns` of a save's head chain in the old layout.
  void insert_save(const std::string& save_id, const std::string& session,
                   const std::string& user,
                   const std::vector<core::stored_turn>& turns) {
    auto genesis = core::chain_genesis(session);
    sql() << "INSERT INTO awf_saves (save_id, session_id, user_id_hash, "
             "turn_id, latest_chain_hash) VALUES (:id, :s, :u, 0, :c)",
      soci::use(save_id), soci::use(session), soci::use(user),
      soci::use(genesis);
    std::string snapshot;
    for (const auto& t : turns) {
      insert_blob(save_id, t.blob);
      long long to = t.turn_id, from = t.turn_id - 1, base = t.base_turn,
                bytes = static_cast<long long>(t.state_bytes);
      std::string kind = core::to_string(t.kind);
      sql() << "INSERT INTO awf_save_diffs (save_id, from_turn, to_turn, "
               "diff_hash, chain_hash, state_hash, kind, base_turn, "
               "state_bytes) VALUES (:s, :f, :t, :d, :c, :h, :k, :b, :sb)",
        soci::use(save_id), soci::use(from), soci::use(to),
        soci::use(t.blob.hash), soci::use(t.chain_hash),
        soci::use(t.state_hash), soci::use(kind), soci::use(base),
        soci::use(bytes);
      if (t.kind == core::turn_kind::snapshot)
        snapshot = t.blob.hash;
    }
    long long head = turns.back().turn_id;
    sql() << "UPDATE awf_saves SET turn_id = :t, latest_chain_hash = :c, "
             "base_snapshot_hash = :b WHERE save_id = :id",
      soci::use(head), soci::use(turns.back().chain_hash), soci::use(snapshot),
      soci::use(save_id);
  }

  /// Writes an archived branch of `save_a` in the old layout.
  void insert_archive(std::int64_t fork_turn,
                      const std::vector<core::stored_turn>& turns) {
    long long fork = fork_turn;
    long long count = static_cast<long long>(turns.size());
    sql() << "INSERT INTO awf_save_archives (archive_id, save_id, reason, "
             "fork_turn, turn_count) VALUES (:a, :s, 'conflict', :f, :n)",
      soci::use(archive_a), soci::use(save_a), soci::use(fork),
      soci::use(count);
    for (const auto& t : turns) {
      insert_blob(save_a, t.blob);
      long long id = t.turn_id, base = t.base_turn,
                bytes = static_cast<long long>(t.state_bytes);
      std::string kind = core::to_string(t.kind);
      sql() << "INSERT INTO awf_archive_turns (archive_id, turn_id, "
               "diff_hash, chain_hash, state_hash, kind, base_turn, "
               "state_bytes) VALUES (:a, :t, :d, :c, :h, :k, :b, :sb)",
        soci::use(archive_a), soci::use(id), soci::use(t.blob.hash),
        soci::use(t.chain_hash), soci::use(t.state_hash), soci::use(kind),
        soci::use(base), soci::use(bytes);
    }
  }

  void insert_conflict() {
    std::string report = is_postgresql() ? "CAST(:r AS JSONB)" : ":r";
    std::string text = "{\"conflict_id\":\"" + conflict_a + "\"}";
    sql() << "INSERT INTO awf_conflicts (conflict_id, save_id, fork_turn, "
             "strategy, reason, chosen_branch, archive_id, report) VALUES "
             "(:id, :s, 27, 'client_wins', 'client_wins', 'client', :a, " +
               report + ")",
      soci::use(conflict_a), soci::use(save_a), soci::use(archive_a),
      soci::use(text);
  }

  /// Appends `turn` to the head of `save_id` as version 7 stored a sync up
  /// of one turn (the diff in the row, the record in `sync_turns`).
  void insert_v7_sync_up(const std::string& save_id, const core::stored_turn& t,
                         const std::string& device) {
    std::string body =
      persistence::detail::bytes_to_parameter(*db, t.blob.bytes);
    long long to = t.turn_id, from = t.turn_id - 1, base = t.base_turn,
              bytes = static_cast<long long>(t.state_bytes);
    std::string kind = core::to_string(t.kind);
    std::string created = persistence::detail::now_ms_text(*db);
    sql() << "INSERT INTO awf_save_diffs (save_id, from_turn, to_turn, "
             "diff_hash, chain_hash, state_hash, kind, base_turn, "
             "state_bytes, body, device_id, sync_turns, created_at) VALUES "
             "(:s, :f, :t, '', :c, :h, :k, :b, :sb, " +
               persistence::detail::bytes_in(*db, ":body") + ", :dv, 1, :ca)",
      soci::use(save_id), soci::use(from), soci::use(to),
      soci::use(t.chain_hash), soci::use(t.state_hash), soci::use(kind),
      soci::use(base), soci::use(bytes), soci::use(body), soci::use(device),
      soci::use(created);
    sql() << "UPDATE awf_saves SET turn_id = :t, latest_chain_hash = :c "
             "WHERE save_id = :id",
      soci::use(to), soci::use(t.chain_hash), soci::use(save_id);
  }

  /// The id version 7 gave the sync up record kept in turn `turn` of
  /// `save_id` (read from the row as version 7 read it).
  std::string v7_record_id(const std::string& save_id, std::int64_t turn) {
    persistence::detail::sync_record_key key{save_id, turn, {}, {}};
    long long t = turn;
    sql() << "SELECT chain_hash, CAST(created_at AS TEXT) FROM "
             "awf_save_diffs WHERE save_id = :s AND to_turn = :t",
      soci::use(save_id), soci::use(t), soci::into(key.chain_hash),
      soci::into(key.created_at);
    CAF_REQUIRE_EQUAL(key.chain_hash.size(), 64u);
    return persistence::detail::sync_record_id(key);
  }

  /// Rebuilds every turn of `turns` in order and checks the chain from
  /// `start`; returns the last state.
  std::string rebuild_checked(const core::chain_head& start,
                              const std::vector<core::stored_turn>& turns) {
    core::chain_verifier verifier{start, std::nullopt, keys, max_state};
    for (const auto& t : turns)
      verifier.feed(t, true);
    CAF_CHECK_EQUAL(verifier.errors(), std::vector<std::string>{});
    CAF_REQUIRE(verifier.last_state());
    return verifier.last_state()->canonical;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(diffs_in_rows_migration_tests, fixture)

CAF_TEST(saves archives conflicts and sync records survive migrations 6 to 8) {
  // Save A: 30 turns (snapshots at 1 and 26). Save B starts with A's first
  // state, so the two share that snapshot blob.
  turn_builder a{keys, "session-a"};
  std::vector<core::stored_turn> a_turns;
  for (int i = 1; i <= 30; ++i)
    a_turns.push_back(old_layout(a.next(state_json(i, "a"))));
  turn_builder b{keys, "session-a"};
  std::vector<core::stored_turn> b_turns;
  b_turns.push_back(old_layout(b.next(state_json(1, "a"))));
  for (int i = 2; i <= 4; ++i)
    b_turns.push_back(old_layout(b.next(state_json(i, "b"))));
  CAF_REQUIRE_EQUAL(a_turns[0].blob.hash, b_turns[0].blob.hash);
  insert_save(save_a, "session-a", "user-a", a_turns);
  insert_save(save_b, "session-a", "user-b", b_turns);
  // An archived branch that left save A at turn 27 (a snapshot, then diffs).
  turn_builder branch{keys, core::chain_head{27, a_turns[26].chain_hash}};
  std::vector<core::stored_turn> archived;
  for (int i = 28; i <= 31; ++i)
    archived.push_back(old_layout(branch.next(state_json(i, "lost"))));
  insert_archive(27, archived);
  insert_conflict();
  // A sync up record of the old layout: a row of its own.
  persistence::audit_log audit{*db};
  auto old_record = audit.append(save_a, std::string{"dev-1"}, "sync_up",
                                 R"({"status":"fast_forward","turns":1})");
  CAF_REQUIRE(old_record);
  auto diff_blobs_before =
    count("SELECT COUNT(*) FROM awf_save_blobs WHERE blob_type = 'diff'");
  CAF_CHECK_GREATER(diff_blobs_before, 30);

  auto to_seven = persistence::migrate(*db, 7);
  CAF_REQUIRE(to_seven);
  CAF_CHECK_EQUAL(*to_seven, (std::vector<int>{6, 7}));
  // Turn 31 of save A as version 7 stored it: the diff in its row, hashes
  // as hex text, the sync up record in the row.
  a_turns.push_back(a.next(state_json(31, "a")));
  const auto& v7_turn = a_turns.back();
  CAF_REQUIRE(v7_turn.kind != core::turn_kind::snapshot);
  let_time_pass();
  insert_v7_sync_up(save_a, v7_turn, "dev-7");
  let_time_pass();
  auto v7_record = v7_record_id(save_a, 31);

  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  CAF_CHECK_EQUAL(*applied, (std::vector<int>{8}));

  CAF_MESSAGE("only snapshots are left as blobs, each with its references");
  CAF_CHECK_EQUAL(
    count("SELECT COUNT(*) FROM awf_save_blobs WHERE blob_type = 'diff'"), 0);
  // A's snapshots at turns 1 (shared with B) and 26, the archive's at 28;
  // A references all three, B its first.
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_blobs"), 3);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_blob_refs"), 4);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_blob_refs r WHERE NOT "
                        "EXISTS (SELECT 1 FROM awf_save_blobs b WHERE "
                        "b.blob_hash = r.blob_hash)"),
                  0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs WHERE kind <> "
                        "'snapshot' AND body IS NULL"),
                  0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs WHERE kind = "
                        "'snapshot' AND body IS NOT NULL"),
                  0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns WHERE kind "
                        "<> 'snapshot' AND body IS NULL"),
                  0);

  CAF_MESSAGE("every save rebuilds byte for byte and its chain verifies");
  persistence::save_store saves{*db};
  auto a_rows = saves.load_turns(save_a, 1, 31, true);
  CAF_REQUIRE(a_rows);
  CAF_REQUIRE_EQUAL(a_rows->size(), 31u);
  CAF_CHECK_EQUAL(
    rebuild_checked({0, core::chain_genesis("session-a")}, *a_rows),
    a.last_canonical());
  auto b_rows = saves.load_turns(save_b, 1, 4, true);
  CAF_REQUIRE(b_rows);
  CAF_CHECK_EQUAL(
    rebuild_checked({0, core::chain_genesis("session-a")}, *b_rows),
    b.last_canonical());

  CAF_MESSAGE("the archive rebuilds and the conflict still names it");
  persistence::archive_store archives{*db};
  auto archived_rows = archives.load_archive_turns(archive_a, 28, 31, true);
  CAF_REQUIRE(archived_rows);
  CAF_CHECK_EQUAL(rebuild_checked({27, a_turns[26].chain_hash}, *archived_rows),
                  branch.last_canonical());
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts WHERE "
                        "archive_id = :p",
                        archive_a),
                  1);

  CAF_MESSAGE("new turns land after the old ones and the whole chain reads");
  persistence::turn_writer writer{*db};
  auto next = a.next(state_json(32, "a"));
  next.device_id = "dev-1";
  persistence::turn_commit sync_up{
    save_a, {31, a_turns.back().chain_hash}, {next}};
  sync_up.sync_turns = 1;
  auto committed = writer.commit({sync_up});
  CAF_REQUIRE_EQUAL(committed.size(), 1u);
  CAF_REQUIRE(committed.front());
  auto all = saves.load_turns(save_a, 1, 32, true);
  CAF_REQUIRE(all);
  CAF_CHECK_EQUAL(rebuild_checked({0, core::chain_genesis("session-a")}, *all),
                  a.last_canonical());
  CAF_CHECK_EQUAL(all->back().device_id, "dev-1");
  CAF_CHECK_EQUAL(all->at(30).device_id, "dev-7");
  CAF_CHECK_EQUAL(all->front().device_id, "");

  CAF_MESSAGE("the sync up records of every layout list, the version 7 one "
              "under the id it had");
  auto records = audit.list(save_a, 10);
  CAF_REQUIRE(records);
  CAF_REQUIRE_EQUAL(records->size(), 3u);
  CAF_CHECK_EQUAL(records->at(2).audit_id, *old_record);
  CAF_CHECK_EQUAL(records->at(1).audit_id, v7_record);
  CAF_CHECK_EQUAL(records->at(1).device_id.value_or(""), "dev-7");
  CAF_CHECK_EQUAL(records->at(0).operation, "sync_up");
  CAF_CHECK_EQUAL(records->at(0).device_id.value_or(""), "dev-1");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_sync_audit"), 1);

  CAF_MESSAGE("every turn row names its save by key and holds 32-byte hashes");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs WHERE "
                        "LENGTH(chain_hash) <> 32 OR LENGTH(state_hash) <> 32"),
                  0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns WHERE "
                        "LENGTH(chain_hash) <> 32 OR LENGTH(state_hash) <> 32"),
                  0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs d JOIN "
                        "awf_saves s ON s.save_key = d.save_key WHERE "
                        "s.save_id = :p",
                        save_b),
                  4);

  CAF_MESSAGE("a new save gets a key of its own, and deleting a save takes "
              "its turn rows");
  auto created = saves.create_or_attach("user-c", "session-c", "1.0.0");
  CAF_REQUIRE(created);
  CAF_CHECK_EQUAL(count("SELECT COUNT(DISTINCT save_key) FROM awf_saves"), 3);
  sql() << "DELETE FROM awf_saves WHERE save_id = :id", soci::use(save_b);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs"), 32);
}

CAF_TEST_FIXTURE_SCOPE_END()
