#include "tools/load/sync_checks.hpp"

#include "core/json_patch.hpp"
#include "tools/load/reply_fields.hpp"

namespace awf::load {

namespace {

using json = nlohmann::json;

check_result apply_snapshot(const json& snapshot, chain_tracker& tracker,
                            const sent_turn_lookup& sent, json* replica) {
  auto turn_id = integer_member(snapshot, "turn_id");
  auto chain = string_member(snapshot, "chain_hash");
  if (!turn_id || !chain)
    return std::string{"snapshot without turn_id or chain_hash"};
  auto* planned = sent(*turn_id);
  if (planned == nullptr)
    return "snapshot at turn " + std::to_string(*turn_id) +
           ", which the client never sent";
  if (*chain != planned->chain_hash)
    return "snapshot chain_hash of turn " + std::to_string(*turn_id) +
           " differs from the client's chain";
  auto* state = member(snapshot, "state");
  if (*turn_id > 0) {
    auto hash = string_member(snapshot, "state_hash");
    if (state == nullptr || !hash)
      return std::string{"snapshot without state or state_hash"};
    if (*hash != planned->state_hash || hash_of(*state) != *hash)
      return "snapshot state of turn " + std::to_string(*turn_id) +
             " does not hash to the state the client sent";
  }
  tracker.reset({*turn_id, *chain});
  if (replica != nullptr)
    *replica = state != nullptr ? *state : json{};
  return passed();
}

check_result apply_turn(const json& turn, chain_tracker& tracker,
                        const sent_turn_lookup& sent, json* replica,
                        applied_turns& applied) {
  auto turn_id = integer_member(turn, "turn_id");
  auto hash = string_member(turn, "state_hash");
  auto chain = string_member(turn, "chain_hash");
  if (!turn_id || !hash || !chain)
    return std::string{"a turn without turn_id, state_hash or chain_hash"};
  auto name = "turn " + std::to_string(*turn_id);
  auto* planned = sent(*turn_id);
  if (*turn_id <= tracker.head().turn_id) {
    // A repeat of a known turn: harmless if it is the same turn.
    if (planned != nullptr && planned->chain_hash != *chain)
      return name + " repeats a known turn with another chain_hash";
    return passed();
  }
  if (planned == nullptr)
    return name + " was never sent by a device of this save";
  if (*hash != planned->state_hash)
    return "state_hash of " + name + " differs from the one sent";
  if (auto ok = tracker.append(*turn_id, *hash, *chain); !ok)
    return ok.error();
  if (tracker.head().chain_hash != planned->chain_hash)
    return "chain of " + name + " left the chain the devices built";
  auto* state = member(turn, "state");
  auto* patch = member(turn, "patch");
  if (state != nullptr) {
    if (hash_of(*state) != *hash)
      return "state of " + name + " does not hash to its state_hash";
    if (replica != nullptr)
      *replica = *state;
  } else if (patch != nullptr && patch->is_array()) {
    if (replica != nullptr) {
      // In place: on failure the caller drops the replica anyway.
      auto patched = core::apply_patch_in_place(*replica, *patch);
      if (!patched)
        return "patch of " + name +
               " does not apply: " + patched.error().message;
      if (hash_of(*replica) != *hash)
        return "patch of " + name + " does not give its state_hash";
    }
  } else {
    return name + " has neither a patch array nor a state";
  }
  applied.turn_ids.push_back(*turn_id);
  return passed();
}

} // namespace

core::result<core::chain_head, std::string> read_head(const json& value) {
  auto turn_id = integer_member(value, "turn_id");
  auto chain = string_member(value, "chain_hash");
  if (!turn_id || !chain)
    return std::string{"head without turn_id or chain_hash"};
  return core::chain_head{*turn_id, *chain};
}

std::string describe_error(const json& body) {
  auto* error = member(body, "error");
  if (error != nullptr) {
    auto code = string_member(*error, "code");
    auto message = string_member(*error, "message");
    if (code)
      return *code + (message ? ": " + *message : std::string{});
  }
  auto text = body.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 200)
    text = text.substr(0, 200) + "...";
  return text;
}

core::result<device_grant, std::string> read_device_grant(const json& body) {
  auto device_id = string_member(body, "device_id");
  auto token = string_member(body, "sync_token");
  if (!device_id || device_id->empty() || !token || token->empty())
    return std::string{"device registration reply without device_id or "
                       "sync_token"};
  return device_grant{*device_id, *token};
}

core::result<attached_save, std::string>
read_attached_save(const json& body, std::string_view session_id) {
  auto save_id = string_member(body, "save_id");
  auto session = string_member(body, "session_id");
  auto* head = member(body, "head");
  if (!save_id || save_id->empty() || head == nullptr)
    return std::string{"save reply without save_id or head"};
  if (session && *session != session_id)
    return "save reply for session " + *session + ", asked for " +
           std::string{session_id};
  auto parsed = read_head(*head);
  if (!parsed)
    return "save reply: " + parsed.error();
  return attached_save{*save_id, std::move(*parsed)};
}

check_result check_sync_up_result(const json& body,
                                  const core::chain_head& base,
                                  const core::chain_head& expected) {
  auto status = string_member(body, "status");
  if (!status)
    return std::string{"sync up reply without status"};
  if (*status != "fast_forward")
    return "sync up answered status " + *status + ", expected fast_forward";
  auto* head = member(body, "head");
  if (head == nullptr)
    return std::string{"sync up reply without head"};
  auto server_head = read_head(*head);
  if (!server_head)
    return "sync up reply: " + server_head.error();
  if (*server_head != expected)
    return "sync up head " + head_text(*server_head) +
           " differs from the client-side chain " + head_text(expected);
  auto* accepted = member(body, "accepted");
  if (accepted == nullptr || !accepted->is_array())
    return std::string{"sync up reply without an accepted array"};
  auto want = expected.turn_id - base.turn_id;
  bool all = static_cast<std::int64_t>(accepted->size()) == want;
  for (std::size_t i = 0; all && i < accepted->size(); ++i)
    all = as_integer((*accepted)[i]) ==
          base.turn_id + 1 + static_cast<std::int64_t>(i);
  if (!all)
    return "sync up accepted " + accepted->dump() + ", expected turns " +
           std::to_string(base.turn_id + 1) + ".." +
           std::to_string(expected.turn_id);
  auto* conflict = member(body, "conflict");
  if (conflict != nullptr && !conflict->is_null())
    return std::string{"sync up reported a conflict on a fast-forward"};
  return passed();
}

core::result<applied_turns, std::string>
apply_sync_down(const json& body, chain_tracker& tracker,
                const sent_turn_lookup& sent, json* replica) {
  applied_turns applied;
  if (auto* more = member(body, "more"); more != nullptr && more->is_boolean())
    applied.more = more->get<bool>();
  if (auto* snapshot = member(body, "snapshot");
      snapshot != nullptr && !snapshot->is_null())
    if (auto ok = apply_snapshot(*snapshot, tracker, sent, replica); !ok)
      return ok.error();
  auto* turns = member(body, "turns");
  if (turns == nullptr || !turns->is_array())
    return std::string{"sync down without a turns array"};
  for (const auto& turn : *turns)
    if (auto ok = apply_turn(turn, tracker, sent, replica, applied); !ok)
      return ok.error();
  auto* head = member(body, "head");
  if (head == nullptr)
    return std::string{"sync down without head"};
  auto server_head = read_head(*head);
  if (!server_head)
    return "sync down: " + server_head.error();
  bool consistent = applied.more
                      ? server_head->turn_id >= tracker.head().turn_id
                      : *server_head == tracker.head();
  if (!consistent)
    return "sync down head " + head_text(*server_head) +
           " differs from the client-side chain " + head_text(tracker.head());
  return applied;
}

} // namespace awf::load
