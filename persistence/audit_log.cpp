#include "persistence/audit_log.hpp"

#include <algorithm>
#include <iterator>

#include <nlohmann/json.hpp>

#include "core/uuid.hpp"
#include "persistence/detail/audit_filter_sql.hpp"
#include "persistence/detail/audit_writes.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/sync_records.hpp"

namespace awf::persistence {

std::string sync_up_details(std::string_view status, std::int64_t turns,
                            std::int64_t head_turn,
                            const std::string& user_id_hash) {
  return nlohmann::json{{"status", status},
                        {"turns", turns},
                        {"head_turn", head_turn},
                        {"user_id_hash", user_id_hash}}
    .dump();
}

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
    auto now = detail::now_text(db_);
    s << "INSERT INTO awf_sync_audit (audit_id, save_id, device_id, "
         "operation, details, created_at) VALUES (:id, :s, :dev, :op, " +
           details_param + ", :ca)",
      soci::use(id), soci::use(save, save_ind), soci::use(device, device_ind),
      soci::use(operation), soci::use(details), soci::use(now);
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
      // Records of their own and those kept in turn rows, each list newest
      // first: merged, the newest `limit` of both.
      auto own = list_own(filter);
      auto kept = detail::list_sync_records(db_, filter);
      std::vector<audit_record> out;
      out.reserve(std::min(filter.limit, own.size() + kept.size()));
      std::merge(std::make_move_iterator(own.begin()),
                 std::make_move_iterator(own.end()),
                 std::make_move_iterator(kept.begin()),
                 std::make_move_iterator(kept.end()), std::back_inserter(out),
                 [](const audit_record& a, const audit_record& b) {
                   return a.created_at_ms > b.created_at_ms;
                 });
      if (out.size() > filter.limit)
        out.resize(filter.limit);
      return out;
    });
}

std::vector<audit_record> audit_log::list_own(const audit_filter& filter) {
  auto& s = detail::session_of(db_);
  detail::audit_filter_sql where{db_, filter, ""};
  std::string sql = "SELECT audit_id, save_id, device_id, operation, "
                    "CAST(details AS TEXT), " +
                    detail::epoch_ms_sql(db_, "created_at") +
                    " FROM awf_sync_audit";
  for (std::size_t i = 0; i < where.conditions().size(); ++i)
    sql += (i == 0 ? " WHERE " : " AND ") + where.conditions()[i];
  // Records of the same millisecond keep their insertion order.
  sql += detail::is_postgresql(db_)
           ? " ORDER BY created_at DESC, seq DESC LIMIT :n"
           : " ORDER BY created_at DESC, rowid DESC LIMIT :n";
  audit_record row;
  std::string save_col, device_col;
  soci::indicator save_ind = soci::i_null, device_ind = soci::i_null;
  long long created = 0;
  soci::statement st(s);
  st.alloc();
  st.prepare(sql);
  where.bind(st);
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
}

} // namespace awf::persistence
