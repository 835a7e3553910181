#include "actors/sync_audit.hpp"

#include <nlohmann/json.hpp>

namespace awf::actors {

namespace {

persistence::audit_entry entry_of(const std::string& save_id,
                                  const sync_caller& who, std::string operation,
                                  std::string details_json) {
  persistence::audit_entry entry;
  entry.save_id = save_id;
  if (!who.device_id.empty())
    entry.device_id = who.device_id;
  entry.operation = std::move(operation);
  entry.details_json = std::move(details_json);
  return entry;
}

} // namespace

persistence::audit_entry sync_up_audit(const std::string& save_id,
                                       const sync_caller& who,
                                       sync_up_status status,
                                       std::size_t accepted_turns,
                                       std::int64_t head_turn) {
  return entry_of(
    save_id, who, "sync_up",
    persistence::sync_up_details(to_string(status),
                                 static_cast<std::int64_t>(accepted_turns),
                                 head_turn, who.user_id_hash));
}

persistence::audit_entry conflict_audit(const sync_caller& who,
                                        const core::conflict_report& report) {
  return entry_of(
    report.save_id, who, "sync_conflict",
    nlohmann::json{{"conflict_id", report.conflict_id},
                   {"strategy", report.strategy},
                   {"chosen_branch", core::to_string(report.chosen)},
                   {"reason", report.reason},
                   {"archive_id", report.archive_id},
                   {"fork_turn", report.fork_turn},
                   {"user_id_hash", who.user_id_hash}}
      .dump());
}

} // namespace awf::actors
