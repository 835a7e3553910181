#include "persistence/detail/sync_records.hpp"

#include "core/uuid.hpp"
#include "persistence/detail/audit_filter_sql.hpp"
#include "persistence/detail/turn_rows.hpp"

namespace awf::persistence::detail {

std::string sync_record_id(const sync_record_key& key) {
  return core::name_based_uuid("awf-sync-up:" + key.save_id + ":" +
                               std::to_string(key.turn_id) + ":" +
                               key.chain_hash + ":" + key.created_at);
}

std::vector<audit_record> list_sync_records(database& db,
                                            const audit_filter& filter) {
  if (filter.save_id && !core::is_uuid(*filter.save_id))
    return {};
  auto& s = session_of(db);
  audit_filter_sql where{db, filter, "d.", "d.save_key = " + save_key_of(":s")};
  std::string sql = "SELECT s.save_id, COALESCE(d.device_id, ''), d.to_turn, " +
                    hash_out(db, "d.chain_hash") +
                    ", CAST(d.created_at AS TEXT), d.sync_turns, "
                    "s.user_id_hash, " +
                    epoch_ms_sql(db, "d.created_at") +
                    " FROM awf_save_diffs d JOIN awf_saves s ON s.save_key = "
                    "d.save_key WHERE d.sync_turns IS NOT NULL";
  for (const auto& condition : where.conditions())
    sql += " AND " + condition;
  sql += " ORDER BY d.created_at DESC, d.to_turn DESC LIMIT :n";
  sync_record_key key;
  std::string device_id, user;
  long long turn = 0, turns = 0, created = 0;
  soci::statement st(s);
  st.alloc();
  st.prepare(sql);
  where.bind(st);
  st.exchange(soci::into(key.save_id));
  st.exchange(soci::into(device_id));
  st.exchange(soci::into(turn));
  st.exchange(soci::into(key.chain_hash));
  st.exchange(soci::into(key.created_at));
  st.exchange(soci::into(turns));
  st.exchange(soci::into(user));
  st.exchange(soci::into(created));
  st.define_and_bind();
  st.execute(false);
  std::vector<audit_record> out;
  while (st.fetch()) {
    audit_record record;
    key.turn_id = turn;
    record.audit_id = sync_record_id(key);
    record.save_id = key.save_id;
    if (!device_id.empty())
      record.device_id = device_id;
    record.operation = "sync_up";
    record.details_json = sync_up_details("fast_forward", turns, turn, user);
    record.created_at_ms = created;
    out.push_back(std::move(record));
  }
  return out;
}

void keep_sync_records(database& db, const std::string& save_id,
                       std::int64_t keep_through) {
  auto& s = session_of(db);
  struct kept {
    sync_record_key key;
    long long turn = 0, turns = 0;
    std::string user;
  };
  std::vector<kept> records;
  {
    long long after = keep_through;
    kept row;
    row.key.save_id = save_id;
    soci::statement st =
      (s.prepare << "SELECT d.to_turn, " + hash_out(db, "d.chain_hash") +
                      ", CAST(d.created_at AS TEXT), d.sync_turns, "
                      "s.user_id_hash FROM awf_save_diffs d JOIN awf_saves s "
                      "ON s.save_key = d.save_key WHERE s.save_id = :s AND "
                      "d.to_turn > :k AND d.sync_turns IS NOT NULL",
       soci::use(save_id), soci::use(after), soci::into(row.turn),
       soci::into(row.key.chain_hash), soci::into(row.key.created_at),
       soci::into(row.turns), soci::into(row.user));
    st.execute(false);
    while (st.fetch()) {
      row.key.turn_id = row.turn;
      records.push_back(row);
    }
  }
  if (records.empty())
    return;
  std::string id, details;
  long long turn = 0;
  std::string details_param = is_postgresql(db) ? "CAST(:j AS JSONB)" : ":j";
  // Copies the turn row's device and time; an id some record already has
  // (the same turn row contents twice in one clock tick) is not reused.
  soci::statement insert =
    (s.prepare << "INSERT INTO awf_sync_audit (audit_id, save_id, device_id, "
                  "operation, details, created_at) SELECT :id, :s, "
                  "device_id, 'sync_up', " +
                    details_param +
                    ", created_at FROM awf_save_diffs WHERE "
                    "save_key = " +
                    save_key_of(":s2") +
                    " AND to_turn = :t AND NOT EXISTS (SELECT 1 FROM "
                    "awf_sync_audit WHERE audit_id = :id2)",
     soci::use(id), soci::use(save_id), soci::use(details), soci::use(save_id),
     soci::use(turn), soci::use(id));
  for (const auto& r : records) {
    details = sync_up_details("fast_forward", r.turns, r.turn, r.user);
    turn = r.turn;
    id = sync_record_id(r.key);
    insert.execute(true);
    if (insert.get_affected_rows() == 0) {
      id = core::time_ordered_uuid();
      insert.execute(true);
    }
  }
}

} // namespace awf::persistence::detail
