#include "persistence/wal_checkpointer.hpp"

#include <sqlite3.h>

#include <algorithm>

#include "persistence/database.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence {

wal_checkpointer::wal_checkpointer(std::string url, int wal_pages)
  : url_(std::move(url)), wal_pages_(wal_pages), next_request_(wal_pages),
    thread_([this] { run(); }) {}

wal_checkpointer::~wal_checkpointer() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void wal_checkpointer::attach(void* connection) {
  sqlite3_wal_hook(
    static_cast<sqlite3*>(connection),
    [](void* self, sqlite3* db, const char* schema, int pages) {
      return on_commit(self, db, schema, pages);
    },
    this);
}

int wal_checkpointer::on_commit(void* self, void* connection,
                                const char* schema, int pages) {
  auto& me = *static_cast<wal_checkpointer*>(self);
  const int step = me.wal_pages_;
  // A log shorter than the last request implies has restarted.
  if (pages < me.next_request_.load() - step) {
    me.next_request_ = step;
    me.checkpointed_ = 0;
  }
  if (pages - me.checkpointed_.load() >= step * fallback_factor) {
    int copied = 0;
    sqlite3_wal_checkpoint_v2(static_cast<sqlite3*>(connection), schema,
                              SQLITE_CHECKPOINT_PASSIVE, nullptr, &copied);
    me.checkpointed_ = std::max(copied, 0);
  } else if (pages >= me.next_request_.load()) {
    me.next_request_ = pages + step;
    me.request();
  }
  // A hook's error would fail the commit that already happened.
  return SQLITE_OK;
}

void wal_checkpointer::request() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    requested_ = true;
  }
  wake_.notify_one();
}

std::uint64_t wal_checkpointer::runs() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return runs_;
}

std::uint64_t wal_checkpointer::failures() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return failures_;
}

bool wal_checkpointer::checkpoint(database& db) {
  try {
    int busy = 0, log = 0, copied = 0;
    detail::session_of(db) << "PRAGMA wal_checkpoint(PASSIVE)",
      soci::into(busy), soci::into(log), soci::into(copied);
    checkpointed_ = std::max(copied, 0);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void wal_checkpointer::run() {
  std::unique_ptr<database> db;
  std::unique_lock<std::mutex> lock{mutex_};
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_)
      return;
    requested_ = false;
    lock.unlock();
    bool ok = false;
    if (!db) {
      database_options opts;
      opts.url = url_;
      if (auto opened = database::open(opts))
        db = std::move(*opened);
    }
    if (db)
      ok = checkpoint(*db);
    lock.lock();
    ++runs_;
    if (!ok) {
      ++failures_;
      db.reset(); // a fresh connection next time
    }
  }
}

} // namespace awf::persistence
