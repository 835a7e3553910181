#define CAF_SUITE conflict_store

#include "persistence/conflict_store.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/uuid.hpp"
#include "persistence/archive_store.hpp"
#include "persistence/branch_writer.hpp"
#include "persistence/save_store.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;
using persistence::conflict_record;

namespace {

using counts = std::map<std::string, std::int64_t>;

/// Three saves: two of user-a, one of user-b, all at turn 0.
struct fixture : database_fixture {
  persistence::save_store saves{*db};
  persistence::conflict_store conflicts{*db};
  std::map<std::string, std::string> sessions; ///< by save id
  std::string a1 = create("user-a", "session-1");
  std::string a2 = create("user-a", "session-2");
  std::string b1 = create("user-b", "session-1");

  std::string create(const std::string& user, const std::string& session) {
    auto made = saves.create_or_attach(user, session, "1.0.0");
    if (!made)
      CAF_FAIL("create_or_attach failed: " << made.error().message);
    sessions[made->save.save_id] = session;
    return made->save.save_id;
  }

  /// Stores the report of a conflict of `save_id` the way the save actor
  /// settles one (with an empty archived branch when `archived`), and lets
  /// a millisecond pass so the next one is newer.
  conflict_record settle(const std::string& save_id,
                         const std::string& strategy, const std::string& reason,
                         const std::string& chosen, std::int64_t paths = 0,
                         const std::string& device_id = "dev-1",
                         bool archived = true) {
    persistence::branch_change change;
    change.save_id = save_id;
    change.expected_head = {0, core::chain_genesis(sessions[save_id])};
    std::string archive_id;
    if (archived) {
      archive_id = core::random_uuid();
      change.archive = persistence::archive_record{
        archive_id, save_id, "conflict", "{}", 0, 0, 0};
    }
    auto rec = make_conflict(save_id, 0, strategy, chosen, archive_id, paths,
                             reason, device_id);
    change.conflict = rec;
    auto applied = persistence::apply_branch_change(*db, change);
    if (!applied)
      CAF_FAIL("apply_branch_change failed: " << applied.error().message);
    clock.advance(std::chrono::milliseconds{3});
    return rec;
  }

  std::vector<std::string> ids(const std::string& save_id,
                               const std::string& user, std::size_t limit) {
    auto listed = conflicts.list(save_id, user, limit);
    if (!listed)
      CAF_FAIL("list failed: " << listed.error().message);
    std::vector<std::string> out;
    for (const auto& rec : *listed)
      out.push_back(rec.conflict_id);
    return out;
  }

  persistence::conflict_totals totals(const std::string& user = {}) {
    auto got = conflicts.totals(user);
    if (!got)
      CAF_FAIL("totals failed: " << got.error().message);
    return *got;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(conflict_store_tests, fixture)

CAF_TEST(a conflict reads back as stored) {
  auto before = now_ms();
  auto rec = settle(a1, "three_way_merge", "three_way_merge", "merged", 2);
  auto listed = conflicts.list(a1, "", 10);
  CAF_REQUIRE(listed);
  CAF_REQUIRE_EQUAL(listed->size(), 1u);
  const auto& got = listed->front();
  CAF_CHECK_EQUAL(got.conflict_id, rec.conflict_id);
  CAF_CHECK_EQUAL(got.save_id, a1);
  CAF_CHECK_EQUAL(got.fork_turn, 0);
  CAF_CHECK_EQUAL(got.strategy, "three_way_merge");
  CAF_CHECK_EQUAL(got.reason, "three_way_merge");
  CAF_CHECK_EQUAL(got.chosen_branch, "merged");
  CAF_CHECK_EQUAL(got.archive_id, rec.archive_id);
  CAF_CHECK_EQUAL(got.conflicting_paths, 2);
  CAF_CHECK_EQUAL(got.device_id, "dev-1");
  CAF_CHECK_EQUAL(json_text(got.report_json), json_text(rec.report_json));
  CAF_CHECK_GREATER(got.created_at_ms, before - 60'000);
  CAF_CHECK_LESS(got.created_at_ms, now_ms() + 60'000);
}

CAF_TEST(no device and no archive are stored as nulls and read back empty) {
  auto rec = settle(a1, "server_wins", "server_wins", "server", 0, "", false);
  auto listed = conflicts.list(a1, "", 10);
  CAF_REQUIRE(listed);
  CAF_REQUIRE_EQUAL(listed->size(), 1u);
  CAF_CHECK_EQUAL(listed->front().conflict_id, rec.conflict_id);
  CAF_CHECK_EQUAL(listed->front().device_id, "");
  CAF_CHECK_EQUAL(listed->front().archive_id, "");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts WHERE device_id "
                        "IS NULL AND archive_id IS NULL"),
                  1);
}

CAF_TEST(a save lists its conflicts newest first up to the limit) {
  std::vector<std::string> newest_first;
  for (const char* strategy : {"server_wins", "client_wins", "manual"}) {
    auto rec = settle(a1, strategy, strategy, "server");
    newest_first.insert(newest_first.begin(), rec.conflict_id);
  }
  settle(a2, "client_wins", "client_wins", "client");
  settle(b1, "client_wins", "client_wins", "client");
  CAF_CHECK_EQUAL(ids(a1, "", 10), newest_first);
  CAF_CHECK_EQUAL(ids(a1, "", 2),
                  (std::vector<std::string>{newest_first[0], newest_first[1]}));
  CAF_CHECK_EQUAL(ids(a1, "", 0), std::vector<std::string>{});
  auto listed = conflicts.list(a1, "", 10);
  CAF_REQUIRE(listed);
  CAF_REQUIRE_EQUAL(listed->size(), 3u);
  CAF_CHECK_EQUAL(listed->front().strategy, "manual");
  CAF_CHECK_GREATER_OR_EQUAL(listed->front().created_at_ms,
                             listed->back().created_at_ms);
}

CAF_TEST(all saves and one user saves list newest first) {
  auto x1 = settle(a1, "server_wins", "server_wins", "server");
  auto x2 = settle(b1, "client_wins", "client_wins", "client");
  auto x3 = settle(a2, "manual", "manual", "server");
  auto x4 = settle(a1, "longest_chain", "longest_chain", "client");
  using ids_t = std::vector<std::string>;
  CAF_CHECK_EQUAL(ids("", "", 10), (ids_t{x4.conflict_id, x3.conflict_id,
                                          x2.conflict_id, x1.conflict_id}));
  CAF_CHECK_EQUAL(ids("", "", 3),
                  (ids_t{x4.conflict_id, x3.conflict_id, x2.conflict_id}));
  CAF_CHECK_EQUAL(ids("", "user-a", 10),
                  (ids_t{x4.conflict_id, x3.conflict_id, x1.conflict_id}));
  CAF_CHECK_EQUAL(ids("", "user-b", 10), ids_t{x2.conflict_id});
  CAF_CHECK_EQUAL(ids(a1, "user-a", 10),
                  (ids_t{x4.conflict_id, x1.conflict_id}));
  // A save of another user lists nothing for this one.
  CAF_CHECK_EQUAL(ids(b1, "user-a", 10), ids_t{});
  CAF_CHECK_EQUAL(ids("", "user-c", 10), ids_t{});
}

CAF_TEST(a junk or unknown save id lists nothing) {
  settle(a1, "server_wins", "server_wins", "server");
  using ids_t = std::vector<std::string>;
  CAF_CHECK_EQUAL(ids("nope", "", 10), ids_t{});
  CAF_CHECK_EQUAL(ids("nope", "user-a", 10), ids_t{});
  CAF_CHECK_EQUAL(ids(core::random_uuid(), "", 10), ids_t{});
  CAF_CHECK_EQUAL(ids("", "", 10).size(), 1u);
}

CAF_TEST(totals count by strategy reason and branch and tell merges apart) {
  auto empty = totals();
  CAF_CHECK_EQUAL(empty.total, 0);
  CAF_CHECK_EQUAL(empty.by_strategy, counts{});
  CAF_CHECK_EQUAL(empty.merges_clean, 0);
  settle(a1, "server_wins", "server_wins", "server");
  settle(a1, "three_way_merge", "three_way_merge", "merged", 0);
  settle(a2, "three_way_merge", "three_way_merge", "merged", 3);
  // The regression guard kept the head: not a merge.
  settle(a2, "three_way_merge", "regression_guard", "server", 0);
  settle(b1, "client_wins", "client_wins", "client");
  settle(b1, "manual", "manual", "server");
  settle(b1, "three_way_merge", "three_way_merge", "merged", 1);
  auto all = totals();
  CAF_CHECK_EQUAL(all.total, 7);
  CAF_CHECK_EQUAL(all.by_strategy, (counts{{"client_wins", 1},
                                           {"manual", 1},
                                           {"server_wins", 1},
                                           {"three_way_merge", 4}}));
  CAF_CHECK_EQUAL(all.by_reason, (counts{{"client_wins", 1},
                                         {"manual", 1},
                                         {"regression_guard", 1},
                                         {"server_wins", 1},
                                         {"three_way_merge", 3}}));
  CAF_CHECK_EQUAL(all.by_chosen_branch,
                  (counts{{"client", 1}, {"merged", 3}, {"server", 3}}));
  CAF_CHECK_EQUAL(all.merges_clean, 1);
  CAF_CHECK_EQUAL(all.merges_with_conflicts, 2);
  auto a = totals("user-a");
  CAF_CHECK_EQUAL(a.total, 4);
  CAF_CHECK_EQUAL(a.by_strategy,
                  (counts{{"server_wins", 1}, {"three_way_merge", 3}}));
  CAF_CHECK_EQUAL(a.by_reason, (counts{{"regression_guard", 1},
                                       {"server_wins", 1},
                                       {"three_way_merge", 2}}));
  CAF_CHECK_EQUAL(a.by_chosen_branch, (counts{{"merged", 2}, {"server", 2}}));
  CAF_CHECK_EQUAL(a.merges_clean, 1);
  CAF_CHECK_EQUAL(a.merges_with_conflicts, 1);
  auto b = totals("user-b");
  CAF_CHECK_EQUAL(b.total, 3);
  CAF_CHECK_EQUAL(b.by_chosen_branch,
                  (counts{{"client", 1}, {"merged", 1}, {"server", 1}}));
  CAF_CHECK_EQUAL(b.merges_clean, 0);
  CAF_CHECK_EQUAL(b.merges_with_conflicts, 1);
  auto nobody = totals("user-c");
  CAF_CHECK_EQUAL(nobody.total, 0);
  CAF_CHECK_EQUAL(nobody.by_reason, counts{});
  CAF_CHECK_EQUAL(nobody.merges_with_conflicts, 0);
}

CAF_TEST(conflicts go with their save) {
  settle(a1, "server_wins", "server_wins", "server");
  settle(a1, "client_wins", "client_wins", "client");
  auto kept = settle(b1, "manual", "manual", "server");
  sql() << "DELETE FROM awf_saves WHERE save_id = :id", soci::use(a1);
  CAF_CHECK_EQUAL(ids(a1, "", 10), std::vector<std::string>{});
  CAF_CHECK_EQUAL(ids("", "", 10), std::vector<std::string>{kept.conflict_id});
  CAF_CHECK_EQUAL(totals().total, 1);
  CAF_CHECK_EQUAL(totals("user-a").total, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
