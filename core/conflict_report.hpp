// The conflict report of contract §6 as a value: what the engine decided
// about a diverged sync up, rendered to JSON only where it leaves the
// server (a reply, a stored report, an export).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/conflict_rules.hpp"

namespace awf::core {

/// One side of a conflict as the report shows it.
struct conflict_branch_report {
  std::int64_t turn_id = 0;
  std::string chain_hash;
  std::string device_id; ///< empty: unknown (rendered as null)
  /// Percent of the branch's turns that rebuilt with every hash right.
  std::int64_t integrity_score = 100;
};

struct conflict_report {
  std::string conflict_id;
  std::string save_id;
  std::int64_t fork_turn = 0;
  std::string strategy; ///< as the request named it
  conflict_branch_report server;
  conflict_branch_report client;
  branch_choice chosen = branch_choice::server;
  std::string archive_id;
  /// The strategy, "manual", "regression_guard" or "integrity_guard".
  std::string reason;
  /// The first conflicting paths, within conflict_path_limits.
  std::vector<std::string> conflicting_paths;
  std::int64_t conflicting_paths_total = 0; ///< listed or not

  /// The branch the archive keeps: the client's unless the client won.
  std::string_view archived_branch() const noexcept {
    return chosen == branch_choice::client ? "server" : "client";
  }
  /// Without a decision made by the server: the device hears 409
  /// conflict_manual and the head stays until someone restores.
  bool needs_decision() const noexcept {
    return reason == "manual" || reason == "integrity_guard";
  }
};

/// The report as contract §6 shows it.
nlohmann::json to_json(const conflict_report& report);

} // namespace awf::core
