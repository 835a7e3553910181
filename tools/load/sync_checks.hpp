// Checks of every server reply a device receives, against what the client
// itself sent and computed: registration and save replies, sync-up results,
// and sync-down bodies (REST replies, WebSocket `sync_down` and `turns`).
// Pure functions; each failure is one sentence for the error report.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "core/result.hpp"
#include "tools/load/chain_tracker.hpp"
#include "tools/load/check_result.hpp"
#include "tools/load/save_timeline.hpp"

namespace awf::load {

/// Reads a `{"turn_id", "chain_hash"}` head.
core::result<core::chain_head, std::string>
read_head(const nlohmann::json& value);

/// "code: message" of a contract error body `{"error": {...}}` or an error
/// frame; a short dump of anything else.
std::string describe_error(const nlohmann::json& body);

/// What device registration answers: 201 {"device_id", "sync_token", ...}.
struct device_grant {
  std::string device_id;
  std::string sync_token;
};

core::result<device_grant, std::string>
read_device_grant(const nlohmann::json& body);

/// What createOrAttachSave answers, checked to be `session_id`'s save.
struct attached_save {
  std::string save_id;
  core::chain_head head;
};

core::result<attached_save, std::string>
read_attached_save(const nlohmann::json& body, std::string_view session_id);

/// Checks a sync-up response for turns base+1..expected sent on top of
/// `base`: status "fast_forward", the head equal to the client-side chain
/// `expected`, every turn accepted, no conflict.
check_result check_sync_up_result(const nlohmann::json& body,
                                  const core::chain_head& base,
                                  const core::chain_head& expected);

/// Looks up what the client sent for a turn (null: never sent).
using sent_turn_lookup = std::function<const planned_turn*(std::int64_t)>;

/// The turns a sync-down body added to a tracker.
struct applied_turns {
  std::vector<std::int64_t> turn_ids; ///< New turns, in order.
  bool more = false;                  ///< The server has more to send.
};

/// Applies a sync-down body (or a `turns` push) to `tracker`: an optional
/// snapshot (its state must hash to its state_hash, and its turn must be
/// one the client sent, with the same chain hash), then each turn, which
/// must continue the tracker's chain, carry the state hash the client sent
/// for it and the chain hash the client recomputes, and hold a `patch` or
/// a `state` (a state is always hashed and compared). Turns the tracker
/// already knows must match what was sent and are skipped. The `head` must
/// equal the tracker's new head (or be ahead of it when `more`).
/// With `replica` (the state at the tracker's head), every patch is applied
/// to it and the result hashed too. On failure the tracker and replica are
/// left part way: the caller stops using them.
core::result<applied_turns, std::string>
apply_sync_down(const nlohmann::json& body, chain_tracker& tracker,
                const sent_turn_lookup& sent, nlohmann::json* replica);

} // namespace awf::load
