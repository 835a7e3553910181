#include "persistence/archive_store.hpp"

#include <nlohmann/json.hpp>

#include "core/uuid.hpp"
#include "persistence/detail/blob_writes.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/turn_rows.hpp"

// PostgreSQL rejects non-UUID text in UUID columns, so lookups check ids
// first and answer not_found, exactly as for an archive that does not exist.

namespace awf::persistence {

namespace {

using detail::guarded;
using detail::session_of;

/// Checks an archive before anything is written: ids, a JSON object as
/// meta (PostgreSQL's JSONB would refuse anything else, SQLite would not),
/// and turns that rebuild on their own: consecutive from fork_turn + 1,
/// the first a snapshot, every base inside the branch.
storage_status check_archive(const archive_record& archive,
                             const std::vector<core::stored_turn>& turns) {
  auto invalid = [](std::string message) -> storage_status {
    return storage_error{storage_errc::failure, std::move(message)};
  };
  if (!core::is_uuid(archive.save_id))
    return storage_error{storage_errc::not_found, "no such save"};
  if (!core::is_uuid(archive.archive_id))
    return invalid("archive id '" + archive.archive_id + "' is not a UUID");
  if (!archive.meta_json.empty()) {
    auto meta = nlohmann::json::parse(archive.meta_json, nullptr, false);
    if (meta.is_discarded() || !meta.is_object())
      return invalid("archive meta is not a JSON object");
  }
  if (!turns.empty() && turns.front().kind != core::turn_kind::snapshot)
    return invalid("an archive must start with a snapshot");
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const auto& t = turns[i];
    auto want = archive.fork_turn + 1 + static_cast<std::int64_t>(i);
    if (t.turn_id != want)
      return invalid("archived turn " + std::to_string(t.turn_id) +
                     " should be turn " + std::to_string(want));
    if (t.base_turn <= archive.fork_turn || t.base_turn > t.turn_id)
      return invalid("archived turn " + std::to_string(t.turn_id) +
                     " rebuilds from turn " + std::to_string(t.base_turn) +
                     ", outside the archive");
  }
  return std::monostate{};
}

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
  if (auto checked = check_archive(archive, turns); !checked)
    return checked;
  return guarded("write archive", [&]() -> storage_status {
    auto& s = session_of(db_);
    // Statements are prepared before the transaction, so a failed one is
    // rolled back before they are released. Bound by reference.
    detail::blob_writes blobs{db_};
    std::string archive_id = archive.archive_id, diff_hash, chain_hash,
                state_hash, kind;
    long long turn_id = 0, base_turn = 0, state_bytes = 0;
    soci::statement insert_turn =
      (s.prepare << R"sql(INSERT INTO awf_archive_turns (archive_id,
                            turn_id, diff_hash, chain_hash, state_hash,
                            kind, base_turn, state_bytes)
                          VALUES (:a, :t, :d, :c, :h, :k, :b, :sb))sql",
       soci::use(archive_id), soci::use(turn_id), soci::use(diff_hash),
       soci::use(chain_hash), soci::use(state_hash), soci::use(kind),
       soci::use(base_turn), soci::use(state_bytes));
    soci::transaction tx(s);
    auto now = detail::now_text(db_);
    std::string meta = archive.meta_json.empty() ? "{}" : archive.meta_json;
    std::string meta_param =
      detail::is_postgresql(db_) ? "CAST(:m AS JSONB)" : ":m";
    long long fork = archive.fork_turn;
    long long count = static_cast<long long>(turns.size());
    s << "INSERT INTO awf_save_archives (archive_id, save_id, reason, meta, "
         "fork_turn, turn_count, created_at) VALUES (:a, :s, :r, " +
           meta_param + ", :f, :n, :ca)",
      soci::use(archive.archive_id), soci::use(archive.save_id),
      soci::use(archive.reason), soci::use(meta), soci::use(fork),
      soci::use(count), soci::use(now);
    detail::key_use_counts key_use;
    for (const auto& t : turns) {
      blobs.store(archive.save_id, t.blob);
      turn_id = t.turn_id;
      diff_hash = t.blob.hash;
      chain_hash = t.chain_hash;
      state_hash = t.state_hash;
      kind = core::to_string(t.kind);
      base_turn = t.base_turn;
      state_bytes = static_cast<long long>(t.state_bytes);
      insert_turn.execute(true);
      detail::blob_writes::note_key_use(key_use, t.blob);
    }
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
    std::vector<archive_record> out;
    soci::statement st(session_of(db_));
    st.alloc();
    st.prepare("SELECT " + archive_row::columns(db_) +
               " FROM awf_save_archives WHERE save_id = :s ORDER BY "
               "created_at DESC, " +
               tie_break + " LIMIT :n");
    st.exchange(soci::use(save_id));
    st.exchange(soci::use(max_rows));
    row.bind(st);
    st.define_and_bind();
    st.execute(false);
    while (st.fetch())
      out.push_back(row.take());
    return out;
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
