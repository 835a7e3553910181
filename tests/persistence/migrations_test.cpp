#define CAF_SUITE migrations

#include "persistence/migrations.hpp"

#include "caf/test/unit_test.hpp"

#include <string>
#include <vector>

#include "core/sha256.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;

namespace {

const std::vector<std::string> spec_tables{
  "awf_saves",         "awf_save_blobs", "awf_save_diffs",       "awf_devices",
  "awf_save_archives", "awf_sync_audit", "awf_cloud_sync_config"};

const std::vector<std::string> internal_tables{
  "awf_blob_refs", "awf_key_usage", "awf_archive_turns", "awf_conflicts"};

const std::vector<int> all_versions{1, 2, 3, 4, 5, 6, 7, 8};

/// Inserts a save row with only the required columns.
void insert_save(raw_database_fixture& fx, const std::string& save_id) {
  fx.sql() << "INSERT INTO awf_saves (save_id, session_id, user_id_hash) "
              "VALUES (:id, 's', 'u')",
    soci::use(save_id);
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(migrations_tests, raw_database_fixture)

CAF_TEST(the latest schema version is 8) {
  CAF_CHECK_EQUAL(persistence::latest_schema_version(), 8);
}

CAF_TEST(a fresh database gets every migration and records them) {
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  CAF_CHECK_EQUAL(*applied, all_versions);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations"),
                  static_cast<long long>(all_versions.size()));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations "
                        "WHERE version = 1 AND name = 'save store'"),
                  1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations "
                        "WHERE version = 2 AND name = 'devices and archives'"),
                  1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations "
                        "WHERE version = 3 AND name = 'conflicts'"),
                  1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations "
                        "WHERE version = 4 AND name = 'save list index by "
                        "user only'"),
                  1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations "
                        "WHERE version = 5 AND name = 'nonce reservations'"),
                  1);
}

CAF_TEST(the save list index no longer holds updated_at) {
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  if (db->dialect() == persistence::dialect::sqlite) {
    CAF_CHECK_EQUAL(
      count("SELECT COUNT(*) FROM pragma_index_info('awf_saves_user')"), 1);
    CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM pragma_index_info("
                          "'awf_saves_user') WHERE name = 'user_id_hash'"),
                    1);
  } else {
    // Another migrated schema in the same database (as a suite running at
    // the same time makes one): the catalog must be read for this test's
    // schema only. The index's columns come from the plain catalog tables:
    // pg_indexes calls pg_get_indexdef for every schema's index named
    // awf_saves_user, which fails when a suite running at the same time
    // drops its schema in between.
    test_database neighbour;
    auto other = open_database(neighbour);
    CAF_REQUIRE(persistence::migrate(*other));
    const std::string index_columns =
      "SELECT COUNT(*) FROM pg_class c "
      "JOIN pg_namespace n ON n.oid = c.relnamespace "
      "JOIN pg_attribute a ON a.attrelid = c.oid "
      "WHERE n.nspname = current_schema() AND c.relname = 'awf_saves_user' "
      "AND c.relkind = 'i'";
    CAF_CHECK_EQUAL(count(index_columns), 1);
    CAF_CHECK_EQUAL(count(index_columns + " AND a.attname = 'user_id_hash'"),
                    1);
  }
}

CAF_TEST(a target version stops the migrations there) {
  auto first = persistence::migrate(*db, 1);
  CAF_REQUIRE(first);
  CAF_CHECK_EQUAL(*first, std::vector<int>{1});
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations"), 1);
  auto rest = persistence::migrate(*db);
  CAF_REQUIRE(rest);
  CAF_CHECK_EQUAL(*rest, (std::vector<int>{2, 3, 4, 5, 6, 7, 8}));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations"),
                  static_cast<long long>(all_versions.size()));
}

CAF_TEST(migrating again applies nothing) {
  auto first = persistence::migrate(*db);
  CAF_REQUIRE(first);
  CAF_CHECK_EQUAL(first->size(), all_versions.size());
  auto second = persistence::migrate(*db);
  CAF_REQUIRE(second);
  CAF_CHECK_EQUAL(*second, std::vector<int>{});
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations"),
                  static_cast<long long>(all_versions.size()));
}

CAF_TEST(another connection to a migrated database applies nothing) {
  auto first = persistence::migrate(*db);
  CAF_REQUIRE(first);
  CAF_CHECK_EQUAL(*first, all_versions);
  auto other = open_database(scratch);
  auto second = persistence::migrate(*other);
  CAF_REQUIRE(second);
  CAF_CHECK_EQUAL(*second, std::vector<int>{});
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations"),
                  static_cast<long long>(all_versions.size()));
}

CAF_TEST(a fresh database has none of the tables) {
  // Proves the existence checks below can fail.
  for (const auto& table : spec_tables) {
    bool missing = false;
    try {
      long long n = 0;
      sql() << "SELECT COUNT(*) FROM " + table, soci::into(n);
    } catch (const std::exception&) {
      missing = true;
    }
    CAF_CHECK(missing);
  }
}

CAF_TEST(every spec table exists and starts empty after migrating) {
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  for (const auto& table : spec_tables) {
    CAF_MESSAGE("table " << table);
    CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM " + table), 0);
  }
}

CAF_TEST(the internal tables exist after migrating) {
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  for (const auto& table : internal_tables) {
    CAF_MESSAGE("table " << table);
    CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM " + table), 0);
  }
}

CAF_TEST(a failed migration leaves nothing behind) {
  // A stray table of the same name makes migration 1 fail part way.
  sql() << "CREATE TABLE awf_devices (x INTEGER)";
  auto failed = persistence::migrate(*db);
  CAF_CHECK(!failed);
  if (failed)
    return;
  CAF_CHECK_EQUAL(code_of(failed), "failure");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_schema_migrations"), 0);
  bool saves_missing = false;
  try {
    long long n = 0;
    sql() << "SELECT COUNT(*) FROM awf_saves", soci::into(n);
  } catch (const std::exception&) {
    saves_missing = true;
  }
  CAF_CHECK(saves_missing);
  // Once the obstacle is gone, the same migration applies cleanly.
  sql() << "DROP TABLE awf_devices";
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  CAF_CHECK_EQUAL(*applied, all_versions);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices"), 0);
}

CAF_TEST(one save per user and session is enforced by the schema) {
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  const std::string id1 = "00000000-0000-4000-8000-000000000001";
  const std::string id2 = "00000000-0000-4000-8000-000000000002";
  auto insert = [&](const std::string& id) {
    try {
      insert_save(*this, id);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  };
  CAF_CHECK(insert(id1));
  CAF_CHECK(!insert(id2));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_saves"), 1);
}

CAF_TEST(deleting a save cascades to its turns and references) {
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  const std::string id = "00000000-0000-4000-8000-000000000001";
  insert_save(*this, id);
  sql() << "INSERT INTO awf_blob_refs (save_id, blob_hash) VALUES (:id, 'h')",
    soci::use(id);
  sql() << "INSERT INTO awf_save_diffs (save_key, from_turn, to_turn, "
           "diff_hash, chain_hash, state_hash, kind, base_turn, state_bytes) "
           "VALUES (" +
             persistence::detail::save_key_of(":id") +
             ", 0, 1, 'h', 'c', 's', 'snapshot', 1, 2)",
    soci::use(id);
  sql() << "DELETE FROM awf_saves WHERE save_id = :id", soci::use(id);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_blob_refs"), 0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_diffs"), 0);
}

// -- migration 2
// ---------------------------------------------------------------

CAF_TEST(migration 2 upgrades a version 1 database and keeps its rows) {
  auto first = persistence::migrate(*db, 1);
  CAF_REQUIRE(first);
  const std::string save = "00000000-0000-4000-8000-000000000001";
  const std::string archive = "00000000-0000-4000-8000-0000000000a1";
  insert_save(*this, save);
  sql() << "INSERT INTO awf_devices (device_id, user_id_hash, sync_token) "
           "VALUES ('dev-1', 'u', 'hash-1')";
  sql() << "INSERT INTO awf_save_archives (archive_id, save_id, reason) "
           "VALUES (:a, :s, 'conflict')",
    soci::use(archive), soci::use(save);
  auto second = persistence::migrate(*db, 2);
  CAF_REQUIRE(second);
  CAF_CHECK_EQUAL(*second, std::vector<int>{2});
  // The new columns exist with their defaults on the old rows.
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices WHERE device_id = "
                        "'dev-1' AND label = '' AND expires_at_ms = 0 AND "
                        "NOT revoked AND sync_token = 'hash-1'"),
                  1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_archives WHERE "
                        "fork_turn = 0 AND turn_count = 0"),
                  1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 0);
}

CAF_TEST(migration 8 keeps a damaged hash damaged instead of failing) {
  CAF_REQUIRE(persistence::migrate(*db, 7));
  const std::string id = "00000000-0000-4000-8000-000000000008";
  insert_save(*this, id);
  const std::string good = core::sha256_hex("state");
  // Turn 1: a chain hash that is not hex; turn 2: an empty state hash.
  sql() << "INSERT INTO awf_save_diffs (save_id, from_turn, to_turn, "
           "diff_hash, chain_hash, state_hash, kind, base_turn, state_bytes) "
           "VALUES (:id, 0, 1, 'h', 'not hex', :s, 'snapshot', 1, 2)",
    soci::use(id), soci::use(good);
  sql() << "INSERT INTO awf_save_diffs (save_id, from_turn, to_turn, "
           "diff_hash, chain_hash, state_hash, kind, base_turn, state_bytes) "
           "VALUES (:id, 1, 2, 'h', :s, '', 'snapshot', 2, 2)",
    soci::use(id), soci::use(good);
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  CAF_CHECK_EQUAL(*applied, (std::vector<int>{8}));
  auto hashes_of = [this](long long turn) {
    std::string chain, state;
    sql() << "SELECT " + persistence::detail::hash_out(*db, "chain_hash") +
               ", " + persistence::detail::hash_out(*db, "state_hash") +
               " FROM awf_save_diffs WHERE to_turn = :t",
      soci::use(turn), soci::into(chain), soci::into(state);
    return std::make_pair(chain, state);
  };
  auto first = hashes_of(1);
  CAF_CHECK_EQUAL(first.first, core::to_hex("not hex"));
  CAF_CHECK_EQUAL(first.second, good);
  auto second = hashes_of(2);
  CAF_CHECK_EQUAL(second.first, good);
  CAF_CHECK_EQUAL(second.second, "");
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_saves WHERE save_key IS "
                        "NULL"),
                  0);
}

CAF_TEST(migration 5 keeps the key usage of a version 4 database) {
  CAF_REQUIRE(persistence::migrate(*db, 4));
  sql() << "INSERT INTO awf_key_usage (key_id, encryptions) VALUES ('k1', 10)";
  auto applied = persistence::migrate(*db);
  CAF_REQUIRE(applied);
  CAF_CHECK_EQUAL(*applied, (std::vector<int>{5, 6, 7, 8}));
  CAF_CHECK_EQUAL(count("SELECT reserved FROM awf_key_usage WHERE key_id = "
                        "'k1'"),
                  0);
  persistence::save_store saves{*db};
  CAF_CHECK_EQUAL(key_usage_of(saves, "k1"), 10u);
}

CAF_TEST(device token hashes are unique) {
  CAF_REQUIRE(persistence::migrate(*db));
  auto insert = [&](const std::string& device, const std::string& token) {
    try {
      sql() << "INSERT INTO awf_devices (device_id, user_id_hash, sync_token) "
               "VALUES (:d, 'u', :t)",
        soci::use(device), soci::use(token);
      return true;
    } catch (const std::exception&) {
      return false;
    }
  };
  CAF_CHECK(insert("dev-1", "hash-1"));
  CAF_CHECK(insert("dev-2", "hash-2"));
  CAF_CHECK(!insert("dev-3", "hash-1"));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_devices"), 2);
}

CAF_TEST(archived turns cascade with their archive and their save) {
  CAF_REQUIRE(persistence::migrate(*db));
  const std::string save = "00000000-0000-4000-8000-000000000001";
  const std::vector<std::string> archives{
    "00000000-0000-4000-8000-0000000000a1",
    "00000000-0000-4000-8000-0000000000a2"};
  insert_save(*this, save);
  for (const auto& archive : archives) {
    sql() << "INSERT INTO awf_save_archives (archive_id, save_id, reason, "
             "fork_turn, turn_count) VALUES (:a, :s, 'conflict', 3, 2)",
      soci::use(archive), soci::use(save);
    for (int turn = 4; turn <= 5; ++turn)
      sql() << "INSERT INTO awf_archive_turns (archive_id, turn_id, "
               "diff_hash, chain_hash, state_hash, kind, base_turn, "
               "state_bytes) VALUES (:a, :t, 'h', 'c', 's', 'snapshot', 4, 2)",
        soci::use(archive), soci::use(turn);
  }
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 4);
  sql() << "DELETE FROM awf_save_archives WHERE archive_id = :a",
    soci::use(archives[0]);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 2);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns WHERE "
                        "archive_id = :p",
                        archives[1]),
                  2);
  sql() << "DELETE FROM awf_saves WHERE save_id = :id", soci::use(save);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_archives"), 0);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 0);
}

CAF_TEST(an archived turn needs an existing archive) {
  CAF_REQUIRE(persistence::migrate(*db));
  bool refused = false;
  try {
    sql() << "INSERT INTO awf_archive_turns (archive_id, turn_id, diff_hash, "
             "chain_hash, state_hash, kind, base_turn, state_bytes) VALUES "
             "('00000000-0000-4000-8000-0000000000a9', 1, 'h', 'c', 's', "
             "'snapshot', 1, 2)";
  } catch (const std::exception&) {
    refused = true;
  }
  CAF_CHECK(refused);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_archive_turns"), 0);
}

// -- migration 3
// ---------------------------------------------------------------

namespace {

const std::string save_1 = "00000000-0000-4000-8000-000000000001";
const std::string archive_1 = "00000000-0000-4000-8000-0000000000a1";

/// Inserts a conflict row of `save_1`; false when the database refuses it.
bool insert_conflict(raw_database_fixture& fx, const std::string& id,
                     const std::string& branch, bool with_archive) {
  std::string report = "{\"conflict_id\":\"" + id + "\"}";
  std::string archive = with_archive ? archive_1 : "";
  auto archive_ind = with_archive ? soci::i_ok : soci::i_null;
  std::string report_param =
    fx.is_postgresql() ? "CAST(:r AS JSONB)" : std::string{":r"};
  try {
    fx.sql() << "INSERT INTO awf_conflicts (conflict_id, save_id, fork_turn, "
                "strategy, reason, chosen_branch, archive_id, "
                "conflicting_paths, report) VALUES (:id, :s, 2, "
                "'server_wins', 'server_wins', :b, :a, 0, " +
                  report_param + ")",
      soci::use(id), soci::use(save_1), soci::use(branch),
      soci::use(archive, archive_ind), soci::use(report);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

} // namespace

CAF_TEST(migration 3 upgrades a version 2 database and keeps its rows) {
  CAF_REQUIRE(persistence::migrate(*db, 2));
  insert_save(*this, save_1);
  sql() << "INSERT INTO awf_save_archives (archive_id, save_id, reason, "
           "fork_turn, turn_count) VALUES (:a, :s, 'conflict', 2, 0)",
    soci::use(archive_1), soci::use(save_1);
  auto third = persistence::migrate(*db, 3);
  CAF_REQUIRE(third);
  CAF_CHECK_EQUAL(*third, std::vector<int>{3});
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_saves"), 1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_save_archives"), 1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts"), 0);
  CAF_CHECK(insert_conflict(*this, "00000000-0000-4000-8000-0000000000c1",
                            "server", true));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts WHERE "
                        "conflicting_paths = 0 AND device_id IS NULL AND "
                        "fork_turn = 2"),
                  1);
}

CAF_TEST(migration 4 upgrades a version 3 database and keeps its rows) {
  CAF_REQUIRE(persistence::migrate(*db, 3));
  insert_save(*this, save_1);
  auto fourth = persistence::migrate(*db, 4);
  CAF_REQUIRE(fourth);
  CAF_CHECK_EQUAL(*fourth, std::vector<int>{4});
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_saves WHERE user_id_hash = "
                        "'u'"),
                  1);
}

CAF_TEST(conflict rows name a known branch and follow their archive and save) {
  CAF_REQUIRE(persistence::migrate(*db));
  insert_save(*this, save_1);
  sql() << "INSERT INTO awf_save_archives (archive_id, save_id, reason) "
           "VALUES (:a, :s, 'conflict')",
    soci::use(archive_1), soci::use(save_1);
  CAF_CHECK(insert_conflict(*this, "00000000-0000-4000-8000-0000000000c1",
                            "client", true));
  CAF_CHECK(insert_conflict(*this, "00000000-0000-4000-8000-0000000000c2",
                            "merged", false));
  CAF_CHECK(!insert_conflict(*this, "00000000-0000-4000-8000-0000000000c3",
                             "both", false));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts"), 2);
  // An archive that goes leaves its conflict without one.
  sql() << "DELETE FROM awf_save_archives WHERE archive_id = :a",
    soci::use(archive_1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts WHERE "
                        "archive_id IS NULL"),
                  2);
  sql() << "DELETE FROM awf_saves WHERE save_id = :id", soci::use(save_1);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_conflicts"), 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
