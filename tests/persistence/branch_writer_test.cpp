#define CAF_SUITE branch_writer

#include "persistence/branch_writer.hpp"

#include "caf/test/unit_test.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/chain_verifier.hpp"
#include "core/uuid.hpp"
#include "persistence/archive_store.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/conflict_store.hpp"
#include "persistence/save_store.hpp"
#include "persistence/turn_writer.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;
using persistence::archive_record;
using persistence::branch_change;
using persistence::conflict_record;

namespace {

std::string state_json(std::int64_t i, const std::string& who) {
  return R"({"who":")" + who + R"(","turn":)" + std::to_string(i) +
         R"(,"bag":["sword","shield",)" + std::to_string(i * 3) +
         R"(],"map":{"x":)" + std::to_string(i * 2) + R"(,"y":7},"hp":)" +
         std::to_string(100 - i) + "}";
}

/// A save and the turns committed to it, one at a time.
struct saved_chain {
  std::string save_id;
  std::vector<turn_builder> at;         ///< at[i]: the builder after turn i
  std::vector<core::stored_turn> turns; ///< turns[i - 1]: turn i

  const core::chain_head& head() const { return at.back().head(); }
  const core::chain_head& head_at(std::size_t turn) const {
    return at[turn].head();
  }
  const core::stored_turn& turn(std::int64_t id) const {
    return turns[static_cast<std::size_t>(id - 1)];
  }
};

/// Everything a change could have written, to compare before and after.
struct store_state {
  std::map<std::string, long long> rows;
  core::chain_head head;
  std::string base_snapshot_hash;
  std::int64_t updated_at_ms = 0;

  friend bool operator==(const store_state&, const store_state&) = default;
};

struct fixture : database_fixture {
  core::key_ring keys = make_key_ring("k1");
  persistence::save_store saves{*db};
  persistence::turn_writer writer{*db};
  persistence::archive_store archives{*db};
  persistence::conflict_store conflicts{*db};
  persistence::audit_log audit{*db};
  row_counts rows{*this};
  saved_chain server = commit_chain("user-a", 5);

  /// Creates a save of `user` and commits `n` server turns to it.
  saved_chain commit_chain(const std::string& user, int n,
                           core::encode_options opts = {}) {
    auto made = saves.create_or_attach(user, "session-1", "1.0.0");
    if (!made)
      CAF_FAIL("create_or_attach failed: " << made.error().message);
    saved_chain out{
      made->save.save_id, {turn_builder{keys, "session-1", opts}}, {}};
    for (int i = 1; i <= n; ++i) {
      turn_builder b = out.at.back();
      auto expected = b.head();
      out.turns.push_back(b.next(state_json(i, "server")));
      auto status =
        writer.commit({{out.save_id, expected, {out.turns.back()}}}).front();
      if (!status)
        CAF_FAIL("commit failed: " << status.error().message);
      out.at.push_back(b);
    }
    return out;
  }

  /// Encodes the states `first`..`last` of `who` with `b`.
  static std::vector<core::stored_turn> build(turn_builder& b,
                                              std::int64_t first,
                                              std::int64_t last,
                                              const std::string& who) {
    std::vector<core::stored_turn> out;
    for (auto i = first; i <= last; ++i)
      out.push_back(b.next(state_json(i, who)));
    return out;
  }

  /// The server's turns after `fork`, re-encoded as an archived branch
  /// (starting with a snapshot), as the save actor archives them.
  std::vector<core::stored_turn> archived_server_turns(const saved_chain& c,
                                                       std::int64_t fork) {
    turn_builder b{keys, c.head_at(static_cast<std::size_t>(fork))};
    return build(b, fork + 1, c.head().turn_id, "server");
  }

  archive_record archive_of(const saved_chain& c, std::int64_t fork,
                            const std::string& reason = "conflict") {
    return archive_record{core::random_uuid(),
                          c.save_id,
                          reason,
                          R"({"device_id":"dev-b"})",
                          fork,
                          0,
                          0};
  }

  /// The change that settles a conflict for the client: the server's
  /// turns 4-5 archived and replaced by `new_turns` (from turn 4).
  branch_change client_wins(const std::vector<core::stored_turn>& new_turns) {
    auto archive = archive_of(server, 3);
    return branch_change{
      server.save_id,
      server.head(),
      3,
      new_turns,
      archive,
      archived_server_turns(server, 3),
      make_conflict(server.save_id, 3, "client_wins", "client",
                    archive.archive_id),
      {{server.save_id, "dev-b", "conflict", R"({"strategy":"client_wins"})"}}};
  }

  store_state state_of(const std::string& save_id) {
    store_state out;
    for (const char* table :
         {"awf_saves", "awf_save_diffs", "awf_save_blobs", "awf_blob_refs",
          "awf_save_archives", "awf_archive_turns", "awf_conflicts",
          "awf_sync_audit"})
      out.rows[table] = count(std::string{"SELECT COUNT(*) FROM "} + table);
    out.rows["key_usage"] = count("SELECT CAST(COALESCE(SUM(encryptions), 0) "
                                  "AS BIGINT) FROM awf_key_usage");
    auto save = find_save_or_fail(saves, save_id);
    out.head = save.head;
    out.base_snapshot_hash = base_snapshot_hash(save_id);
    out.updated_at_ms = save.updated_at_ms;
    return out;
  }

  /// Checks that `change` fails with `code` and changes nothing.
  void check_refused(const branch_change& change, const std::string& code) {
    auto before = state_of(server.save_id);
    auto applied = persistence::apply_branch_change(*db, change);
    CAF_CHECK_EQUAL(code_of(applied), code);
    auto after = state_of(server.save_id);
    CAF_CHECK(after == before);
    CAF_CHECK_EQUAL(after.rows, before.rows);
    CAF_CHECK_EQUAL(after.head.turn_id, before.head.turn_id);
    for (const auto& t : change.new_turns)
      if (t.turn_id > server.head().turn_id ||
          t.blob.hash != server.turn(t.turn_id).blob.hash)
        CAF_CHECK_EQUAL(rows.blobs_named(t.blob.hash), 0);
  }

  /// Checks that turns `from`..`to` of the save are `want`, as stored.
  void check_turns(const std::string& save_id, std::int64_t from,
                   std::int64_t to,
                   const std::vector<core::stored_turn>& want) {
    auto loaded = saves.load_turns(save_id, from, to, true);
    CAF_REQUIRE(loaded);
    CAF_REQUIRE_EQUAL(loaded->size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      const auto& got = (*loaded)[i];
      CAF_CHECK_EQUAL(got.turn_id, want[i].turn_id);
      CAF_CHECK_EQUAL(std::string{core::to_string(got.kind)},
                      std::string{core::to_string(want[i].kind)});
      CAF_CHECK_EQUAL(got.base_turn, want[i].base_turn);
      CAF_CHECK_EQUAL(got.chain_hash, want[i].chain_hash);
      CAF_CHECK_EQUAL(got.state_hash, want[i].state_hash);
      CAF_CHECK_EQUAL(got.blob.hash, want[i].blob.hash);
      CAF_CHECK(got.blob.bytes == want[i].blob.bytes);
    }
  }

  /// Materializes the head through the read path (base turn, turns from
  /// it, rebuild) and verifies the whole chain from turn 1. Returns the
  /// head's canonical state.
  std::string materialize_head(const std::string& save_id) {
    auto save = find_save_or_fail(saves, save_id);
    auto base = saves.base_turn_of(save_id, save.head.turn_id);
    CAF_REQUIRE(base);
    // The save's base snapshot is the blob of the turn the head rebuilds
    // from, as turn_writer keeps it.
    auto base_row = saves.load_turns(save_id, *base, *base, false);
    CAF_REQUIRE(base_row && base_row->size() == 1);
    CAF_CHECK_EQUAL(base_snapshot_hash(save_id), base_row->front().blob.hash);
    auto from_base = saves.load_turns(save_id, *base, save.head.turn_id, true);
    CAF_REQUIRE(from_base);
    auto image = core::rebuild_state(*from_base, keys, 1 << 20);
    CAF_REQUIRE(image);
    auto all = saves.load_turns(save_id, 1, save.head.turn_id, true);
    CAF_REQUIRE(all);
    core::chain_verifier verifier{core::chain_genesis("session-1"), keys,
                                  1 << 20};
    bool rebuilding = false;
    for (const auto& t : *all) {
      rebuilding = rebuilding || t.kind == core::turn_kind::snapshot;
      verifier.feed(t, rebuilding);
    }
    CAF_CHECK_EQUAL(verifier.errors(), std::vector<std::string>{});
    CAF_CHECK_EQUAL(verifier.checked_turns(), save.head.turn_id);
    CAF_CHECK_EQUAL(verifier.head().turn_id, save.head.turn_id);
    CAF_CHECK_EQUAL(verifier.head().chain_hash, save.head.chain_hash);
    return image->canonical;
  }

  static std::string canonical(const std::string& json) {
    return core::canonicalize(*core::parse_json(json));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(branch_writer_tests, fixture)

// -- changes that apply -------------------------------------------------------

CAF_TEST(a branch replaces the last turns of the head) {
  // Turns 4-5 of the server lose to a client branch of three turns that
  // continues turn 3 with diffs (so it rebuilds from turn 1).
  turn_builder client = server.at[3];
  auto new_turns = build(client, 4, 6, "client");
  CAF_REQUIRE_NOT_EQUAL(std::string{core::to_string(new_turns[0].kind)},
                        "snapshot");
  CAF_REQUIRE_EQUAL(new_turns[0].base_turn, 1);
  auto change = client_wins(new_turns);
  CAF_REQUIRE_EQUAL(change.archive_turns.back().chain_hash,
                    server.head().chain_hash);
  const auto& archive = *change.archive;
  const auto& conflict = *change.conflict;
  auto old_updated = find_save_or_fail(saves, server.save_id).updated_at_ms;
  auto applied = persistence::apply_branch_change(*db, change);
  CAF_REQUIRE_EQUAL(code_of(applied), "ok");
  CAF_CHECK_EQUAL(applied->turn_id, 6);
  CAF_CHECK_EQUAL(applied->chain_hash, client.head().chain_hash);
  auto save = find_save_or_fail(saves, server.save_id);
  CAF_CHECK_EQUAL(save.head.turn_id, 6);
  CAF_CHECK_EQUAL(save.head.chain_hash, client.head().chain_hash);
  CAF_CHECK_GREATER_OR_EQUAL(save.updated_at_ms, old_updated);
  // Turns 1-3 untouched, 4-6 the client's, and the new chain reads back.
  CAF_CHECK_EQUAL(rows.turns_of_save(server.save_id), 6);
  check_turns(server.save_id, 1, 3,
              {server.turns.begin(), server.turns.begin() + 3});
  check_turns(server.save_id, 4, 6, new_turns);
  CAF_CHECK_EQUAL(materialize_head(server.save_id), client.last_canonical());
  CAF_CHECK_EQUAL(base_snapshot_hash(server.save_id), server.turn(1).blob.hash);
  // The old turns live on in the archive, which rebuilds the old head.
  auto found = archives.find_archive(server.save_id, archive.archive_id);
  CAF_REQUIRE(found);
  CAF_CHECK_EQUAL(found->fork_turn, 3);
  CAF_CHECK_EQUAL(found->turn_count, 2);
  auto old_branch = archives.load_archive_turns(archive.archive_id, 4, 5, true);
  CAF_REQUIRE(old_branch);
  auto old_head = core::rebuild_state(*old_branch, keys, 1 << 20);
  CAF_REQUIRE(old_head);
  CAF_CHECK_EQUAL(old_head->canonical, canonical(state_json(5, "server")));
  // The removed turns were diffs: they went with their rows (the archive
  // holds the branch, starting with a snapshot of turn 4). No diff is a
  // blob.
  CAF_CHECK_EQUAL(
    count("SELECT COUNT(*) FROM awf_save_blobs WHERE blob_type = 'diff'"), 0);
  CAF_CHECK_EQUAL(rows.blobs_named(server.turn(4).state_hash), 1);
  // The conflict row, the audit record and the key usage of the change.
  auto listed = conflicts.list(server.save_id, "", 10);
  CAF_REQUIRE(listed);
  CAF_REQUIRE_EQUAL(listed->size(), 1u);
  CAF_CHECK_EQUAL(listed->front().conflict_id, conflict.conflict_id);
  CAF_CHECK_EQUAL(listed->front().archive_id, archive.archive_id);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_sync_audit WHERE "
                        "operation = 'conflict' AND save_id = :p",
                        server.save_id),
                  1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 2);
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 5u + 3u + 2u);
}

CAF_TEST(a branch starting with a snapshot moves the base snapshot) {
  turn_builder client{keys, server.head_at(3)};
  auto new_turns = build(client, 4, 5, "client");
  CAF_REQUIRE_EQUAL(std::string{core::to_string(new_turns[0].kind)},
                    "snapshot");
  auto archive = archive_of(server, 3);
  branch_change change{server.save_id,
                       server.head(),
                       3,
                       new_turns,
                       archive,
                       archived_server_turns(server, 3),
                       std::nullopt,
                       {}};
  auto applied = persistence::apply_branch_change(*db, change);
  CAF_REQUIRE_EQUAL(code_of(applied), "ok");
  CAF_CHECK_EQUAL(applied->turn_id, 5);
  CAF_CHECK_EQUAL(applied->chain_hash, client.head().chain_hash);
  CAF_CHECK_EQUAL(base_snapshot_hash(server.save_id), new_turns[0].blob.hash);
  CAF_CHECK_EQUAL(materialize_head(server.save_id), client.last_canonical());
  // The head goes on growing from the new branch.
  auto next = client.next(state_json(6, "client"));
  auto status = writer.commit({{server.save_id, *applied, {next}}}).front();
  CAF_CHECK_EQUAL(code_of(status), "ok");
  CAF_CHECK_EQUAL(materialize_head(server.save_id), client.last_canonical());
}

CAF_TEST(dropping head turns moves the head and its base snapshot back) {
  core::encode_options opts;
  opts.snapshot_every = 2; // snapshots at turns 1, 3 and 5
  auto chain = commit_chain("user-b", 5, opts);
  CAF_REQUIRE_EQUAL(std::string{core::to_string(chain.turn(3).kind)},
                    "snapshot");
  CAF_REQUIRE_EQUAL(std::string{core::to_string(chain.turn(5).kind)},
                    "snapshot");
  CAF_CHECK_EQUAL(base_snapshot_hash(chain.save_id), chain.turn(5).blob.hash);
  auto drop_to = [&](std::int64_t keep, const core::chain_head& from) {
    turn_builder b{keys, chain.head_at(static_cast<std::size_t>(keep))};
    auto archived = build(b, keep + 1, from.turn_id, "server");
    branch_change change;
    change.save_id = chain.save_id;
    change.expected_head = from;
    change.keep_through = keep;
    change.archive = archive_of(chain, keep, "manual_restore");
    change.archive_turns = archived;
    auto applied = persistence::apply_branch_change(*db, change);
    CAF_REQUIRE_EQUAL(code_of(applied), "ok");
    CAF_CHECK_EQUAL(applied->turn_id, keep);
    CAF_CHECK_EQUAL(applied->chain_hash, chain.head_at(keep).chain_hash);
    auto save = find_save_or_fail(saves, chain.save_id);
    CAF_CHECK_EQUAL(save.head.turn_id, keep);
    CAF_CHECK_EQUAL(save.head.chain_hash, chain.head_at(keep).chain_hash);
    CAF_CHECK_EQUAL(rows.turns_of_save(chain.save_id), keep);
    return *applied;
  };
  auto at_four = drop_to(4, chain.head());
  CAF_CHECK_EQUAL(base_snapshot_hash(chain.save_id), chain.turn(3).blob.hash);
  CAF_CHECK_EQUAL(materialize_head(chain.save_id),
                  canonical(state_json(4, "server")));
  auto at_two = drop_to(2, at_four);
  CAF_CHECK_EQUAL(base_snapshot_hash(chain.save_id), chain.turn(1).blob.hash);
  CAF_CHECK_EQUAL(materialize_head(chain.save_id),
                  canonical(state_json(2, "server")));
  // Down to turn 0: the head of a new save.
  auto at_zero = drop_to(0, at_two);
  CAF_CHECK_EQUAL(at_zero.chain_hash, core::chain_genesis("session-1"));
  CAF_CHECK_EQUAL(base_snapshot_hash(chain.save_id), "NULL");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_archives WHERE "
                        "save_id = :p",
                        chain.save_id),
                  3);
  // The snapshot blobs of every dropped turn stay (archives and GC decide
  // later).
  for (const auto& t : chain.turns)
    CAF_CHECK_EQUAL(rows.blobs_named(t.blob.hash),
                    row_counts::blobs_expected(t));
  // Turn 1 commits again on the emptied save.
  turn_builder fresh{keys, "session-1"};
  auto first = fresh.next(state_json(1, "again"));
  CAF_CHECK_EQUAL(
    code_of(writer.commit({{chain.save_id, at_zero, {first}}}).front()), "ok");
  CAF_CHECK_EQUAL(base_snapshot_hash(chain.save_id), first.blob.hash);
  // The other save is untouched.
  CAF_CHECK_EQUAL(rows.turns_of_save(server.save_id), 5);
}

CAF_TEST(sync up records of dropped turns move to the audit table whole) {
  // A chain whose turns were each a device's sync up.
  auto made = saves.create_or_attach("user-s", "session-1", "1.0.0");
  CAF_REQUIRE(made);
  saved_chain chain{made->save.save_id, {turn_builder{keys, "session-1"}}, {}};
  for (int i = 1; i <= 5; ++i) {
    turn_builder b = chain.at.back();
    auto expected = b.head();
    chain.turns.push_back(b.next(state_json(i, "device")));
    chain.turns.back().device_id = "dev-s";
    persistence::turn_commit c{chain.save_id, expected, {chain.turns.back()}};
    c.sync_turns = 1;
    CAF_REQUIRE_EQUAL(code_of(writer.commit({c}).front()), "ok");
    chain.at.push_back(b);
  }
  auto before = audit.list(chain.save_id, 10);
  CAF_REQUIRE(before);
  CAF_REQUIRE_EQUAL(before->size(), 5u);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_sync_audit"), 0);
  // A restore drops turns 4 and 5.
  turn_builder b{keys, chain.head_at(3)};
  branch_change change;
  change.save_id = chain.save_id;
  change.expected_head = chain.head();
  change.keep_through = 3;
  change.archive = archive_of(chain, 3, "manual_restore");
  change.archive_turns = build(b, 4, 5, "device");
  CAF_REQUIRE_EQUAL(code_of(persistence::apply_branch_change(*db, change)),
                    "ok");
  CAF_CHECK_EQUAL(rows.turns_of_save(chain.save_id), 3);
  // The two records left their rows for rows of their own, unchanged.
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_sync_audit WHERE "
                        "operation = 'sync_up' AND device_id = 'dev-s'"),
                  2);
  auto after = audit.list(chain.save_id, 10);
  CAF_REQUIRE(after);
  CAF_REQUIRE_EQUAL(after->size(), 5u);
  auto by_id = [](const std::vector<persistence::audit_record>& records) {
    std::map<std::string, persistence::audit_record> out;
    for (const auto& r : records)
      out[r.audit_id] = r;
    return out;
  };
  auto was = by_id(*before);
  auto now = by_id(*after);
  CAF_REQUIRE_EQUAL(now.size(), 5u);
  for (const auto& [id, record] : was) {
    CAF_REQUIRE_EQUAL(now.count(id), 1u);
    const auto& moved = now.at(id);
    CAF_CHECK_EQUAL(moved.save_id, record.save_id);
    CAF_CHECK_EQUAL(moved.device_id, record.device_id);
    CAF_CHECK_EQUAL(moved.operation, "sync_up");
    CAF_CHECK_EQUAL(json_text(moved.details_json),
                    json_text(record.details_json));
    CAF_CHECK_EQUAL(moved.created_at_ms, record.created_at_ms);
  }
  // Turns 4 and 5 again (the same states), synced and dropped once more:
  // new records with ids of their own.
  turn_builder again{keys, chain.head_at(3)};
  core::chain_head head = chain.head_at(3);
  for (int i = 4; i <= 5; ++i) {
    auto turn = again.next(state_json(i, "device"));
    turn.device_id = "dev-s";
    persistence::turn_commit c{chain.save_id, head, {turn}};
    c.sync_turns = 1;
    CAF_REQUIRE_EQUAL(code_of(writer.commit({c}).front()), "ok");
    head = again.head();
  }
  turn_builder b2{keys, chain.head_at(3)};
  change.expected_head = head;
  change.archive = archive_of(chain, 3, "manual_restore");
  change.archive_turns = build(b2, 4, 5, "device");
  CAF_REQUIRE_EQUAL(code_of(persistence::apply_branch_change(*db, change)),
                    "ok");
  auto twice = audit.list(chain.save_id, 10);
  CAF_REQUIRE(twice);
  CAF_CHECK_EQUAL(by_id(*twice).size(), 7u);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_sync_audit"), 4);
}

CAF_TEST(an appended merge stores its turn with an archive and a conflict) {
  // A client branch left at turn 3; the merge lands on top of the head.
  turn_builder client{keys, server.head_at(3)};
  auto client_turns = build(client, 4, 5, "client");
  turn_builder merged = server.at[5];
  auto merge = merged.next(state_json(6, "merged"));
  auto archive = archive_of(server, 3);
  auto conflict = make_conflict(server.save_id, 3, "three_way_merge", "merged",
                                archive.archive_id, 2);
  branch_change change{server.save_id, server.head(), 5,        {merge},
                       archive,        client_turns,  conflict, {}};
  auto applied = persistence::apply_branch_change(*db, change);
  CAF_REQUIRE_EQUAL(code_of(applied), "ok");
  CAF_CHECK_EQUAL(applied->turn_id, 6);
  CAF_CHECK_EQUAL(applied->chain_hash, merge.chain_hash);
  check_turns(server.save_id, 1, 5, server.turns);
  check_turns(server.save_id, 6, 6, {merge});
  CAF_CHECK_EQUAL(materialize_head(server.save_id), merged.last_canonical());
  CAF_CHECK_EQUAL(base_snapshot_hash(server.save_id), server.turn(1).blob.hash);
  auto branch = archives.load_archive_turns(archive.archive_id, 4, 5, true);
  CAF_REQUIRE(branch);
  CAF_REQUIRE_EQUAL(branch->size(), 2u);
  auto rebuilt = core::rebuild_state(*branch, keys, 1 << 20);
  CAF_REQUIRE(rebuilt);
  CAF_CHECK_EQUAL(rebuilt->canonical, client.last_canonical());
  for (const auto& t : client_turns)
    CAF_CHECK_EQUAL(rows.blobs_named(t.blob.hash),
                    row_counts::blobs_expected(t));
  auto listed = conflicts.list(server.save_id, "", 10);
  CAF_REQUIRE(listed);
  CAF_REQUIRE_EQUAL(listed->size(), 1u);
  CAF_CHECK_EQUAL(listed->front().strategy, "three_way_merge");
  CAF_CHECK_EQUAL(listed->front().chosen_branch, "merged");
  CAF_CHECK_EQUAL(listed->front().conflicting_paths, 2);
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 5u + 1u + 2u);
}

CAF_TEST(a change of only an archive and a conflict keeps the head) {
  // Server wins: the client branch is archived, the head stays.
  turn_builder client{keys, server.head_at(4)};
  auto client_turns = build(client, 5, 7, "client");
  auto archive = archive_of(server, 4);
  auto conflict = make_conflict(server.save_id, 4, "server_wins", "server",
                                archive.archive_id);
  auto before = state_of(server.save_id);
  branch_change change{server.save_id, server.head(), 5,        {},
                       archive,        client_turns,  conflict, {}};
  auto applied = persistence::apply_branch_change(*db, change);
  CAF_REQUIRE_EQUAL(code_of(applied), "ok");
  CAF_CHECK_EQUAL(applied->turn_id, 5);
  CAF_CHECK_EQUAL(applied->chain_hash, server.head().chain_hash);
  auto after = state_of(server.save_id);
  CAF_CHECK_EQUAL(after.head.turn_id, 5);
  CAF_CHECK_EQUAL(after.head.chain_hash, server.head().chain_hash);
  CAF_CHECK_EQUAL(after.base_snapshot_hash, before.base_snapshot_hash);
  CAF_CHECK_EQUAL(after.updated_at_ms, before.updated_at_ms);
  CAF_CHECK_EQUAL(after.rows["awf_save_diffs"], 5);
  CAF_CHECK_EQUAL(after.rows["awf_save_archives"], 1);
  CAF_CHECK_EQUAL(after.rows["awf_archive_turns"], 3);
  CAF_CHECK_EQUAL(after.rows["awf_conflicts"], 1);
  CAF_CHECK_EQUAL(after.rows["key_usage"], 5 + 3);
  check_turns(server.save_id, 1, 5, server.turns);
}

// -- changes that store nothing
// ------------------------------------------------

CAF_TEST(a moved head stores nothing) {
  turn_builder client = server.at[3];
  auto new_turns = build(client, 4, 6, "client");
  auto change = client_wins(new_turns);
  CAF_MESSAGE("a stale turn");
  // The head has moved on to turn 5; the archive must still end where the
  // caller believes the head is.
  change.expected_head = server.head_at(4);
  change.archive_turns.pop_back();
  check_refused(change, "head_moved");
  CAF_MESSAGE("the right turn with another chain hash");
  change.expected_head = {5, core::chain_genesis("other")};
  change.archive_turns = archived_server_turns(server, 3);
  change.archive_turns.back().chain_hash = change.expected_head.chain_hash;
  check_refused(change, "head_moved");
  CAF_MESSAGE("the same change against the real head applies");
  change.expected_head = server.head();
  change.archive_turns = archived_server_turns(server, 3);
  CAF_CHECK_EQUAL(code_of(persistence::apply_branch_change(*db, change)), "ok");
}

CAF_TEST(an unknown or junk save stores nothing) {
  branch_change change{
    core::random_uuid(), server.head(), 5, {}, {}, {}, std::nullopt, {}};
  check_refused(change, "not_found");
  change.save_id = "nope";
  check_refused(change, "not_found");
}

CAF_TEST(a change of the wrong shape stores nothing) {
  turn_builder client = server.at[3];
  auto new_turns = build(client, 4, 6, "client");
  const auto good = client_wins(new_turns);
  auto refuse = [&](const char* what, auto&& edit) {
    CAF_MESSAGE(what);
    auto change = good;
    edit(change);
    check_refused(change, "failure");
  };
  refuse("a gap in the new turns",
         [](branch_change& c) { c.new_turns.erase(c.new_turns.begin() + 1); });
  refuse("new turns that do not start after keep_through",
         [](branch_change& c) { c.new_turns.erase(c.new_turns.begin()); });
  refuse("a new turn rebuilding from a later turn",
         [](branch_change& c) { c.new_turns[1].base_turn = 6; });
  refuse("a new turn rebuilding from turn 0",
         [](branch_change& c) { c.new_turns[0].base_turn = 0; });
  refuse("a first diff rebuilding from another snapshot than the kept turn",
         [](branch_change& c) {
           for (auto& t : c.new_turns)
             t.base_turn = 2;
         });
  refuse("new turns off the kept chain", [&](branch_change& c) {
    turn_builder elsewhere{keys, core::chain_head{3, std::string(64, 'f')}};
    c.new_turns = build(elsewhere, 4, 6, "client");
  });
  refuse("new turns off their own chain", [](branch_change& c) {
    c.new_turns[2].chain_hash = c.new_turns[1].chain_hash;
  });
  refuse("keep_through past the head",
         [](branch_change& c) { c.keep_through = 6; });
  refuse("a negative keep_through",
         [](branch_change& c) { c.keep_through = -1; });
  refuse("turns removed without an archive", [](branch_change& c) {
    c.archive.reset();
    c.archive_turns.clear();
    c.conflict->archive_id.clear();
  });
  refuse("an archive that does not hold the removed turns",
         [](branch_change& c) { c.archive_turns.pop_back(); });
  refuse("an archive forking elsewhere", [&](branch_change& c) {
    c.archive->fork_turn = 2;
    turn_builder b{keys, server.head_at(2)};
    c.archive_turns = build(b, 3, 5, "server");
  });
  refuse("archived turns without an archive", [](branch_change& c) {
    c.keep_through = 5;
    c.new_turns.clear();
    c.archive.reset();
  });
  refuse("an archive that starts with a diff", [](branch_change& c) {
    c.archive_turns.front().kind = core::turn_kind::json_patch;
  });
  refuse("an archive of an unknown reason",
         [](branch_change& c) { c.archive->reason = "whim"; });
  refuse("an archive of another save",
         [](branch_change& c) { c.archive->save_id = core::random_uuid(); });
  refuse("a conflict of another save",
         [](branch_change& c) { c.conflict->save_id = core::random_uuid(); });
  refuse("a conflict id that is not a UUID",
         [](branch_change& c) { c.conflict->conflict_id = "conflict-1"; });
  refuse("an unknown chosen branch",
         [](branch_change& c) { c.conflict->chosen_branch = "both"; });
  refuse("a report that is not a JSON object",
         [](branch_change& c) { c.conflict->report_json = "[1]"; });
  refuse(
    "a conflict naming an archive that does not exist",
    [](branch_change& c) { c.conflict->archive_id = core::random_uuid(); });
  refuse("audit details that are not a JSON object",
         [](branch_change& c) { c.audits.front().details_json = "[]"; });
  CAF_MESSAGE("the good change applies");
  CAF_CHECK_EQUAL(code_of(persistence::apply_branch_change(*db, good)), "ok");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts"), 1);
}

CAF_TEST(a part failing late in the transaction takes the whole change) {
  turn_builder client = server.at[3];
  auto new_turns = build(client, 4, 6, "client");
  // An archive of the same id exists: the archive insert, after the head
  // moved and the new turns landed, fails.
  auto change = client_wins(new_turns);
  auto taken = *change.archive;
  taken.reason = "manual_restore";
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(taken, {})), "ok");
  check_refused(change, "failure");
  check_turns(server.save_id, 1, 5, server.turns);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts"), 0);
  CAF_MESSAGE("a new turn the database refuses");
  change.archive->archive_id = core::random_uuid();
  change.conflict->archive_id = change.archive->archive_id;
  // A snapshot's blob of a type the schema does not allow (diffs live in
  // their rows, so only a snapshot reaches the blob table).
  auto& refused = change.new_turns[1];
  refused.kind = core::turn_kind::snapshot;
  refused.base_turn = refused.turn_id;
  refused.blob.type = "bogus";
  check_refused(change, "failure");
  CAF_MESSAGE("the same change with a good turn applies");
  change.new_turns = new_turns;
  CAF_CHECK_EQUAL(code_of(persistence::apply_branch_change(*db, change)), "ok");
  CAF_CHECK_EQUAL(materialize_head(server.save_id), client.last_canonical());
}

CAF_TEST_FIXTURE_SCOPE_END()
