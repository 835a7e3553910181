#include "actors/sync_audit.hpp"

#include <nlohmann/json.hpp>

namespace awf::actors {

namespace {

persistence::audit_entry entry_of(const std::string& save_id,
                                  const sync_caller& who, std::string operation,
                                  nlohmann::json details) {
  details["user_id_hash"] = who.user_id_hash;
  persistence::audit_entry entry;
  entry.save_id = save_id;
  if (!who.device_id.empty())
    entry.device_id = who.device_id;
  entry.operation = std::move(operation);
  entry.details_json = details.dump();
  return entry;
}

} // namespace

persistence::audit_entry sync_up_audit(const std::string& save_id,
                                       const sync_caller& who,
                                       sync_up_status status,
                                       std::size_t accepted_turns,
                                       std::int64_t head_turn) {
  return entry_of(save_id, who, "sync_up",
                  {{"status", to_string(status)},
                   {"turns", accepted_turns},
                   {"head_turn", head_turn}});
}

persistence::audit_entry conflict_audit(const sync_caller& who,
                                        const core::conflict_report& report) {
  return entry_of(report.save_id, who, "sync_conflict",
                  {{"conflict_id", report.conflict_id},
                   {"strategy", report.strategy},
                   {"chosen_branch", core::to_string(report.chosen)},
                   {"reason", report.reason},
                   {"archive_id", report.archive_id},
                   {"fork_turn", report.fork_turn}});
}

} // namespace awf::actors
