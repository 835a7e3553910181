#define CAF_SUITE store_stats

#include "persistence/store_stats.hpp"

#include "caf/test/unit_test.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/sha256.hpp"
#include "core/uuid.hpp"
#include "persistence/archive_store.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/device_store.hpp"
#include "persistence/save_store.hpp"
#include "persistence/turn_writer.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;
using persistence::store_totals;

namespace {

std::string state_json(int i, const std::string& who) {
  return R"({"owner":")" + who + R"(","turn":)" + std::to_string(i) +
         R"(,"map":{"x":)" + std::to_string(i * 2) + R"(,"y":)" +
         std::to_string(i * 5) + R"(},"log":["start","turn )" +
         std::to_string(i) + "\"]}";
}

/// What the test stored, per user, to check the totals against.
struct expected_totals {
  std::set<std::string> saves;
  std::int64_t turns = 0, devices = 0, archives = 0, logical = 0, failed = 0;
  std::int64_t diff_bytes = 0; ///< sealed diffs, kept in their turn rows
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> blobs;
  std::set<std::pair<std::string, std::string>> refs;
  std::map<std::string, std::int64_t> kinds, audits;

  void blob(const std::string& save_id, const core::stored_blob& b) {
    blobs.emplace(b.hash, std::pair{static_cast<std::int64_t>(b.plain_size),
                                    static_cast<std::int64_t>(b.bytes.size())});
    refs.emplace(save_id, b.hash);
  }

  /// A snapshot is a shared blob; a diff lives in its row.
  void sealed(const std::string& save_id, const core::stored_turn& t) {
    if (t.kind == core::turn_kind::snapshot)
      blob(save_id, t.blob);
    else
      diff_bytes += static_cast<std::int64_t>(t.blob.bytes.size());
  }

  void turn(const std::string& save_id, const core::stored_turn& t) {
    ++turns;
    logical += static_cast<std::int64_t>(t.state_bytes);
    ++kinds[core::to_string(t.kind)];
    sealed(save_id, t);
  }
};

struct fixture : database_fixture {
  core::key_ring keys = make_key_ring("k1");
  persistence::save_store saves{*db};
  persistence::turn_writer writer{*db};
  persistence::device_store devices{*db};
  persistence::archive_store archives{*db};
  persistence::audit_log audit{*db};
  std::map<std::string, expected_totals> expect; ///< by user; "" = all

  std::string create(const std::string& user, const std::string& session) {
    auto made = saves.create_or_attach(user, session, "1.0.0");
    if (!made)
      CAF_FAIL("create_or_attach failed: " << made.error().message);
    expect[user].saves.insert(made->save.save_id);
    expect[""].saves.insert(made->save.save_id);
    return made->save.save_id;
  }

  /// Commits states `first`..`last` of `who` to the save, as a sync up
  /// (its record kept in the last turn row) if `sync_up`; returns them.
  std::vector<core::stored_turn>
  commit(const std::string& user, const std::string& save_id, turn_builder& b,
         const std::string& who, int first, int last, bool sync_up = false) {
    persistence::turn_commit c{save_id, b.head(), {}};
    for (int i = first; i <= last; ++i)
      c.turns.push_back(b.next(state_json(i, who)));
    if (sync_up) {
      c.sync_turns = last - first + 1;
      ++expect[user].audits["sync_up"];
      ++expect[""].audits["sync_up"];
    }
    auto status = writer.commit({c}).front();
    if (!status)
      CAF_FAIL("commit failed: " << status.error().message);
    for (const auto& t : c.turns) {
      expect[user].turn(save_id, t);
      expect[""].turn(save_id, t);
    }
    return c.turns;
  }

  void device(const std::string& user, const std::string& id) {
    auto rec = devices.register_device(user, id, "label",
                                       core::sha256_hex("token-" + id), 0);
    if (!rec)
      CAF_FAIL("register_device failed: " << rec.error().message);
    ++expect[user].devices;
    ++expect[""].devices;
  }

  void log(const std::optional<std::string>& save_id,
           const std::optional<std::string>& device_id,
           const std::string& operation,
           const std::vector<std::string>& users) {
    auto id = audit.append(save_id, device_id, operation, "{}");
    if (!id)
      CAF_FAIL("append failed: " << id.error().message);
    for (const auto& user : users)
      ++expect[user].audits[operation];
    ++expect[""].audits[operation];
  }

  store_totals totals(const std::string& user = {}) {
    auto got = persistence::compute_store_totals(*db, user);
    if (!got)
      CAF_FAIL("compute_store_totals failed: " << got.error().message);
    return *got;
  }

  void check(const std::string& user) {
    CAF_MESSAGE("user '" << user << "'");
    auto got = totals(user);
    auto& want = expect[user];
    std::int64_t plain = 0, sealed = 0;
    for (const auto& [hash, sizes] : want.blobs) {
      plain += sizes.first;
      sealed += sizes.second;
    }
    CAF_CHECK_EQUAL(got.saves, static_cast<std::int64_t>(want.saves.size()));
    CAF_CHECK_EQUAL(got.turns, want.turns);
    CAF_CHECK_EQUAL(got.devices, want.devices);
    CAF_CHECK_EQUAL(got.archives, want.archives);
    CAF_CHECK_EQUAL(got.blobs, static_cast<std::int64_t>(want.blobs.size()));
    CAF_CHECK_EQUAL(got.blob_refs, static_cast<std::int64_t>(want.refs.size()));
    CAF_CHECK_EQUAL(got.logical_bytes, want.logical);
    CAF_CHECK_EQUAL(got.blob_plain_bytes, plain);
    CAF_CHECK_EQUAL(got.blob_stored_bytes, sealed);
    CAF_CHECK_EQUAL(got.stored_bytes, sealed + want.diff_bytes);
    CAF_CHECK_EQUAL(got.integrity_failed_saves, want.failed);
    CAF_CHECK(got.turns_by_kind == want.kinds);
    CAF_CHECK(got.audit_by_operation == want.audits);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(store_stats_tests, fixture)

CAF_TEST(an empty store has zero totals) {
  auto got = totals();
  CAF_CHECK_EQUAL(got.saves, 0);
  CAF_CHECK_EQUAL(got.turns, 0);
  CAF_CHECK_EQUAL(got.devices, 0);
  CAF_CHECK_EQUAL(got.archives, 0);
  CAF_CHECK_EQUAL(got.blobs, 0);
  CAF_CHECK_EQUAL(got.blob_refs, 0);
  CAF_CHECK_EQUAL(got.logical_bytes, 0);
  CAF_CHECK_EQUAL(got.blob_plain_bytes, 0);
  CAF_CHECK_EQUAL(got.stored_bytes, 0);
  CAF_CHECK_EQUAL(got.integrity_failed_saves, 0);
  CAF_CHECK_EQUAL(got.turns_by_kind.size(), 0u);
  CAF_CHECK_EQUAL(got.audit_by_operation.size(), 0u);
}

CAF_TEST(totals count what was stored for everyone and per user) {
  core::encode_options every_other;
  every_other.snapshot_every = 2;
  // user-a: two saves, one with an archived branch and a failed check.
  auto a1 = create("user-a", "session-1");
  auto a2 = create("user-a", "session-2");
  turn_builder ba1{keys, "session-1", every_other};
  turn_builder ba2{keys, "session-2"};
  auto a1_turns = commit("user-a", a1, ba1, "shared", 1, 3);
  auto fork = core::chain_head{a1_turns[0].turn_id, a1_turns[0].chain_hash};
  commit("user-a", a2, ba2, "a2", 1, 1);
  turn_builder branch{keys, fork};
  std::vector<core::stored_turn> archived{
    branch.next(state_json(20, "branch")),
    branch.next(state_json(21, "branch"))};
  persistence::archive_record rec{
    core::random_uuid(), a1, "conflict", "{}", 1, 0, 0};
  CAF_REQUIRE_EQUAL(code_of(archives.write_archive(rec, archived)), "ok");
  for (auto* e : {&expect["user-a"], &expect[""]}) {
    ++e->archives;
    for (const auto& t : archived)
      e->sealed(a1, t);
  }
  CAF_REQUIRE(saves.set_integrity(a2, false));
  ++expect["user-a"].failed;
  ++expect[""].failed;
  // user-b: one save whose first state (and so its snapshot blob) is the
  // same as user-a's: one blob, counted for both users, stored once.
  auto b1 = create("user-b", "session-1");
  turn_builder bb1{keys, "session-1"};
  auto b1_turns = commit("user-b", b1, bb1, "shared", 1, 1);
  commit("user-b", b1, bb1, "b", 2, 2, /*sync_up*/ true);
  CAF_REQUIRE_EQUAL(b1_turns[0].blob.hash, a1_turns[0].blob.hash);
  device("user-a", "dev-a1");
  device("user-a", "dev-a2");
  device("user-b", "dev-b1");
  log(a1, std::string{"dev-a1"}, "sync_up", {"user-a"});
  log(a1, std::nullopt, "sync_up", {"user-a"});
  log(b1, std::string{"dev-b1"}, "sync_up", {"user-b"});
  log(std::nullopt, std::string{"dev-a2"}, "register", {"user-a"});
  log(std::nullopt, std::nullopt, "server_start", {});
  // The fixed numbers of this story, then every total against what the
  // test stored.
  auto all = totals();
  CAF_CHECK_EQUAL(all.saves, 3);
  CAF_CHECK_EQUAL(all.turns, 6);
  CAF_CHECK_EQUAL(all.devices, 3);
  CAF_CHECK_EQUAL(all.archives, 1);
  // Snapshots only: 2 of a1 + 1 of a2 + 1 archived + 1 of b1 - 1 shared.
  CAF_CHECK_EQUAL(all.blobs, 4);
  CAF_CHECK_EQUAL(all.blob_refs, 5);
  CAF_CHECK_EQUAL(all.integrity_failed_saves, 1);
  CAF_CHECK_EQUAL(all.turns_by_kind["snapshot"], 4);
  // Three records of their own and one kept in b1's turn 2.
  CAF_CHECK_EQUAL(all.audit_by_operation["sync_up"], 4);
  CAF_CHECK_EQUAL(all.audit_by_operation["server_start"], 1);
  auto a = totals("user-a");
  CAF_CHECK_EQUAL(a.saves, 2);
  CAF_CHECK_EQUAL(a.turns, 4);
  CAF_CHECK_EQUAL(a.devices, 2);
  CAF_CHECK_EQUAL(a.archives, 1);
  CAF_CHECK_EQUAL(a.blobs, 4);
  CAF_CHECK_EQUAL(a.audit_by_operation.count("server_start"), 0u);
  auto b = totals("user-b");
  CAF_CHECK_EQUAL(b.saves, 1);
  CAF_CHECK_EQUAL(b.turns, 2);
  CAF_CHECK_EQUAL(b.blobs, 1);
  CAF_CHECK_EQUAL(b.archives, 0);
  CAF_CHECK_EQUAL(b.integrity_failed_saves, 0);
  CAF_CHECK_GREATER(all.logical_bytes, a.logical_bytes);
  CAF_CHECK_EQUAL(all.logical_bytes, a.logical_bytes + b.logical_bytes);
  CAF_CHECK_LESS(all.blob_plain_bytes, a.blob_plain_bytes + b.blob_plain_bytes);
  check("");
  check("user-a");
  check("user-b");
  check("user-nobody");
}

CAF_TEST(totals follow deletions) {
  auto a1 = create("user-a", "session-1");
  turn_builder b{keys, "session-1"};
  commit("user-a", a1, b, "a", 1, 2);
  CAF_CHECK_EQUAL(totals().turns, 2);
  CAF_CHECK_EQUAL(totals("user-a").blob_refs, 1); // the snapshot of turn 1
  sql() << "DELETE FROM awf_saves WHERE save_id = :id", soci::use(a1);
  auto after = totals("user-a");
  CAF_CHECK_EQUAL(after.saves, 0);
  CAF_CHECK_EQUAL(after.turns, 0);
  CAF_CHECK_EQUAL(after.blob_refs, 0);
  // Unreferenced blobs stay in the store until a purge, but no user owns
  // them any more.
  CAF_CHECK_EQUAL(after.blobs, 0);
  CAF_CHECK_EQUAL(totals().blobs, 1);
  CAF_CHECK_EQUAL(totals().turns, 0);
  CAF_CHECK_EQUAL(totals().stored_bytes, totals().blob_stored_bytes);
}

CAF_TEST_FIXTURE_SCOPE_END()
