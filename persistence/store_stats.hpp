// Aggregates over the whole store for save/stats and /metrics.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "persistence/database.hpp"

namespace awf::persistence {

struct store_totals {
  std::int64_t saves = 0;
  std::int64_t turns = 0;
  std::int64_t devices = 0;
  std::int64_t archives = 0;
  std::int64_t blobs = 0;
  std::int64_t blob_refs = 0;
  std::int64_t logical_bytes = 0;     ///< sum of canonical state sizes of turns
  std::int64_t blob_plain_bytes = 0;  ///< sum of snapshot plaintext sizes
  std::int64_t blob_stored_bytes = 0; ///< sum of sealed snapshot sizes
  /// Sealed bytes of every turn: snapshot blobs (each once) and the diffs
  /// in turn rows, head chains and archives.
  std::int64_t stored_bytes = 0;
  std::int64_t integrity_failed_saves = 0;
  std::map<std::string, std::int64_t> turns_by_kind; ///< snapshot, json_patch..
  std::map<std::string, std::int64_t> audit_by_operation;
};

/// Computes the totals, optionally for one user's saves only (empty: all),
/// from one consistent snapshot. For a user: that user's saves, their turns,
/// archives and blob references, the user's devices, the blobs those saves
/// reference (a blob shared with another user counts for both), and the
/// audit records of the user's saves or devices.
stored<store_totals> compute_store_totals(database& db,
                                          const std::string& user_id_hash = {});

} // namespace awf::persistence
