// Private to the save actor's files: its state and the handlers that live
// in files of their own (sync up and sync down).
#pragma once

#include <optional>
#include <string>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/save_actor.hpp"
#include "actors/save_errc.hpp"

namespace awf::actors {

struct save_state {
  engine_context_ptr ctx;
  storage_actor writer;
  storage_actor reader;
  std::string save_id;
  persistence::save_record info;
  std::optional<core::state_image> head_state; ///< empty at turn 0
  std::string head_state_hash;
  std::int64_t base_turn = 0;
  caf::error load_error;

  static inline const char* name = "save_actor";

  /// Answers not_found for anyone but the owner (any_owner: no check).
  caf::error check_owner(const std::string& owner) const {
    if (!owner.empty() && owner != info.user_id_hash)
      return make_save_error(save_errc::not_found, "no such save");
    return {};
  }
};

using save_pointer = save_actor::stateful_pointer<save_state>;

/// Sync up (save_sync_up.cpp).
caf::result<sync_up_reply> sync_up(save_pointer self, sync_up_request& req);

/// Sync down (save_sync_down.cpp).
caf::result<sync_down_reply> sync_down(save_pointer self,
                                       sync_down_request& req);

/// Commits `turns` (consecutive after the head) and, once durable, adopts
/// `new_state` as the head; calls `done` with the new head or the error.
void commit_turns(save_pointer self, std::vector<core::stored_turn> turns,
                  core::state_image new_state, std::string new_state_hash,
                  std::function<void(caf::expected<core::chain_head>)> done);

} // namespace awf::actors
