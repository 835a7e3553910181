// SQL that creates saves and reads them, their turns and their blobs.
// Appending turns is turn_writer's job.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/chain.hpp"
#include "core/turn_codec.hpp"
#include "persistence/database.hpp"

namespace awf::persistence {

/// One row of awf_saves.
struct save_record {
  std::string save_id;
  std::string session_id;
  std::string user_id_hash;
  std::string version;
  core::chain_head head;
  bool integrity_ok = true;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

/// The outcome of create_or_attach.
struct attach_result {
  save_record save;
  bool created = false;
};

class save_store {
public:
  explicit save_store(database& db) : db_(db) {}

  /// Returns the user's save for `session_id`, creating it (head turn 0,
  /// chain(0)) if there is none. Safe against concurrent callers.
  stored<attach_result> create_or_attach(const std::string& user_id_hash,
                                         const std::string& session_id,
                                         const std::string& version);

  /// Returns one save, or not_found.
  stored<save_record> find_save(const std::string& save_id);

  /// Returns a user's saves, most recently updated first.
  stored<std::vector<save_record>> list_saves(const std::string& user_id_hash);

  /// Returns turns `from`..`to` (inclusive) in order, with their blobs when
  /// `with_blobs` (otherwise only ids, hashes and kinds).
  stored<std::vector<core::stored_turn>> load_turns(const std::string& save_id,
                                                    std::int64_t from,
                                                    std::int64_t to,
                                                    bool with_blobs);

  /// Returns the snapshot turn that `turn_id` rebuilds from.
  stored<std::int64_t> base_turn_of(const std::string& save_id,
                                    std::int64_t turn_id);

  /// Returns about `percent` % of all save ids, chosen at random.
  stored<std::vector<std::string>> sample_save_ids(double percent,
                                                   std::size_t limit);

  /// Records the outcome of a verification.
  storage_status set_integrity(const std::string& save_id, bool ok);

  /// Nonces spent so far per key id, at least (the nonce budget survives
  /// restarts): the larger of the stored blobs' encryptions and the nonces
  /// reserved (see nonce_reservations).
  stored<std::map<std::string, std::uint64_t>> key_usage();

private:
  database& db_;
};

} // namespace awf::persistence
