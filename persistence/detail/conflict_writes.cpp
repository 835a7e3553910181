#include "persistence/detail/conflict_writes.hpp"

#include <nlohmann/json.hpp>

#include "core/uuid.hpp"

namespace awf::persistence::detail {

storage_status check_conflict(const conflict_record& conflict) {
  if (!core::is_uuid(conflict.save_id))
    return storage_error{storage_errc::not_found, "no such save"};
  if (!core::is_uuid(conflict.conflict_id))
    return invalid("conflict id '" + conflict.conflict_id + "' is not a UUID");
  if (!conflict.archive_id.empty() && !core::is_uuid(conflict.archive_id))
    return invalid("archive id '" + conflict.archive_id + "' is not a UUID");
  // Device ids are at most 64 bytes (contract §2); the edge checks them, and
  // a conflict row never keeps a longer one.
  if (conflict.device_id.size() > 64)
    return invalid("a device id of " +
                   std::to_string(conflict.device_id.size()) + " bytes");
  const auto& branch = conflict.chosen_branch;
  if (branch != "server" && branch != "client" && branch != "merged")
    return invalid("unknown chosen branch '" + branch + "'");
  if (conflict.conflicting_paths < 0)
    return invalid("a negative count of conflicting paths");
  if (!conflict.report_json.empty()) {
    auto report = nlohmann::json::parse(conflict.report_json, nullptr, false);
    if (report.is_discarded() || !report.is_object())
      return invalid("conflict report is not a JSON object");
  }
  return std::monostate{};
}

void insert_conflict(database& db, const conflict_record& conflict) {
  auto& s = session_of(db);
  auto now = now_text(db);
  std::string report =
    conflict.report_json.empty() ? "{}" : conflict.report_json;
  std::string report_param = is_postgresql(db) ? "CAST(:r AS JSONB)" : ":r";
  long long fork = conflict.fork_turn;
  long long paths = conflict.conflicting_paths;
  auto archive_ind = conflict.archive_id.empty() ? soci::i_null : soci::i_ok;
  auto device_ind = conflict.device_id.empty() ? soci::i_null : soci::i_ok;
  s << "INSERT INTO awf_conflicts (conflict_id, save_id, fork_turn, "
       "strategy, reason, chosen_branch, archive_id, conflicting_paths, "
       "device_id, report, created_at) VALUES (:id, :s, :f, :st, :re, :cb, "
       ":a, :n, :d, " +
         report_param + ", :ca)",
    soci::use(conflict.conflict_id), soci::use(conflict.save_id),
    soci::use(fork), soci::use(conflict.strategy), soci::use(conflict.reason),
    soci::use(conflict.chosen_branch),
    soci::use(conflict.archive_id, archive_ind), soci::use(paths),
    soci::use(conflict.device_id, device_ind), soci::use(report),
    soci::use(now);
}

} // namespace awf::persistence::detail
