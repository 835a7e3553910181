#include "persistence/turn_writer.hpp"

#include "core/uuid.hpp"
#include "persistence/detail/audit_writes.hpp"
#include "persistence/detail/blob_writes.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/turn_rows.hpp"

namespace awf::persistence {

namespace {

/// Checks the shape of an entry before anything is written: turns present
/// and consecutive from the expected head.
storage_status check_entry(const turn_commit& c) {
  if (c.turns.empty())
    return storage_error{storage_errc::failure,
                         "no turns to commit for save " + c.save_id};
  for (std::size_t i = 0; i < c.turns.size(); ++i) {
    auto want = c.expected_head.turn_id + 1 + static_cast<std::int64_t>(i);
    if (c.turns[i].turn_id != want)
      return storage_error{storage_errc::failure,
                           "turn " + std::to_string(c.turns[i].turn_id) +
                             " of save " + c.save_id + " should be turn " +
                             std::to_string(want)};
  }
  return std::monostate{};
}

} // namespace

/// The write path's statements, prepared once per connection and bound to
/// the fields below (SOCI binds by reference): preparing SQL for every turn
/// would cost more than executing it.
struct turn_writer::statements {
  // Bound values.
  std::string now, save_id, chain_hash, expected_chain, snapshot_hash;
  long long turn_id = 0, expected_turn = 0, has_snapshot = 0;

  soci::statement update_head;
  detail::blob_writes blobs;
  detail::turn_row_writes turn_rows;
  detail::audit_writes audits;

  explicit statements(database& db)
    : update_head(detail::session_of(db)), blobs(db),
      turn_rows(db, detail::save_turn_table, blobs), audits(db) {
    auto& s = detail::session_of(db);
    update_head =
      (s.prepare << "UPDATE awf_saves SET turn_id = :t, "
                    "latest_chain_hash = :c, base_snapshot_hash = "
                    "CASE WHEN :snap = 1 THEN :bh ELSE "
                    "base_snapshot_hash END, updated_at = :now "
                    "WHERE save_id = :id AND turn_id = :et "
                    "AND latest_chain_hash = :ec",
       soci::use(turn_id), soci::use(chain_hash), soci::use(has_snapshot),
       soci::use(snapshot_hash), soci::use(now), soci::use(save_id),
       soci::use(expected_turn), soci::use(expected_chain));
  }

  // Returns false when the head moved (nothing written for this entry).
  // `c` has passed check_entry.
  bool apply(database& db, const turn_commit& c, detail::key_use_counts& uses) {
    if (!core::is_uuid(c.save_id))
      return false;
    const auto& last = c.turns.back();
    save_id = c.save_id;
    turn_id = last.turn_id;
    chain_hash = last.chain_hash;
    expected_turn = c.expected_head.turn_id;
    expected_chain = c.expected_head.chain_hash;
    has_snapshot = 0;
    snapshot_hash.clear();
    for (const auto& t : c.turns)
      if (t.kind == core::turn_kind::snapshot) {
        has_snapshot = 1;
        snapshot_hash = t.blob.hash;
      }
    now = detail::now_text(db);
    update_head.execute(true);
    if (update_head.get_affected_rows() != 1)
      return false;
    for (const auto& t : c.turns)
      turn_rows.insert(c.save_id, c.save_id, t, uses,
                       &t == &c.turns.back() ? c.sync_turns : 0);
    for (const auto& entry : c.audits)
      audits.insert(entry);
    return true;
  }
};

turn_writer::turn_writer(database& db) : db_(db) {}

turn_writer::~turn_writer() = default;

storage_status
turn_writer::commit_together(const std::vector<turn_commit>& batch,
                             const std::vector<audit_entry>& audits,
                             std::vector<storage_status>& outcomes) {
  auto status = detail::guarded("commit turns", [&]() -> storage_status {
    if (!statements_)
      statements_ = std::make_unique<statements>(db_);
    soci::transaction tx(detail::session_of(db_));
    detail::key_use_counts key_use;
    std::vector<storage_status> results;
    results.reserve(batch.size());
    for (const auto& c : batch) {
      if (auto shape = check_entry(c); !shape)
        results.push_back(std::move(shape));
      else if (statements_->apply(db_, c, key_use))
        results.emplace_back(std::monostate{});
      else
        results.emplace_back(
          storage_error{storage_errc::head_moved,
                        "save " + c.save_id + " is no longer at turn " +
                          std::to_string(c.expected_head.turn_id)});
    }
    statements_->blobs.count_key_use(key_use);
    for (const auto& entry : audits)
      statements_->audits.insert(entry);
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
turn_writer::commit(const std::vector<turn_commit>& batch,
                    const std::vector<audit_entry>& audits) {
  std::vector<storage_status> outcomes;
  auto status = commit_together(batch, audits, outcomes);
  if (status)
    return outcomes;
  if (batch.size() == 1 && audits.empty())
    return {status};
  outcomes.clear();
  for (const auto& c : batch) {
    std::vector<storage_status> single;
    auto alone = commit_together({c}, {}, single);
    outcomes.push_back(alone ? single.front() : alone);
  }
  std::vector<storage_status> none;
  if (!audits.empty() && !commit_together({}, audits, none) &&
      audits.size() > 1)
    for (const auto& entry : audits)
      (void)commit_together({}, {entry}, none);
  return outcomes;
}

} // namespace awf::persistence
