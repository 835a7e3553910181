// The values of the sync protocol (contract §5) inside the engine: a sync up
// with its parsed turns, a sync down query, and their answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/actor_control_block.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/messages.hpp"
#include "actors/request_scope.hpp"
#include "core/conflict_report.hpp"
#include "core/incoming_turns.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/store_stats.hpp"

namespace awf::actors {

/// A sync up, checked for shape by the edge.
struct sync_up_request {
  std::string save_id;
  std::string user_id_hash; ///< the caller: only the owner's save answers
  std::string device_id;    ///< empty for a user token
  core::chain_head base;
  std::vector<core::incoming_turn> turns; ///< consecutive from base + 1
  std::optional<std::string> if_match;    ///< the head the caller expects
  std::string strategy = "longest_chain";
  bool confirm_regression = false;
  /// Past its deadline the engine stops and stores nothing.
  request_scope scope;
};

/// One turn in wire form: the whole state or a patch against the turn
/// before, as canonical JSON text.
struct sync_turn {
  std::int64_t turn_id = 0;
  bool full_state = false; ///< `body` is the state, else a patch
  std::string body;
  std::string state_hash;
  std::string chain_hash;
};

/// How a sync up ended (contract §5).
enum class sync_up_status : std::uint8_t {
  fast_forward,   ///< the turns extend the head
  up_to_date,     ///< every turn was already on the head chain
  resolved,       ///< a conflict, settled by the request's strategy
  conflict_manual ///< a conflict left for someone to choose (409)
};

/// The wire name of `status`.
constexpr std::string_view to_string(sync_up_status status) noexcept {
  switch (status) {
    case sync_up_status::fast_forward: return "fast_forward";
    case sync_up_status::up_to_date: return "up_to_date";
    case sync_up_status::resolved: return "resolved";
    case sync_up_status::conflict_manual: return "conflict_manual";
  }
  return "unknown";
}

/// The outcome of a sync up. Every outcome is already audited by the
/// engine, with what it stored.
struct sync_up_reply {
  sync_up_status status = sync_up_status::up_to_date;
  core::chain_head base; ///< where `appended` starts
  core::chain_head head;
  std::vector<std::int64_t> accepted;
  std::vector<sync_turn> appended; ///< the new turns, for pushes
  std::optional<core::conflict_report> conflict;
  /// The save actor that answered, when it did: the save's next requests
  /// may go to it directly (save_actor.hpp).
  caf::strong_actor_ptr served_by;
};

/// A sync down query (contract §5).
struct sync_down_request {
  std::string save_id;
  std::string user_id_hash;
  std::int64_t since_turn = 0;
  std::string since_chain;
  std::string if_none_match; ///< empty: none
  std::int64_t page_turns = 100;
  /// A page carries turns while its encoded size stays within this (always
  /// at least one turn, so a client always moves on): the message limit.
  std::uint64_t page_bytes = std::uint64_t{201} << 20;
  std::int64_t max_behind = 1000;
};

struct sync_down_reply {
  std::string save_id;
  core::chain_head head;
  bool not_modified = false;
  bool has_snapshot = false;
  materialized_turn snapshot;
  std::vector<sync_turn> turns;
  bool more = false;
  /// As sync_up_reply::served_by; local only, so not inspected.
  caf::strong_actor_ptr served_by;
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_turn& x) {
  return f(caf::meta::type_name("sync_turn"), x.turn_id, x.full_state, x.body,
           x.state_hash, x.chain_hash);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_down_request& x) {
  return f(caf::meta::type_name("sync_down_request"), x.save_id, x.user_id_hash,
           x.since_turn, x.since_chain, x.if_none_match, x.page_turns,
           x.page_bytes, x.max_behind);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_down_reply& x) {
  return f(caf::meta::type_name("sync_down_reply"), x.save_id, x.head,
           x.not_modified, x.has_snapshot, x.snapshot, x.turns, x.more);
}

} // namespace awf::actors

// Parsed states travel between local actors only; never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::sync_up_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::sync_up_reply)
// Local-only records of the audit trail and the store's totals.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<awf::persistence::audit_entry>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::persistence::audit_filter)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<awf::persistence::audit_record>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::persistence::store_totals)
