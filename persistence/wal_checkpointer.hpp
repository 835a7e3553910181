// Checkpoints a SQLite database on a thread of its own. SQLite checkpoints
// inside the commit that leaves 1,000 pages in the write-ahead log: that
// commit copies the pages back into the database file and syncs it, 10 to 30
// ms in which no other turn commits (at 1,000 turns/s, most of the sync-up
// p95). Connections opened with a checkpointer (database_options) hand that
// work to it instead: after commits that added `wal_pages` pages to the log,
// the thread runs a PASSIVE checkpoint, which takes no write lock, so
// writers go on committing meanwhile. Growth is what counts, not the log's
// size: while readers keep the log from restarting it stays long, and
// checkpointing after every commit then (as SQLite's own threshold does)
// synced the log a hundred times a second.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace awf::persistence {

class database;

class wal_checkpointer {
public:
  /// Pages in the log that make a commit ask for a checkpoint (SQLite's
  /// own default).
  static constexpr int default_wal_pages = 1000;

  /// A connection that finds this many times `wal_pages` in the log beyond
  /// what the last checkpoint copied (the thread is behind or failing)
  /// checkpoints itself, as SQLite would, so the log never grows without
  /// bound.
  static constexpr int fallback_factor = 8;

  /// Starts the thread; it opens its own connection with `url` on first
  /// use.
  explicit wal_checkpointer(std::string url, int wal_pages = default_wal_pages);

  /// Stops the thread after the checkpoint under way, if any.
  ~wal_checkpointer();

  wal_checkpointer(const wal_checkpointer&) = delete;
  wal_checkpointer& operator=(const wal_checkpointer&) = delete;

  /// Hands the checkpoints of `connection` (a `sqlite3*`) to this thread:
  /// installs its commit hook. The checkpointer must outlive the connection.
  void attach(void* connection);

  /// Checkpoints the thread has run, and those that failed (tests, stats).
  std::uint64_t runs() const;
  std::uint64_t failures() const;

private:
  static int on_commit(void* self, void* connection, const char* schema,
                       int pages);
  void request();
  void run();
  /// Runs a PASSIVE checkpoint on `db` and notes what it copied.
  bool checkpoint(database& db);

  const std::string url_;
  const int wal_pages_;
  /// The log size (in pages) that calls for the next checkpoint request
  /// (written by the committing connection: one at a time, under SQLite's
  /// write lock), and the pages of the log the last checkpoint copied
  /// (written by whoever ran it).
  std::atomic<int> next_request_;
  std::atomic<int> checkpointed_{0};
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::uint64_t runs_ = 0;
  std::uint64_t failures_ = 0;
  std::thread thread_;
};

} // namespace awf::persistence
