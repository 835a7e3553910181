// The values that travel between the save engine's actors, with the
// `inspect` overloads CAF needs to carry them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/meta/type_name.hpp>
#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "core/turn_codec.hpp"
#include "persistence/save_store.hpp"
#include "persistence/turn_writer.hpp"

namespace awf::actors {

/// persistTurn: store `state` as turn `turn_id` of `save_id`.
struct persist_request {
  std::string save_id;
  std::int64_t turn_id = 0;
  nlohmann::json state; ///< already parsed under I-JSON rules
};

/// The answer to a persisted (or already stored, identical) turn.
struct persist_ack {
  std::string save_id;
  core::chain_head head;
  std::string state_hash;
  bool already_stored = false; ///< an idempotent replay: nothing changed
  std::string kind;            ///< how the turn was stored
  std::uint64_t stored_bytes = 0;
};

/// createOrAttachSave's answer.
struct attach_reply {
  persistence::save_record save;
  bool created = false;
};

/// What a save actor loads when it becomes active.
struct open_reply {
  persistence::save_record save;
  std::int64_t base_turn = 0;
  std::string head_canonical; ///< empty at turn 0
};

/// One rebuilt turn. At turn 0, `canonical` and `state_hash` are empty.
struct materialized_turn {
  std::string save_id;
  std::int64_t turn_id = 0;
  std::string canonical;
  std::string state_hash;
  std::string chain_hash;
};

/// The outcome of verify.
struct verify_report {
  std::string save_id;
  bool ok = true;
  std::int64_t checked_turns = 0;
  core::chain_head head;
  std::int64_t first_bad_turn = 0; ///< 0: none
  std::vector<std::string> errors;
};

/// Occupancy of the save registry.
struct registry_stats {
  std::uint64_t resident = 0;    ///< save actors in memory
  std::uint64_t passivating = 0; ///< save actors finishing before leaving
  std::uint64_t spawned = 0;     ///< since start
  std::uint64_t passivated = 0;  ///< since start
};

/// The outcome of one verification sweep.
struct sweep_report {
  std::uint64_t sampled = 0;
  std::uint64_t verified_ok = 0;
  std::vector<std::string> failed_save_ids;
  std::uint64_t errors = 0; ///< saves that could not be checked at all
};

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, sweep_report& x) {
  return f(caf::meta::type_name("sweep_report"), x.sampled, x.verified_ok,
           x.failed_save_ids, x.errors);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, persist_ack& x) {
  return f(caf::meta::type_name("persist_ack"), x.save_id, x.head, x.state_hash,
           x.already_stored, x.kind, x.stored_bytes);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, attach_reply& x) {
  return f(caf::meta::type_name("attach_reply"), x.save, x.created);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, open_reply& x) {
  return f(caf::meta::type_name("open_reply"), x.save, x.base_turn,
           x.head_canonical);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, materialized_turn& x) {
  return f(caf::meta::type_name("materialized_turn"), x.save_id, x.turn_id,
           x.canonical, x.state_hash, x.chain_hash);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, verify_report& x) {
  return f(caf::meta::type_name("verify_report"), x.save_id, x.ok,
           x.checked_turns, x.head, x.first_bad_turn, x.errors);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, registry_stats& x) {
  return f(caf::meta::type_name("registry_stats"), x.resident, x.passivating,
           x.spawned, x.passivated);
}

} // namespace awf::actors

namespace awf::core {

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, chain_head& x) {
  return f(caf::meta::type_name("chain_head"), x.turn_id, x.chain_hash);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_blob& x) {
  return f(caf::meta::type_name("stored_blob"), x.hash, x.type, x.codec,
           x.bytes, x.plain_size, x.content_addressed);
}

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, stored_turn& x) {
  return f(caf::meta::type_name("stored_turn"), x.turn_id, x.kind, x.base_turn,
           x.state_hash, x.chain_hash, x.state_bytes, x.blob, x.device_id);
}

} // namespace awf::core

namespace awf::persistence {

template<class Inspector>
typename Inspector::result_type inspect(Inspector& f, save_record& x) {
  return f(caf::meta::type_name("save_record"), x.save_id, x.session_id,
           x.user_id_hash, x.version, x.head, x.integrity_ok, x.created_at_ms,
           x.updated_at_ms);
}

} // namespace awf::persistence

// A parsed state travels between local actors only; it is never serialized.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::persist_request)
// Turns and their audit records go from a save actor to its writer only.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::persistence::turn_commit)
