#include "persistence/device_store.hpp"

#include "persistence/detail/session.hpp"

namespace awf::persistence {

namespace {

using detail::guarded;
using detail::session_of;

/// Reads awf_devices rows into records.
struct device_row {
  device_record rec;
  long long expires = 0, turn = 0, created = 0, updated = 0;
  int revoked = 0;

  static std::string columns(database& db) {
    return "device_id, user_id_hash, label, sync_token, expires_at_ms, "
           "CASE WHEN revoked THEN 1 ELSE 0 END, COALESCE(last_turn_seen, "
           "0), " +
           detail::epoch_ms_sql(db, "created_at") + ", " +
           detail::epoch_ms_sql(db, "updated_at");
  }

  void bind(soci::statement& st) {
    st.exchange(soci::into(rec.device_id));
    st.exchange(soci::into(rec.user_id_hash));
    st.exchange(soci::into(rec.label));
    st.exchange(soci::into(rec.token_hash));
    st.exchange(soci::into(expires));
    st.exchange(soci::into(revoked));
    st.exchange(soci::into(turn));
    st.exchange(soci::into(created));
    st.exchange(soci::into(updated));
  }

  device_record take() {
    rec.expires_at_ms = expires;
    rec.revoked = revoked != 0;
    rec.last_turn_seen = turn;
    rec.created_at_ms = created;
    rec.updated_at_ms = updated;
    return rec;
  }
};

/// Runs `SELECT <device columns> FROM awf_devices WHERE <where>` with one
/// text parameter.
std::vector<device_record> query_devices(database& db, const std::string& where,
                                         const std::string& key) {
  device_row row;
  soci::statement st(session_of(db));
  st.alloc();
  st.prepare("SELECT " + device_row::columns(db) + " FROM awf_devices WHERE " +
             where);
  st.exchange(soci::use(key));
  return detail::fetch_all(st, row);
}

stored<device_record> one_device(database& db, const std::string& where,
                                 const std::string& key) {
  auto rows = query_devices(db, where, key);
  if (rows.empty())
    return storage_error{storage_errc::not_found, "no such device"};
  return rows.front();
}

} // namespace

stored<device_record> device_store::register_device(
  const std::string& user_id_hash, const std::string& device_id,
  const std::string& label, const std::string& token_hash,
  std::int64_t expires_at_ms) {
  return guarded("register device", [&]() -> stored<device_record> {
    auto& s = session_of(db_);
    soci::transaction tx(s);
    auto now = detail::now_text(db_);
    long long expires = expires_at_ms;
    // One statement decides, so two users racing for a new id cannot both
    // win: the row's owner never changes, only its owner may refresh it.
    s << R"sql(INSERT INTO awf_devices (device_id, user_id_hash, label,
                 sync_token, expires_at_ms, revoked, last_turn_seen,
                 created_at, updated_at)
               VALUES (:d, :u, :l, :t, :e, false, 0, :ca, :ua)
               ON CONFLICT (device_id) DO UPDATE SET label = excluded.label,
                 sync_token = excluded.sync_token,
                 expires_at_ms = excluded.expires_at_ms, revoked = false,
                 updated_at = excluded.updated_at
               WHERE awf_devices.user_id_hash = excluded.user_id_hash)sql",
      soci::use(device_id), soci::use(user_id_hash), soci::use(label),
      soci::use(token_hash), soci::use(expires), soci::use(now), soci::use(now);
    auto row = one_device(db_, "device_id = :d", device_id);
    if (!row)
      return row;
    if (row->user_id_hash != user_id_hash)
      return storage_error{storage_errc::conflict,
                           "device " + device_id +
                             " is registered to another user"};
    tx.commit();
    return row;
  });
}

stored<device_record>
device_store::find_by_token_hash(const std::string& token_hash) {
  return guarded("find device", [&] {
    return one_device(db_, "sync_token = :t", token_hash);
  });
}

stored<device_record> device_store::find_device(const std::string& device_id) {
  return guarded("find device",
                 [&] { return one_device(db_, "device_id = :d", device_id); });
}

stored<std::vector<device_record>>
device_store::list_devices(const std::string& user_id_hash) {
  return guarded("list devices", [&]() -> stored<std::vector<device_record>> {
    // Registered in the same microsecond: the id decides, in both dialects.
    return query_devices(
      db_, "user_id_hash = :u ORDER BY created_at, device_id", user_id_hash);
  });
}

stored<device_record> device_store::rotate(const std::string& device_id,
                                           const std::string& old_token_hash,
                                           const std::string& new_token_hash,
                                           std::int64_t expires_at_ms) {
  return guarded("rotate device token", [&]() -> stored<device_record> {
    auto& s = session_of(db_);
    soci::transaction tx(s);
    auto now = detail::now_text(db_);
    long long expires = expires_at_ms;
    soci::statement st =
      (s.prepare << "UPDATE awf_devices SET sync_token = :n, expires_at_ms = "
                    ":e, updated_at = :ua WHERE device_id = :d AND "
                    "sync_token = :o AND NOT revoked",
       soci::use(new_token_hash), soci::use(expires), soci::use(now),
       soci::use(device_id), soci::use(old_token_hash));
    st.execute(true);
    if (st.get_affected_rows() != 1)
      return storage_error{storage_errc::not_found,
                           "no device " + device_id + " with that token"};
    auto row = one_device(db_, "device_id = :d", device_id);
    tx.commit();
    return row;
  });
}

storage_status device_store::revoke(const std::string& device_id) {
  return guarded("revoke device", [&]() -> storage_status {
    auto& s = session_of(db_);
    auto now = detail::now_text(db_);
    soci::statement st =
      (s.prepare << "UPDATE awf_devices SET revoked = true, updated_at = :ua "
                    "WHERE device_id = :d",
       soci::use(now), soci::use(device_id));
    st.execute(true);
    if (st.get_affected_rows() != 1)
      return storage_error{storage_errc::not_found, "no such device"};
    return std::monostate{};
  });
}

namespace {

constexpr const char* advance_turn_seen_sql =
  "UPDATE awf_devices SET last_turn_seen = :t, updated_at = :ua WHERE "
  "device_id = :d AND (last_turn_seen IS NULL OR last_turn_seen < :t2)";

/// Moves a device's last_turn_seen forward (never back); true if a row
/// changed.
bool advance_turn_seen(database& db, const std::string& device_id,
                       std::int64_t turn_id) {
  auto& s = session_of(db);
  auto now = detail::now_text(db);
  long long turn = turn_id;
  soci::statement st = (s.prepare << advance_turn_seen_sql, soci::use(turn),
                        soci::use(now), soci::use(device_id), soci::use(turn));
  st.execute(true);
  return st.get_affected_rows() == 1;
}

} // namespace

storage_status device_store::note_turns_seen(
  const std::map<std::string, std::int64_t>& turns) {
  if (turns.empty())
    return std::monostate{};
  return guarded("note device turns", [&]() -> storage_status {
    auto& s = session_of(db_);
    soci::transaction tx{s};
    // One statement prepared for the whole batch, not one per device: the
    // batch holds SQLite's write lock while it runs.
    auto now = detail::now_text(db_);
    std::string device_id;
    long long turn = 0;
    soci::statement st =
      (s.prepare << advance_turn_seen_sql, soci::use(turn), soci::use(now),
       soci::use(device_id), soci::use(turn));
    for (const auto& [id, turn_id] : turns) {
      device_id = id;
      turn = turn_id;
      st.execute(true);
    }
    tx.commit();
    return std::monostate{};
  });
}

storage_status device_store::note_turn_seen(const std::string& device_id,
                                            std::int64_t turn_id) {
  return guarded("note device turn", [&]() -> storage_status {
    auto& s = session_of(db_);
    if (advance_turn_seen(db_, device_id, turn_id))
      return std::monostate{};
    // Nothing changed: an older turn (fine) or no such device.
    long long known = 0;
    s << "SELECT COUNT(*) FROM awf_devices WHERE device_id = :d",
      soci::use(device_id), soci::into(known);
    if (known == 0)
      return storage_error{storage_errc::not_found, "no such device"};
    return std::monostate{};
  });
}

} // namespace awf::persistence
