// The audit records of a sync up that the engine writes itself: the
// outcome of a sync up that appended no turns of its own to the head
// (a fast forward's record lives in its last turn row, see
// persistence/detail/sync_records.hpp), and the conflict it settled.
#pragma once

#include <string>

#include "actors/sync_messages.hpp"
#include "persistence/audit_log.hpp"

namespace awf::actors {

/// Who made a sync up.
struct sync_caller {
  std::string user_id_hash;
  std::string device_id; ///< empty for a user token
};

/// The "sync_up" record of a sync up that ended with `status`, accepted
/// `accepted_turns` turns and left the head at `head_turn`.
persistence::audit_entry sync_up_audit(const std::string& save_id,
                                       const sync_caller& who,
                                       sync_up_status status,
                                       std::size_t accepted_turns,
                                       std::int64_t head_turn);

/// The "sync_conflict" record of `report`.
persistence::audit_entry conflict_audit(const sync_caller& who,
                                        const core::conflict_report& report);

} // namespace awf::actors
