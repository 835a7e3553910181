#include "persistence/audit_log.hpp"

#include "core/uuid.hpp"
#include "persistence/detail/audit_writes.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence {

stored<std::string>
audit_log::append(const std::optional<std::string>& save_id,
                  const std::optional<std::string>& device_id,
                  const std::string& operation,
                  const std::string& details_json) {
  if (save_id && !core::is_uuid(*save_id))
    return storage_error{storage_errc::not_found, "no such save"};
  return detail::guarded("append audit", [&]() -> stored<std::string> {
    auto entry =
      detail::bounded(audit_entry{save_id, device_id, operation, details_json});
    const auto& details = entry.details_json;
    auto& s = detail::session_of(db_);
    auto id = core::time_ordered_uuid();
    std::string save = save_id.value_or("");
    std::string device = entry.device_id.value_or("");
    auto save_ind = save_id ? soci::i_ok : soci::i_null;
    auto device_ind = entry.device_id ? soci::i_ok : soci::i_null;
    std::string details_param =
      detail::is_postgresql(db_) ? "CAST(:d AS JSONB)" : ":d";
    s << "INSERT INTO awf_sync_audit (audit_id, save_id, device_id, "
         "operation, details) VALUES (:id, :s, :dev, :op, " +
           details_param + ")",
      soci::use(id), soci::use(save, save_ind), soci::use(device, device_ind),
      soci::use(operation), soci::use(details);
    return id;
  });
}

storage_status audit_log::append_many(const std::vector<audit_entry>& entries) {
  if (entries.empty())
    return std::monostate{};
  return detail::guarded("append audit", [&]() -> storage_status {
    // Prepared before the transaction, so a failed one is rolled back
    // before the statement is released.
    detail::audit_writes writes{db_};
    soci::transaction tx(detail::session_of(db_));
    for (const auto& entry : entries)
      writes.insert(entry);
    tx.commit();
    return std::monostate{};
  });
}

stored<std::vector<audit_record>>
audit_log::list(const std::optional<std::string>& save_id, std::size_t limit) {
  return list(audit_filter{save_id, std::nullopt, std::nullopt, limit});
}

stored<std::vector<audit_record>> audit_log::list(const audit_filter& filter) {
  if (filter.save_id && !core::is_uuid(*filter.save_id))
    return std::vector<audit_record>{};
  return detail::guarded(
    "list audit", [&]() -> stored<std::vector<audit_record>> {
      auto& s = detail::session_of(db_);
      std::string save = filter.save_id.value_or("");
      std::string device = filter.device_id.value_or("");
      long long since = filter.since_ms.value_or(0);
      // The coarse bound lets the index skip older rows; the exact test
      // agrees with the created_at_ms the records report (each dialect
      // rounds a stored time to milliseconds its own way, by under 1 ms).
      std::string since_floor =
        detail::time_text(db_, filter.since_ms.value_or(0) - 1);
      const auto created_ms = detail::epoch_ms_sql(db_, "created_at");
      std::vector<std::string> where;
      if (filter.save_id)
        where.emplace_back("save_id = :s");
      if (filter.device_id)
        where.emplace_back("device_id = :d");
      if (filter.since_ms) {
        where.emplace_back("created_at >= :f");
        where.emplace_back(created_ms + " >= :ms");
      }
      std::string sql = "SELECT audit_id, save_id, device_id, operation, "
                        "CAST(details AS TEXT), " +
                        created_ms + " FROM awf_sync_audit";
      for (std::size_t i = 0; i < where.size(); ++i)
        sql += (i == 0 ? " WHERE " : " AND ") + where[i];
      // Records of the same millisecond keep their insertion order.
      sql += detail::is_postgresql(db_)
               ? " ORDER BY created_at DESC, seq DESC LIMIT :n"
               : " ORDER BY created_at DESC, rowid DESC LIMIT :n";
      long long max_rows = static_cast<long long>(filter.limit);
      audit_record row;
      std::string save_col, device_col;
      soci::indicator save_ind = soci::i_null, device_ind = soci::i_null;
      long long created = 0;
      soci::statement st(s);
      st.alloc();
      st.prepare(sql);
      if (filter.save_id)
        st.exchange(soci::use(save));
      if (filter.device_id)
        st.exchange(soci::use(device));
      if (filter.since_ms) {
        st.exchange(soci::use(since_floor));
        st.exchange(soci::use(since));
      }
      st.exchange(soci::use(max_rows));
      st.exchange(soci::into(row.audit_id));
      st.exchange(soci::into(save_col, save_ind));
      st.exchange(soci::into(device_col, device_ind));
      st.exchange(soci::into(row.operation));
      st.exchange(soci::into(row.details_json));
      st.exchange(soci::into(created));
      st.define_and_bind();
      st.execute(false);
      std::vector<audit_record> out;
      while (st.fetch()) {
        row.save_id =
          save_ind == soci::i_ok ? std::optional{save_col} : std::nullopt;
        row.device_id =
          device_ind == soci::i_ok ? std::optional{device_col} : std::nullopt;
        row.created_at_ms = created;
        out.push_back(row);
      }
      return out;
    });
}

} // namespace awf::persistence
