// Private to persistence/: how a conflict report is written (the branch
// writer stores it in the transaction that settles the conflict).
#pragma once

#include "persistence/conflict_store.hpp"
#include "persistence/detail/session.hpp"

namespace awf::persistence::detail {

/// Checks a conflict row before anything is written: UUID ids (a junk save
/// id is not_found), a known chosen branch, a non-negative path count, and
/// a JSON object as report (JSONB would refuse anything else, SQLite not).
storage_status check_conflict(const conflict_record& conflict);

/// Stores `conflict` (created now; empty archive and device ids as NULL).
/// `conflict` has passed check_conflict. Throws on database errors:
/// callers run inside a transaction under `guarded`.
void insert_conflict(database& db, const conflict_record& conflict);

} // namespace awf::persistence::detail
