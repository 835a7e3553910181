// The device directory: registers devices, issues, rotates and revokes their
// sync tokens, and authenticates a token by its hash. Owns one database
// connection on its own thread and caches recent authentications. The last
// turn each device synced is gathered here and written by the engine's
// storage writer, so those frequent writes never contend with commits.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actors/engine_context.hpp"
#include "actors/seen_board.hpp"
#include "actors/storage_actor.hpp"
#include "actors/type_ids.hpp"
#include "persistence/device_store.hpp"

namespace awf::actors {

using device_directory_actor = caf::typed_actor<
  // register(user_id_hash, device_id or "" for a generated one, label)
  caf::replies_to<register_atom, std::string, std::string,
                  std::string>::with<device_grant>,
  // rotate(current token hash, device_id): a new token, the old one dead.
  caf::replies_to<rotate_atom, std::string, std::string>::with<device_grant>,
  // revoke(device_id, caller user_id_hash, caller is admin)
  caf::replies_to<revoke_atom, std::string, std::string, bool>::with<bool>,
  // authenticate(token hash): unauthorized, token_expired or the device.
  caf::replies_to<authenticate_atom, std::string>::with<device_identity>,
  // One device for an admin, or not_found.
  caf::replies_to<lookup_atom, std::string>::with<persistence::device_record>,
  // Notes are waiting on the seen board (sent when the board was empty):
  // once `seen_flush` has passed, the directory takes them and hands them
  // to the storage writer.
  caf::reacts_to<seen_atom>, caf::reacts_to<tick_atom>>;

struct device_directory_options {
  std::chrono::seconds token_ttl{std::chrono::hours{24 * 90}};
  std::size_t cache_entries = 100000;
  bool detached = true; ///< false only under the deterministic scheduler
  /// How long last-turn-seen notes gather before one write.
  std::chrono::milliseconds seen_flush{1000};
};

/// Spawns the directory on its own database connection; it takes the last
/// turns seen from `seen` and `notes_writer` writes them.
device_directory_actor spawn_device_directory(caf::actor_system& sys,
                                              engine_context_ptr context,
                                              device_directory_options opts,
                                              storage_writer_actor notes_writer,
                                              std::shared_ptr<seen_board> seen);

} // namespace awf::actors
