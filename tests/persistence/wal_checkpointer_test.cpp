#define CAF_SUITE wal_checkpointer

#include "persistence/wal_checkpointer.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "persistence/database.hpp"
#include "tests/support/test_database.hpp"

// SQLite files of their own, whichever backend the suite runs against.

using namespace awf;
using namespace std::chrono_literals;

namespace {

constexpr int wal_pages = 8;

struct fixture {
  awf::test::test_database scratch;
  std::string path = (scratch.scratch_dir() / "wal.db").string();

  std::unique_ptr<persistence::database>
  open(std::shared_ptr<persistence::wal_checkpointer> checkpointer) {
    persistence::database_options opts;
    opts.url = path;
    opts.checkpointer = std::move(checkpointer);
    auto db = persistence::database::open(opts);
    if (!db)
      CAF_FAIL("open failed: " << db.error().message);
    return std::move(*db);
  }

  /// Commits `n` transactions of one 4 KiB row each (a page or more each).
  static void write(persistence::database& db, int n) {
    CAF_REQUIRE(db.execute("CREATE TABLE IF NOT EXISTS t (x BLOB)"));
    for (int i = 0; i < n; ++i)
      CAF_REQUIRE(db.execute("INSERT INTO t VALUES (zeroblob(4096))"));
  }

  std::uintmax_t wal_bytes() const {
    std::error_code ec;
    auto size = std::filesystem::file_size(path + "-wal", ec);
    return ec ? 0 : size;
  }

  /// Waits (at most 20 s, inside the test watchdog's 30) until `done` holds.
  template<class Predicate>
  static bool eventually(Predicate done) {
    for (int i = 0; i < 2000 && !done(); ++i)
      std::this_thread::sleep_for(10ms);
    return done();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(wal_checkpointer_tests, fixture)

CAF_TEST(commits that fill the log are checkpointed by the thread) {
  auto checkpointer =
    std::make_shared<persistence::wal_checkpointer>(path, wal_pages);
  auto db = open(checkpointer);
  // Fewer pages than make a writer checkpoint itself: only the thread can
  // have copied them into the database file.
  const int commits = 2 * wal_pages;
  write(*db, commits);
  CAF_CHECK(eventually([&] { return checkpointer->runs() > 0; }));
  CAF_CHECK_EQUAL(checkpointer->failures(), 0u);
  CAF_CHECK(eventually([&] {
    return std::filesystem::file_size(path) >=
           std::uintmax_t{4096} * static_cast<std::uintmax_t>(commits);
  }));
}

CAF_TEST(the log stays bounded when the thread cannot checkpoint) {
  // The thread's own connection cannot open (a directory, not a file), so
  // every checkpoint it tries fails: the writers checkpoint themselves once
  // the log holds fallback_factor times wal_pages.
  std::filesystem::create_directories(scratch.scratch_dir() / "not-a-file");
  auto broken = std::make_shared<persistence::wal_checkpointer>(
    (scratch.scratch_dir() / "not-a-file").string(), wal_pages);
  auto db = open(broken);
  write(*db, 40 * wal_pages);
  CAF_CHECK(eventually([&] { return broken->failures() > 0; }));
  // With the writer's own checkpoints the log restarts after at most
  // fallback_factor * wal_pages pages (and a commit's worth).
  const auto bound =
    std::uintmax_t{persistence::wal_checkpointer::fallback_factor * wal_pages +
                   4} *
    (4096 + 24);
  CAF_CHECK_LESS_OR_EQUAL(wal_bytes(), bound);
  // The same writes without a checkpoint (under SQLite's own threshold of
  // 1,000 pages) leave a log larger than that bound.
  db.reset();
  std::filesystem::remove(path);
  path = (scratch.scratch_dir() / "plain.db").string();
  auto plain = open(nullptr);
  write(*plain, 40 * wal_pages);
  CAF_CHECK_GREATER(wal_bytes(), bound);
}

CAF_TEST(the last connection to close leaves no log behind) {
  {
    auto checkpointer =
      std::make_shared<persistence::wal_checkpointer>(path, wal_pages);
    auto db = open(checkpointer);
    write(*db, 5 * wal_pages);
  }
  CAF_CHECK(!std::filesystem::exists(path + "-wal"));
  auto reopened = open(nullptr);
  CAF_CHECK(reopened->execute("SELECT COUNT(*) FROM t"));
}

CAF_TEST_FIXTURE_SCOPE_END()
