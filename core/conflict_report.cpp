#include "core/conflict_report.hpp"

namespace awf::core {

namespace {

nlohmann::json nullable(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

nlohmann::json branch_json(std::string_view id,
                           const conflict_branch_report& branch) {
  return {{"branch_id", id},
          {"turn_id", branch.turn_id},
          {"chain_hash", branch.chain_hash},
          {"device_id", nullable(branch.device_id)},
          {"integrity_score", branch.integrity_score}};
}

} // namespace

nlohmann::json to_json(const conflict_report& report) {
  return {
    {"conflict_id", report.conflict_id},
    {"save_id", report.save_id},
    {"fork_turn", report.fork_turn},
    {"strategy", report.strategy},
    {"branches",
     {branch_json("server", report.server),
      branch_json("client", report.client)}},
    {"resolution",
     {{"chosen_branch", to_string(report.chosen)},
      {"archived_branch", report.archived_branch()},
      {"archive_id", report.archive_id},
      {"reason", report.reason},
      {"conflicting_paths", report.conflicting_paths},
      // The list is bounded: how many paths conflicted in all, and whether
      // the list stops short of them.
      {"conflicting_paths_total", report.conflicting_paths_total},
      {"conflicting_paths_truncated",
       static_cast<std::int64_t>(report.conflicting_paths.size()) <
         report.conflicting_paths_total}}},
  };
}

} // namespace awf::core
