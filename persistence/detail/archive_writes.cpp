#include "persistence/detail/archive_writes.hpp"

#include <nlohmann/json.hpp>

#include "core/uuid.hpp"

namespace awf::persistence::detail {

storage_status check_archive(const archive_record& archive,
                             const std::vector<core::stored_turn>& turns) {
  if (!core::is_uuid(archive.save_id))
    return storage_error{storage_errc::not_found, "no such save"};
  if (!core::is_uuid(archive.archive_id))
    return invalid("archive id '" + archive.archive_id + "' is not a UUID");
  if (!archive.meta_json.empty()) {
    auto meta = nlohmann::json::parse(archive.meta_json, nullptr, false);
    if (meta.is_discarded() || !meta.is_object())
      return invalid("archive meta is not a JSON object");
  }
  if (!turns.empty() && turns.front().kind != core::turn_kind::snapshot)
    return invalid("an archive must start with a snapshot");
  for (std::size_t i = 0; i < turns.size(); ++i) {
    const auto& t = turns[i];
    auto want = archive.fork_turn + 1 + static_cast<std::int64_t>(i);
    if (t.turn_id != want)
      return invalid("archived turn " + std::to_string(t.turn_id) +
                     " should be turn " + std::to_string(want));
    if (t.base_turn <= archive.fork_turn || t.base_turn > t.turn_id)
      return invalid("archived turn " + std::to_string(t.turn_id) +
                     " rebuilds from turn " + std::to_string(t.base_turn) +
                     ", outside the archive");
  }
  return std::monostate{};
}

archive_writes::archive_writes(database& db, blob_writes& blobs)
  : db_(db), turns_(db, archive_turn_table, blobs) {}

void archive_writes::insert(const archive_record& archive,
                            const std::vector<core::stored_turn>& turns,
                            key_use_counts& uses) {
  auto& s = session_of(db_);
  auto now = now_text(db_);
  std::string meta = archive.meta_json.empty() ? "{}" : archive.meta_json;
  std::string meta_param = is_postgresql(db_) ? "CAST(:m AS JSONB)" : ":m";
  long long fork = archive.fork_turn;
  long long count = static_cast<long long>(turns.size());
  s << "INSERT INTO awf_save_archives (archive_id, save_id, reason, meta, "
       "fork_turn, turn_count, created_at) VALUES (:a, :s, :r, " +
         meta_param + ", :f, :n, :ca)",
    soci::use(archive.archive_id), soci::use(archive.save_id),
    soci::use(archive.reason), soci::use(meta), soci::use(fork),
    soci::use(count), soci::use(now);
  for (const auto& t : turns)
    turns_.insert(archive.archive_id, archive.save_id, t, uses);
}

} // namespace awf::persistence::detail
