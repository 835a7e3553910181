#define CAF_SUITE database

#include "persistence/database.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <thread>

#include <soci/sqlite3/soci-sqlite3.h>

#include "persistence/detail/sqlite_busy_wait.hpp"
#include "persistence/save_store.hpp"
#include "persistence/turn_writer.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The permission bits of `path` (0 when it does not exist).
unsigned mode_of(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return 0;
  return info.st_mode & 0777;
}

/// Two connections to the SQLite file `path`, waiting at most `timeout_ms`
/// for a lock; the first holds the write lock (an open transaction that
/// inserted one row into `t`). Null connections when one did not open.
std::pair<std::unique_ptr<persistence::database>,
          std::unique_ptr<persistence::database>>
lock_held(const std::filesystem::path& path, int timeout_ms) {
  persistence::database_options opts;
  opts.url = path.string();
  opts.busy_timeout_ms = timeout_ms;
  auto holder = persistence::database::open(opts);
  auto waiter = persistence::database::open(opts);
  if (!holder || !waiter || !(*holder)->execute("CREATE TABLE t (x INTEGER)") ||
      !(*holder)->execute("BEGIN IMMEDIATE") ||
      !(*holder)->execute("INSERT INTO t VALUES (1)"))
    return {};
  return {std::move(*holder), std::move(*waiter)};
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(database_tests, database_fixture)

CAF_TEST(the dialect follows the url) {
  CAF_CHECK_EQUAL(is_postgresql(), backend_name() == "postgresql");
  CAF_CHECK(persistence::database::is_postgresql_url("postgresql://h/db"));
  CAF_CHECK(persistence::database::is_postgresql_url("postgres://h/db"));
  CAF_CHECK(!persistence::database::is_postgresql_url("/var/awf/x.db"));
  CAF_CHECK(!persistence::database::is_postgresql_url("sqlite:/var/x.db"));
}

CAF_TEST(sqlite connections use wal and enforce foreign keys) {
  if (is_postgresql()) {
    CAF_MESSAGE("SQLite only");
    return;
  }
  std::string mode;
  sql() << "PRAGMA journal_mode", soci::into(mode);
  CAF_CHECK_EQUAL(mode, "wal");
  int foreign_keys = 0;
  sql() << "PRAGMA foreign_keys", soci::into(foreign_keys);
  CAF_CHECK_EQUAL(foreign_keys, 1);
  int synchronous = -1;
  sql() << "PRAGMA synchronous", soci::into(synchronous);
  CAF_CHECK_EQUAL(synchronous, 2); // FULL is the default
}

CAF_TEST(sqlite connections apply the chosen options) {
  // Independent of the backend under test: always a local SQLite file.
  auto path = scratch.scratch_dir() / "with space" / "opts.db";
  std::filesystem::create_directories(path.parent_path());
  persistence::database_options opts;
  opts.url = "sqlite:" + path.string();
  opts.sync = persistence::sqlite_sync::normal;
  opts.busy_timeout_ms = 2500;
  auto opened = persistence::database::open(opts);
  CAF_REQUIRE(opened);
  auto& s = persistence::detail::session_of(**opened);
  int synchronous = -1;
  s << "PRAGMA synchronous", soci::into(synchronous);
  CAF_CHECK_EQUAL(synchronous, 1); // NORMAL
  CAF_REQUIRE(persistence::migrate(**opened));
  persistence::save_store store{**opened};
  auto made = store.create_or_attach("user-a", "session-1", "1.0.0");
  CAF_REQUIRE(made);
  // The same file without the prefix.
  auto again = persistence::database::open({path.string()});
  CAF_REQUIRE(again);
  CAF_CHECK_EQUAL((*again)->dialect() == persistence::dialect::sqlite, true);
  persistence::save_store other{**again};
  auto found = other.find_save(made->save.save_id);
  CAF_CHECK_EQUAL(code_of(found), "ok");
  CAF_CHECK(std::filesystem::exists(path));
}

CAF_TEST(a new sqlite database takes small pages and an old one keeps its own) {
  auto page_size = [](persistence::database& db) {
    int bytes = 0;
    persistence::detail::session_of(db) << "PRAGMA page_size",
      soci::into(bytes);
    return bytes;
  };
  auto fresh_path = scratch.scratch_dir() / "fresh.db";
  auto fresh = persistence::database::open({fresh_path.string()});
  CAF_REQUIRE(fresh);
  CAF_REQUIRE(persistence::migrate(**fresh));
  CAF_CHECK_EQUAL(page_size(**fresh), persistence::sqlite_page_bytes);
  // A database made with 4 KiB pages (as before) keeps them and works.
  auto old_path = scratch.scratch_dir() / "old.db";
  {
    soci::session raw{soci::sqlite3, old_path.string()};
    raw << "PRAGMA page_size=4096";
    raw << "CREATE TABLE t (x INTEGER)";
  }
  auto old = persistence::database::open({old_path.string()});
  CAF_REQUIRE(old);
  CAF_CHECK_EQUAL(page_size(**old), 4096);
  CAF_REQUIRE(persistence::migrate(**old));
  persistence::save_store store{**old};
  CAF_CHECK_EQUAL(code_of(store.create_or_attach("user-a", "s-1", "1.0.0")),
                  "ok");
}

CAF_TEST(a sqlite writer waits for the write lock of another connection) {
  auto [holder, waiter] = lock_held(scratch.scratch_dir() / "busy.db", 10000);
  CAF_REQUIRE(holder && waiter);
  std::thread release{[&holder = holder] {
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
    (void)holder->execute("COMMIT");
  }};
  // Waits for the commit instead of failing with "database is locked".
  auto wrote = waiter->execute("INSERT INTO t VALUES (2)");
  release.join();
  CAF_CHECK(wrote);
  long long rows = 0;
  persistence::detail::session_of(*waiter) << "SELECT COUNT(*) FROM t",
    soci::into(rows);
  CAF_CHECK_EQUAL(rows, 2);
}

CAF_TEST(a sqlite writer gives up once its busy timeout has passed) {
  auto [holder, waiter] = lock_held(scratch.scratch_dir() / "locked.db", 100);
  CAF_REQUIRE(holder && waiter);
  auto wrote = waiter->execute("INSERT INTO t VALUES (2)");
  CAF_REQUIRE(!wrote);
  CAF_CHECK(contains(wrote.error().message, "locked"));
  CAF_CHECK(holder->execute("COMMIT"));
  CAF_CHECK(waiter->execute("INSERT INTO t VALUES (3)"));
}

CAF_TEST(busy waits start short and stay at most a millisecond) {
  using std::chrono::microseconds;
  CAF_CHECK_EQUAL(persistence::detail::busy_sleep(0).count(), 50);
  for (int i = 1; i < 100; ++i) {
    CAF_CHECK(persistence::detail::busy_sleep(i) >=
              persistence::detail::busy_sleep(i - 1));
    CAF_CHECK(persistence::detail::busy_sleep(i) <= microseconds{1000});
  }
  CAF_CHECK_EQUAL(persistence::detail::busy_sleep(99).count(), 1000);
}

CAF_TEST(sqlite files are owner only whatever the umask) {
  // Independent of the backend under test: always a local SQLite file.
  auto path = (scratch.scratch_dir() / "modes.db").string();
  auto old_umask = ::umask(022); // would leave 0644 files
  {
    auto opened = persistence::database::open({path});
    CAF_REQUIRE(opened);
    // Migrating writes, which makes SQLite create the -wal and -shm files.
    CAF_REQUIRE(persistence::migrate(**opened));
    for (const char* suffix : {"", "-wal", "-shm"}) {
      CAF_MESSAGE("file modes.db" << suffix);
      CAF_CHECK_EQUAL(mode_of(path + suffix), 0600u);
    }
  }
  ::umask(old_umask);
}

CAF_TEST(an existing sqlite file readable by others is tightened on open) {
  auto path = (scratch.scratch_dir() / "old.db").string();
  {
    auto opened = persistence::database::open({path});
    CAF_REQUIRE(opened);
    CAF_REQUIRE(persistence::migrate(**opened));
  }
  // As an older version left it.
  CAF_REQUIRE_EQUAL(::chmod(path.c_str(), 0644), 0);
  auto reopened = persistence::database::open({path});
  CAF_REQUIRE(reopened);
  persistence::save_store store{**reopened};
  CAF_REQUIRE(store.create_or_attach("user-a", "session-1", "1.0.0"));
  for (const char* suffix : {"", "-wal", "-shm"}) {
    CAF_MESSAGE("file old.db" << suffix);
    CAF_CHECK_EQUAL(mode_of(path + suffix), 0600u);
  }
}

CAF_TEST(a failed open names the backend but never the password) {
  auto opened = persistence::database::open(
    {"postgresql://awf:hunter2-secret@127.0.0.1:1/nodb?connect_timeout=2"});
  CAF_CHECK(!opened);
  if (opened)
    return;
  CAF_CHECK_EQUAL(std::string{persistence::to_string(opened.error().code)},
                  "failure");
  CAF_CHECK(contains(opened.error().message, "PostgreSQL"));
  CAF_CHECK(!contains(opened.error().message, "hunter2-secret"));
  auto sqlite = persistence::database::open(
    {(scratch.scratch_dir() / "missing-dir" / "x.db").string()});
  CAF_CHECK(!sqlite);
  if (sqlite)
    return;
  CAF_CHECK(contains(sqlite.error().message, "SQLite"));
}

CAF_TEST(execute reports a bad statement as an error value) {
  CAF_CHECK(db->execute("CREATE TABLE awf_scratch (x INTEGER)"));
  auto bad = db->execute("INSERT INTO awf_no_such_table VALUES (1)");
  CAF_CHECK(!bad);
  if (bad)
    return;
  CAF_CHECK_EQUAL(std::string{persistence::to_string(bad.error().code)},
                  "failure");
  CAF_CHECK(contains(bad.error().message, "execute"));
  // The connection stays usable after the error.
  CAF_CHECK(db->execute("INSERT INTO awf_scratch VALUES (1)"));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_scratch"), 1);
}

CAF_TEST(a read snapshot does not see later commits) {
  persistence::save_store reader_store{*db};
  auto writer = open_database(scratch);
  persistence::save_store writer_store{*writer};
  auto keys = make_key_ring();
  auto made = writer_store.create_or_attach("user-a", "session-1", "1.0.0");
  CAF_REQUIRE(made);
  const auto& id = made->save.save_id;
  turn_builder b{keys, "session-1"};
  {
    persistence::read_snapshot snapshot{*db};
    CAF_CHECK(snapshot.active());
    auto before = reader_store.find_save(id);
    CAF_REQUIRE(before);
    CAF_CHECK_EQUAL(before->head.turn_id, 0);
    auto expected = b.head();
    auto turn = b.next(R"({"turn":1})");
    auto outcomes =
      persistence::turn_writer{*writer}.commit({{id, expected, {turn}}});
    CAF_REQUIRE_EQUAL(outcomes.size(), 1u);
    CAF_CHECK_EQUAL(code_of(outcomes.front()), "ok");
    auto during = reader_store.find_save(id);
    CAF_REQUIRE(during);
    CAF_CHECK_EQUAL(during->head.turn_id, 0);
    auto turns = reader_store.load_turns(id, 1, 1, false);
    CAF_REQUIRE(turns);
    CAF_CHECK_EQUAL(turns->size(), 0u);
  }
  auto after = reader_store.find_save(id);
  CAF_REQUIRE(after);
  CAF_CHECK_EQUAL(after->head.turn_id, 1);
}

CAF_TEST_FIXTURE_SCOPE_END()
