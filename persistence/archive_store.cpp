#include "persistence/archive_store.hpp"

#include "core/uuid.hpp"
#include "persistence/detail/archive_writes.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/turn_rows.hpp"

// PostgreSQL rejects non-UUID text in UUID columns, so lookups check ids
// first and answer not_found, exactly as for an archive that does not exist.

namespace awf::persistence {

namespace {

using detail::guarded;
using detail::session_of;

/// Reads awf_save_archives rows into records.
struct archive_row {
  archive_record rec;
  long long fork = 0, count = 0, created = 0;

  static std::string columns(database& db) {
    return "archive_id, save_id, reason, CAST(meta AS TEXT), fork_turn, "
           "turn_count, " +
           detail::epoch_ms_sql(db, "created_at");
  }

  void bind(soci::statement& st) {
    st.exchange(soci::into(rec.archive_id));
    st.exchange(soci::into(rec.save_id));
    st.exchange(soci::into(rec.reason));
    st.exchange(soci::into(rec.meta_json));
    st.exchange(soci::into(fork));
    st.exchange(soci::into(count));
    st.exchange(soci::into(created));
  }

  archive_record take() {
    rec.fork_turn = fork;
    rec.turn_count = count;
    rec.created_at_ms = created;
    return rec;
  }
};

} // namespace

storage_status
archive_store::write_archive(const archive_record& archive,
                             const std::vector<core::stored_turn>& turns) {
  if (auto checked = detail::check_archive(archive, turns); !checked)
    return checked;
  return guarded("write archive", [&]() -> storage_status {
    // Statements are prepared before the transaction, so a failed one is
    // rolled back before they are released.
    detail::blob_writes blobs{db_};
    detail::archive_writes writes{db_, blobs};
    soci::transaction tx(session_of(db_));
    detail::key_use_counts key_use;
    writes.insert(archive, turns, key_use);
    blobs.count_key_use(key_use);
    tx.commit();
    return std::monostate{};
  });
}

stored<archive_record>
archive_store::find_archive(const std::string& save_id,
                            const std::string& archive_id) {
  if (!core::is_uuid(save_id) || !core::is_uuid(archive_id))
    return storage_error{storage_errc::not_found, "no such archive"};
  return guarded("find archive", [&]() -> stored<archive_record> {
    archive_row row;
    soci::statement st(session_of(db_));
    st.alloc();
    st.prepare("SELECT " + archive_row::columns(db_) +
               " FROM awf_save_archives WHERE save_id = :s AND "
               "archive_id = :a");
    st.exchange(soci::use(save_id));
    st.exchange(soci::use(archive_id));
    row.bind(st);
    st.define_and_bind();
    st.execute(false);
    if (!st.fetch())
      return storage_error{storage_errc::not_found, "no such archive"};
    return row.take();
  });
}

stored<std::vector<archive_record>>
archive_store::list_archives(const std::string& save_id, std::size_t limit) {
  if (!core::is_uuid(save_id))
    return std::vector<archive_record>{};
  return guarded("list archives", [&]() -> stored<std::vector<archive_record>> {
    // Archived in the same microsecond: SQLite keeps insertion order, and
    // PostgreSQL has no such order, so the id decides (stable, if arbitrary).
    std::string tie_break =
      detail::is_postgresql(db_) ? "archive_id DESC" : "rowid DESC";
    long long max_rows = static_cast<long long>(limit);
    archive_row row;
    soci::statement st(session_of(db_));
    st.alloc();
    st.prepare("SELECT " + archive_row::columns(db_) +
               " FROM awf_save_archives WHERE save_id = :s ORDER BY "
               "created_at DESC, " +
               tie_break + " LIMIT :n");
    st.exchange(soci::use(save_id));
    st.exchange(soci::use(max_rows));
    return detail::fetch_all(st, row);
  });
}

stored<std::vector<core::stored_turn>>
archive_store::load_archive_turns(const std::string& archive_id,
                                  std::int64_t from, std::int64_t to,
                                  bool with_blobs) {
  if (!core::is_uuid(archive_id))
    return std::vector<core::stored_turn>{};
  return guarded("load archive turns", [&] {
    return detail::load_turn_rows(db_, detail::archive_turn_table, archive_id,
                                  from, to, with_blobs);
  });
}

} // namespace awf::persistence
