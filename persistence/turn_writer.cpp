#include "persistence/turn_writer.hpp"

#include <map>

#include "core/key_ring.hpp"
#include "core/uuid.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence {

/// The write path's statements, prepared once per connection and bound to
/// the fields below (SOCI binds by reference): preparing SQL for every turn
/// would cost more than executing it.
struct turn_writer::statements {
  // Bound values.
  std::string now, save_id, chain_hash, expected_chain, blob_hash, blob_type,
    blob_bytes, codec, key_id, state_hash, kind;
  long long turn_id = 0, expected_turn = 0, from_turn = 0, base_turn = 0,
            state_bytes = 0, plain_size = 0, stored_size = 0, is_snapshot = 0,
            key_count = 0;

  soci::statement update_head;
  soci::statement insert_blob;
  soci::statement insert_ref;
  soci::statement insert_turn;
  soci::statement add_key_use;

  explicit statements(database& db)
    : update_head(detail::session_of(db)), insert_blob(detail::session_of(db)),
      insert_ref(detail::session_of(db)), insert_turn(detail::session_of(db)),
      add_key_use(detail::session_of(db)) {
    auto& s = detail::session_of(db);
    update_head =
      (s.prepare << "UPDATE awf_saves SET turn_id = :t, "
                    "latest_chain_hash = :c, base_snapshot_hash = "
                    "CASE WHEN :snap = 1 THEN :bh ELSE "
                    "base_snapshot_hash END, updated_at = :now "
                    "WHERE save_id = :id AND turn_id = :et "
                    "AND latest_chain_hash = :ec",
       soci::use(turn_id), soci::use(chain_hash), soci::use(is_snapshot),
       soci::use(blob_hash), soci::use(now), soci::use(save_id),
       soci::use(expected_turn), soci::use(expected_chain));
    insert_blob = (s.prepare << "INSERT INTO awf_save_blobs (blob_hash, "
                                "blob_type, bytes, size, enc, codec, key_id, "
                                "stored_size) VALUES (:h, :t, " +
                                  detail::bytes_in(db, ":b") +
                                  ", :s, 'aesgcm', :c, :k, :ss) ON CONFLICT "
                                  "(blob_hash) DO NOTHING",
                   soci::use(blob_hash), soci::use(blob_type),
                   soci::use(blob_bytes), soci::use(plain_size),
                   soci::use(codec), soci::use(key_id), soci::use(stored_size));
    insert_ref = (s.prepare << "INSERT INTO awf_blob_refs (save_id, "
                               "blob_hash) VALUES (:s, :h) ON CONFLICT "
                               "(save_id, blob_hash) DO NOTHING",
                  soci::use(save_id), soci::use(blob_hash));
    insert_turn =
      (s.prepare << "INSERT INTO awf_save_diffs (save_id, "
                    "from_turn, to_turn, diff_hash, chain_hash, "
                    "state_hash, kind, base_turn, state_bytes) "
                    "VALUES (:s, :f, :t, :d, :c, :h, :k, :b, :sb)",
       soci::use(save_id), soci::use(from_turn), soci::use(turn_id),
       soci::use(blob_hash), soci::use(chain_hash), soci::use(state_hash),
       soci::use(kind), soci::use(base_turn), soci::use(state_bytes));
    add_key_use = (s.prepare << "INSERT INTO awf_key_usage (key_id, "
                                "encryptions) VALUES (:k, :n) ON CONFLICT "
                                "(key_id) DO UPDATE SET encryptions = "
                                "awf_key_usage.encryptions + "
                                "excluded.encryptions",
                   soci::use(key_id), soci::use(key_count));
  }

  // Returns false when the head moved (nothing written for this entry).
  bool apply(database& db, const turn_commit& c) {
    if (!core::is_uuid(c.save_id))
      return false;
    const auto& t = c.turn;
    save_id = c.save_id;
    turn_id = t.turn_id;
    chain_hash = t.chain_hash;
    expected_turn = c.expected_head.turn_id;
    expected_chain = c.expected_head.chain_hash;
    is_snapshot = t.kind == core::turn_kind::snapshot ? 1 : 0;
    blob_hash = t.blob.hash;
    now = detail::now_text(db);
    update_head.execute(true);
    if (update_head.get_affected_rows() != 1)
      return false;
    blob_type = t.blob.type;
    blob_bytes = detail::bytes_to_parameter(db, t.blob.bytes);
    plain_size = static_cast<long long>(t.blob.plain_size);
    stored_size = static_cast<long long>(t.blob.bytes.size());
    codec = t.blob.codec;
    key_id = core::key_ring::envelope_key_id(t.blob.bytes);
    insert_blob.execute(true);
    insert_ref.execute(true);
    from_turn = t.turn_id - 1;
    state_hash = t.state_hash;
    kind = core::to_string(t.kind);
    base_turn = t.base_turn;
    state_bytes = static_cast<long long>(t.state_bytes);
    insert_turn.execute(true);
    return true;
  }

  void count_key_use(const std::map<std::string, long long>& uses) {
    for (const auto& [id, count] : uses) {
      key_id = id;
      key_count = count;
      add_key_use.execute(true);
    }
  }
};

turn_writer::turn_writer(database& db) : db_(db) {}

turn_writer::~turn_writer() = default;

storage_status
turn_writer::commit_together(const std::vector<turn_commit>& batch,
                             std::vector<storage_status>& outcomes) {
  auto status = detail::guarded("commit turns", [&]() -> storage_status {
    if (!statements_)
      statements_ = std::make_unique<statements>(db_);
    soci::transaction tx(detail::session_of(db_));
    std::map<std::string, long long> key_use;
    std::vector<storage_status> results;
    results.reserve(batch.size());
    for (const auto& c : batch) {
      if (statements_->apply(db_, c)) {
        ++key_use[core::key_ring::envelope_key_id(c.turn.blob.bytes)];
        results.emplace_back(std::monostate{});
      } else {
        results.emplace_back(
          storage_error{storage_errc::head_moved,
                        "save " + c.save_id + " is no longer at turn " +
                          std::to_string(c.expected_head.turn_id)});
      }
    }
    statements_->count_key_use(key_use);
    tx.commit();
    outcomes = std::move(results);
    return std::monostate{};
  });
  // A failed statement may leave its prepared form unusable: prepare afresh.
  if (!status)
    statements_.reset();
  return status;
}

std::vector<storage_status>
turn_writer::commit(const std::vector<turn_commit>& batch) {
  std::vector<storage_status> outcomes;
  auto status = commit_together(batch, outcomes);
  if (status)
    return outcomes;
  if (batch.size() == 1)
    return {status};
  outcomes.clear();
  for (const auto& c : batch) {
    std::vector<storage_status> single;
    auto alone = commit_together({c}, single);
    outcomes.push_back(alone ? single.front() : alone);
  }
  return outcomes;
}

} // namespace awf::persistence
