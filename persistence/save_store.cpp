#include "persistence/save_store.hpp"

#include "core/uuid.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/turn_rows.hpp"

// PostgreSQL rejects non-UUID text in UUID columns, so lookups check ids
// first and answer not_found, exactly as for a save that does not exist.

namespace awf::persistence {

namespace {

using detail::guarded;
using detail::session_of;

std::string save_columns(database& db) {
  return "save_id, session_id, user_id_hash, version, turn_id, "
         "latest_chain_hash, CASE WHEN integrity_ok THEN 1 ELSE 0 END, " +
         detail::epoch_ms_sql(db, "created_at") + ", " +
         detail::epoch_ms_sql(db, "updated_at");
}

/// Binds the columns of `save_columns` into one record.
struct save_row {
  save_record rec;
  long long turn = 0;
  int ok = 1;
  long long created = 0;
  long long updated = 0;

  void bind(soci::statement& st) {
    st.exchange(soci::into(rec.save_id));
    st.exchange(soci::into(rec.session_id));
    st.exchange(soci::into(rec.user_id_hash));
    st.exchange(soci::into(rec.version));
    st.exchange(soci::into(turn));
    st.exchange(soci::into(rec.head.chain_hash));
    st.exchange(soci::into(ok));
    st.exchange(soci::into(created));
    st.exchange(soci::into(updated));
  }

  save_record take() {
    rec.head.turn_id = turn;
    rec.integrity_ok = ok != 0;
    rec.created_at_ms = created;
    rec.updated_at_ms = updated;
    return rec;
  }
};

stored<std::vector<save_record>>
query_saves(database& db, const std::string& where, const std::string& key) {
  auto& s = session_of(db);
  save_row row;
  soci::statement st(s);
  st.alloc();
  st.prepare("SELECT " + save_columns(db) + " FROM awf_saves WHERE " + where);
  st.exchange(soci::use(key));
  return detail::fetch_all(st, row);
}

} // namespace

stored<attach_result>
save_store::create_or_attach(const std::string& user_id_hash,
                             const std::string& session_id,
                             const std::string& version) {
  return guarded("create save", [&]() -> stored<attach_result> {
    auto& s = session_of(db_);
    auto new_id = core::random_uuid();
    auto genesis = core::chain_genesis(session_id);
    soci::transaction tx(s);
    auto now = detail::now_text(db_);
    s << "INSERT INTO awf_saves (save_id, session_id, user_id_hash, version, "
         "turn_id, latest_chain_hash, created_at, updated_at) VALUES (:id, "
         ":s, :u, :v, 0, :c, :ca, :ua) "
         "ON CONFLICT (session_id, user_id_hash) DO NOTHING",
      soci::use(new_id), soci::use(session_id), soci::use(user_id_hash),
      soci::use(version), soci::use(genesis), soci::use(now), soci::use(now);
    std::string existing;
    s << "SELECT save_id FROM awf_saves WHERE session_id = :s AND "
         "user_id_hash = :u",
      soci::use(session_id), soci::use(user_id_hash), soci::into(existing);
    auto rows = query_saves(db_, "save_id = :id", existing);
    tx.commit();
    if (!rows || rows->empty())
      return storage_error{storage_errc::failure, "save vanished on create"};
    return attach_result{rows->front(), existing == new_id};
  });
}

stored<save_record> save_store::find_save(const std::string& save_id) {
  if (!core::is_uuid(save_id))
    return storage_error{storage_errc::not_found, "no such save"};
  return guarded("find save", [&]() -> stored<save_record> {
    auto rows = query_saves(db_, "save_id = :id", save_id);
    if (!rows)
      return rows.error();
    if (rows->empty())
      return storage_error{storage_errc::not_found, "no such save"};
    return rows->front();
  });
}

stored<std::vector<save_record>>
save_store::list_saves(const std::string& user_id_hash) {
  return guarded("list saves", [&]() {
    // SQLite keeps milliseconds: within one, the newer row comes first.
    std::string tie_break =
      detail::is_postgresql(db_) ? "created_at DESC" : "rowid DESC";
    return query_saves(
      db_, "user_id_hash = :u ORDER BY updated_at DESC, " + tie_break,
      user_id_hash);
  });
}

stored<std::vector<core::stored_turn>>
save_store::load_turns(const std::string& save_id, std::int64_t from,
                       std::int64_t to, bool with_blobs) {
  if (!core::is_uuid(save_id))
    return std::vector<core::stored_turn>{};
  return guarded("load turns", [&] {
    return detail::load_turn_rows(db_, detail::save_turn_table, save_id, from,
                                  to, with_blobs);
  });
}

stored<std::int64_t> save_store::base_turn_of(const std::string& save_id,
                                              std::int64_t turn_id) {
  if (!core::is_uuid(save_id))
    return storage_error{storage_errc::not_found, "no such save"};
  return guarded("find base turn", [&]() -> stored<std::int64_t> {
    auto& s = session_of(db_);
    long long turn = turn_id;
    long long base = 0;
    soci::indicator ind = soci::i_null;
    s << "SELECT base_turn FROM awf_save_diffs WHERE save_key = " +
           detail::save_key_of(":s") + " AND to_turn = :t",
      soci::use(save_id), soci::use(turn), soci::into(base, ind);
    if (!s.got_data() || ind != soci::i_ok)
      return storage_error{storage_errc::not_found,
                           "no turn " + std::to_string(turn_id)};
    return static_cast<std::int64_t>(base);
  });
}

stored<std::vector<std::string>>
save_store::sample_save_ids(double percent, std::size_t limit) {
  return guarded("sample saves", [&]() -> stored<std::vector<std::string>> {
    auto& s = session_of(db_);
    // Both dialects draw per row (the threshold is in basis points) and
    // shuffle, so a batch limit never leaves the same saves out every time.
    long long threshold = static_cast<long long>(percent * 100.0);
    long long max_rows = static_cast<long long>(limit);
    std::string draw = detail::is_postgresql(db_)
                         ? "random() * 10000 < :p"
                         : "ABS(RANDOM() % 10000) < :p";
    std::vector<std::string> ids;
    std::string id;
    soci::statement st =
      (s.prepare << "SELECT save_id FROM awf_saves WHERE " + draw +
                      " ORDER BY random() LIMIT :n",
       soci::use(threshold), soci::use(max_rows), soci::into(id));
    st.execute(false);
    while (st.fetch())
      ids.push_back(id);
    return ids;
  });
}

storage_status save_store::set_integrity(const std::string& save_id, bool ok) {
  if (!core::is_uuid(save_id))
    return std::monostate{};
  return guarded("record integrity", [&]() -> storage_status {
    auto& s = session_of(db_);
    int flag = ok ? 1 : 0;
    std::string sql = detail::is_postgresql(db_)
                        ? "UPDATE awf_saves SET integrity_ok = (:ok = 1) "
                          "WHERE save_id = :id"
                        : "UPDATE awf_saves SET integrity_ok = :ok WHERE "
                          "save_id = :id";
    s << sql, soci::use(flag), soci::use(save_id);
    return std::monostate{};
  });
}

stored<std::map<std::string, std::uint64_t>> save_store::key_usage() {
  return guarded(
    "read key usage", [&]() -> stored<std::map<std::string, std::uint64_t>> {
      auto& s = session_of(db_);
      std::map<std::string, std::uint64_t> out;
      std::string key_id;
      long long count = 0;
      // Reserved nonces count as spent: a seal may have used
      // any of them before the process stopped.
      soci::statement st = (s.prepare << "SELECT key_id, CASE WHEN reserved > "
                                         "encryptions THEN reserved ELSE "
                                         "encryptions END FROM awf_key_usage",
                            soci::into(key_id), soci::into(count));
      st.execute(false);
      while (st.fetch())
        out[key_id] = static_cast<std::uint64_t>(count);
      return out;
    });
}

} // namespace awf::persistence
