#include "tools/load/conflict_checks.hpp"

#include "core/json_patch.hpp"
#include "tools/load/reply_fields.hpp"
#include "tools/load/sync_checks.hpp"

namespace awf::load {

namespace {

using json = nlohmann::json;

bool is_branch_name(const std::string& name) {
  return name == "server" || name == "client";
}

/// The `branches` entry `id` must name `expected`; the client's, when it
/// names a device, the device that sent the branch.
check_result check_branch(const json& branches, const char* id,
                          const core::chain_head& expected,
                          const std::string& device_id) {
  for (const auto& entry : branches) {
    if (string_member(entry, "branch_id") != id)
      continue;
    auto head = read_head(entry);
    if (!head)
      return std::string{id} +
             " branch of the conflict report: " + head.error();
    if (*head != expected)
      return std::string{id} + " branch of the conflict report ends at " +
             head_text(*head) + ", the client's ends at " + head_text(expected);
    auto* device = member(entry, "device_id");
    if (!device_id.empty() && device != nullptr && !device->is_null() &&
        *device != device_id)
      return std::string{id} + " branch of the conflict report names " +
             "another device";
    return passed();
  }
  return "conflict report without a " + std::string{id} + " branch";
}

check_result check_resolution(const json& resolution, std::string& chosen) {
  auto chosen_branch = string_member(resolution, "chosen_branch");
  auto archived = string_member(resolution, "archived_branch");
  auto archive_id = string_member(resolution, "archive_id");
  auto* paths = member(resolution, "conflicting_paths");
  if (!chosen_branch ||
      !(is_branch_name(*chosen_branch) || *chosen_branch == "merged"))
    return std::string{"conflict resolution without a chosen_branch of "
                       "server, client or merged"};
  if (!archived || !is_branch_name(*archived) || *archived == *chosen_branch)
    return "conflict resolution archives " +
           (archived ? *archived : std::string{"nothing"}) + " and chose " +
           *chosen_branch;
  if (!archive_id || archive_id->empty())
    return std::string{"conflict resolution without archive_id"};
  if (!string_member(resolution, "reason"))
    return std::string{"conflict resolution without reason"};
  if (paths == nullptr || !paths->is_array())
    return std::string{"conflict resolution without conflicting_paths"};
  for (const auto& path : *paths)
    if (!path.is_string() || (!path.get_ref<const std::string&>().empty() &&
                              path.get_ref<const std::string&>()[0] != '/'))
      return "conflicting path " + path.dump() + " is not a JSON pointer";
  chosen = *chosen_branch;
  return passed();
}

/// Checks a conflict report (contract §6) against what the client sent,
/// and sets `chosen` to the branch it chose.
check_result check_report(const json& report, const branch_sync& sync,
                          bool manual, std::string& chosen) {
  auto conflict_id = string_member(report, "conflict_id");
  if (!conflict_id || conflict_id->empty())
    return std::string{"conflict report without conflict_id"};
  if (string_member(report, "save_id") != sync.save_id)
    return std::string{"conflict report for another save"};
  auto fork = integer_member(report, "fork_turn");
  if (fork != sync.base.turn_id)
    return "conflict report forks at turn " +
           (fork ? std::to_string(*fork) : std::string{"(none)"}) +
           ", the branch left the chain after turn " +
           std::to_string(sync.base.turn_id);
  // A manual answer may name "manual" for any strategy asked.
  auto strategy = string_member(report, "strategy");
  if (!strategy ||
      (*strategy != sync.strategy && !(manual && *strategy == "manual")))
    return "conflict report strategy " +
           (strategy ? *strategy : std::string{"(none)"}) +
           ", the sync up asked for " + sync.strategy;
  auto* branches = member(report, "branches");
  if (branches == nullptr || !branches->is_array())
    return std::string{"conflict report without branches"};
  if (auto ok = check_branch(*branches, "server", sync.server_head, {}); !ok)
    return ok.error();
  if (auto ok =
        check_branch(*branches, "client", sync.branch_head, sync.device_id);
      !ok)
    return ok.error();
  auto* resolution = member(report, "resolution");
  if (resolution == nullptr || !resolution->is_object())
    return std::string{"conflict report without resolution"};
  return check_resolution(*resolution, chosen);
}

/// Which state the reported head holds, or nothing when it is none of the
/// three a conflict may leave.
std::optional<conflict_winner> winner_of(const core::chain_head& head,
                                         const branch_sync& sync,
                                         const std::string& chosen) {
  if (head == sync.server_head)
    return conflict_winner::server;
  if (head == sync.branch_head)
    return conflict_winner::client;
  // Its chain hash is checked when the merged turn is read back.
  if (chosen == "merged" && head.turn_id == sync.server_head.turn_id + 1)
    return conflict_winner::merged;
  return std::nullopt;
}

/// `accepted` of a resolved reply: the branch's turns when it won, else
/// turns of the branch or the merged turn.
check_result check_accepted(const json& accepted, const branch_sync& sync,
                            const conflict_outcome& out) {
  auto first = sync.base.turn_id + 1;
  bool fits = accepted.is_array();
  if (fits && out.winner == conflict_winner::client)
    fits = static_cast<std::int64_t>(accepted.size()) ==
           sync.branch_head.turn_id - sync.base.turn_id;
  for (std::size_t i = 0; fits && i < accepted.size(); ++i) {
    auto id = as_integer(accepted[i]);
    if (out.winner == conflict_winner::client)
      fits = id == first + static_cast<std::int64_t>(i);
    else
      fits = id && ((*id >= first && *id <= sync.branch_head.turn_id) ||
                    *id == out.head.turn_id);
  }
  if (!fits)
    return "resolved reply accepted " + accepted.dump() + " after turn " +
           std::to_string(sync.base.turn_id) + " with the " +
           to_string(out.winner) + " branch at the head";
  return passed();
}

} // namespace

const char* to_string(conflict_winner winner) noexcept {
  switch (winner) {
    case conflict_winner::client: return "client";
    case conflict_winner::merged: return "merged";
    default: return "server";
  }
}

std::string_view expected_choice(std::string_view strategy,
                                 std::int64_t server_turn,
                                 std::int64_t client_turn) {
  if (strategy == "server_wins")
    return "server";
  if (strategy == "client_wins")
    return "client";
  if (strategy == "longest_chain")
    return client_turn > server_turn ? "client" : "server";
  if (strategy == "three_way_merge")
    return "merged";
  if (strategy == "manual")
    return "manual";
  return {};
}

bool is_conflict_manual(const json& reply) {
  auto* error = member(reply, "error");
  return error != nullptr &&
         string_member(*error, "code") == std::string{"conflict_manual"};
}

core::result<conflict_outcome, std::string>
read_conflict_outcome(const json& reply, const branch_sync& sync) {
  conflict_outcome out;
  const json* report = nullptr;
  const json* head = nullptr;
  const json* accepted = nullptr;
  if (auto* error = member(reply, "error")) {
    if (!is_conflict_manual(reply))
      return "answered " + describe_error(reply) + ", expected a conflict";
    auto* details = member(*error, "details");
    report = details != nullptr ? member(*details, "conflict") : nullptr;
    head = details != nullptr ? member(*details, "head") : nullptr;
    out.manual = true;
  } else {
    auto status = string_member(reply, "status");
    if (status != "resolved")
      return "answered status " + status.value_or("(none)") +
             ", expected resolved or 409 conflict_manual";
    report = member(reply, "conflict");
    head = member(reply, "head");
    accepted = member(reply, "accepted");
  }
  if (report == nullptr || !report->is_object())
    return std::string{"conflict reply without a conflict report"};
  if (head == nullptr)
    return std::string{"conflict reply without head"};
  auto parsed = read_head(*head);
  if (!parsed)
    return "conflict reply: " + parsed.error();
  out.head = std::move(*parsed);
  std::string chosen;
  if (auto ok = check_report(*report, sync, out.manual, chosen); !ok)
    return ok.error();
  auto winner = winner_of(out.head, sync, chosen);
  if (!winner)
    return "conflict head " + head_text(out.head) +
           " is neither the server's head " + head_text(sync.server_head) +
           ", the branch's " + head_text(sync.branch_head) +
           ", nor a merged turn on the server's head";
  out.winner = *winner;
  // A merge that changes nothing of the server's state adds no turn.
  bool agrees = *winner == conflict_winner::server
                  ? chosen == "server" || chosen == "merged"
                  : chosen == to_string(*winner);
  if (!agrees)
    return "conflict report chose the " + chosen +
           " branch, but the head is the " + to_string(*winner) + "'s";
  if (out.manual) {
    if (chosen != "server")
      return "409 conflict_manual chose the " + chosen + " branch";
    return out;
  }
  auto want = expected_choice(sync.strategy, sync.server_head.turn_id,
                              sync.branch_head.turn_id);
  if (want == "manual")
    return std::string{"resolved a conflict the sync up left to manual"};
  if (chosen != want)
    return "strategy " + sync.strategy + " chooses the " + std::string{want} +
           " branch here, the conflict report chose " + chosen;
  if (accepted == nullptr)
    return std::string{"resolved reply without an accepted array"};
  if (auto ok = check_accepted(*accepted, sync, out); !ok)
    return ok.error();
  out.accepted_turns = static_cast<std::int64_t>(accepted->size());
  return out;
}

core::result<merged_state, std::string>
read_merged_turn(const json& body, const core::chain_head& from,
                 const json& from_state, const core::chain_head& merged) {
  auto name = "merged turn " + std::to_string(merged.turn_id);
  auto* head = member(body, "head");
  if (head == nullptr)
    return "sync down of the " + name + " without head";
  auto server_head = read_head(*head);
  if (!server_head)
    return "sync down of the " + name + ": " + server_head.error();
  if (*server_head != merged)
    return "sync down of the " + name + " says the head is " +
           head_text(*server_head) + ", the conflict reply said " +
           head_text(merged);
  // The turn itself, or a snapshot at it.
  const json* turn = member(body, "snapshot");
  if (turn == nullptr || turn->is_null()) {
    auto* turns = member(body, "turns");
    if (turns == nullptr || !turns->is_array() || turns->size() != 1)
      return "sync down of the " + name + " does not bring one turn";
    turn = &turns->front();
  }
  auto turn_id = integer_member(*turn, "turn_id");
  auto state_hash = string_member(*turn, "state_hash");
  if (turn_id != merged.turn_id || !state_hash ||
      string_member(*turn, "chain_hash") != merged.chain_hash)
    return "sync down of the " + name +
           " brings another turn, or one without state_hash";
  merged_state out;
  if (auto* state = member(*turn, "state")) {
    out.state = *state;
  } else if (auto* patch = member(*turn, "patch");
             patch != nullptr && patch->is_array()) {
    auto patched = core::apply_patch(from_state, *patch);
    if (!patched)
      return "patch of the " + name +
             " does not apply to the server's head: " + patched.error().message;
    out.state = std::move(*patched);
  } else {
    return "the " + name + " has neither a patch array nor a state";
  }
  if (hash_of(out.state) != *state_hash)
    return "state of the " + name + " does not hash to its state_hash";
  if (core::chain_next(from.chain_hash, merged.turn_id, *state_hash) !=
      merged.chain_hash)
    return "the " + name + " does not chain from the server's head " +
           head_text(from);
  out.state_hash = std::move(*state_hash);
  return out;
}

} // namespace awf::load
