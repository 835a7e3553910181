// Shared by the persistence suites: a fresh, migrated database of the backend
// under test for every test case, and real sealed turns to store in it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <soci/soci.h>

#include "caf/test/unit_test.hpp"

#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "core/key_ring.hpp"
#include "core/turn_codec.hpp"
#include "core/uuid.hpp"
#include "persistence/conflict_store.hpp"
#include "persistence/database.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/turn_rows.hpp"
#include "persistence/migrations.hpp"
#include "persistence/save_store.hpp"
#include "persistence/storage_error.hpp"
#include "tests/support/test_clock.hpp"
#include "tests/support/test_database.hpp"

namespace awf::test {

/// Returns the storage error code of `x` by name ("ok" on success), so
/// checks print something readable.
template<class T>
std::string code_of(const persistence::stored<T>& x) {
  return x ? "ok" : persistence::to_string(x.error().code);
}

/// The current time in Unix milliseconds, to bound stored timestamps.
inline std::int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

/// JSON text in one normal form (keys sorted, no spaces), so stored JSON
/// compares with what was written whatever form the database gave back.
inline std::string json_text(const std::string& text) {
  try {
    return nlohmann::json::parse(text).dump();
  } catch (const std::exception&) {
    return "unparsable: " + text;
  }
}

/// A conflict report of `save_id` as the save actor writes one (contract
/// §6), with a fresh id; `reason` defaults to the strategy.
inline persistence::conflict_record
make_conflict(const std::string& save_id, std::int64_t fork_turn,
              const std::string& strategy, const std::string& chosen,
              const std::string& archive_id = {}, std::int64_t paths = 0,
              const std::string& reason = {},
              const std::string& device_id = "dev-b") {
  persistence::conflict_record out;
  out.conflict_id = core::random_uuid();
  out.save_id = save_id;
  out.fork_turn = fork_turn;
  out.strategy = strategy;
  out.reason = reason.empty() ? strategy : reason;
  out.chosen_branch = chosen;
  out.archive_id = archive_id;
  out.conflicting_paths = paths;
  out.device_id = device_id;
  nlohmann::json report{
    {"conflict_id", out.conflict_id},
    {"save_id", save_id},
    {"fork_turn", fork_turn},
    {"strategy", strategy},
    {"resolution",
     {{"chosen_branch", chosen},
      {"archive_id", archive_id},
      {"reason", out.reason},
      {"conflicting_paths",
       std::vector<std::string>(static_cast<std::size_t>(paths), "/x")}}}};
  out.report_json = report.dump();
  return out;
}

/// Opens the test database without migrating it, its rows stamped by
/// `clock` (empty: the system clock).
inline std::unique_ptr<persistence::database>
open_database(const test_database& scratch,
              persistence::wall_clock clock = {}) {
  persistence::database_options options;
  options.url = scratch.url();
  options.clock = std::move(clock);
  auto opened = persistence::database::open(options);
  if (!opened)
    CAF_FAIL("cannot open the test database: " << opened.error().message);
  return std::move(*opened);
}

/// Builds a key ring whose only key is `id` (a fresh random key).
inline core::key_ring make_key_ring(const std::string& id = "k1") {
  auto ring = core::key_ring::make({{id, core::key_ring::random_key()}});
  if (!ring)
    CAF_FAIL("cannot make a key ring: " << ring.error().message);
  return std::move(ring).value();
}

/// A fresh database, unmigrated.
struct raw_database_fixture {
  test_database scratch;
  test_clock clock;
  std::unique_ptr<persistence::database> db =
    open_database(scratch, clock.wall_clock());

  /// Moves the clock on far enough that millisecond stamps differ.
  void let_time_pass() { clock.advance(std::chrono::milliseconds{20}); }

  bool is_postgresql() const {
    return db->dialect() == persistence::dialect::postgresql;
  }

  soci::session& sql() { return persistence::detail::session_of(*db); }

  /// Runs a `SELECT COUNT(*) ...`; records a failed check and returns -1
  /// when the query fails (e.g. the table is missing).
  long long count(const std::string& query) {
    try {
      long long n = -1;
      sql() << query, soci::into(n);
      return n;
    } catch (const std::exception& e) {
      CAF_TEST_PRINT_ERROR(query << ": " << e.what());
      CAF_CHECK(!"query failed");
      return -1;
    }
  }

  /// The base_snapshot_hash of a save, "NULL" when it has none.
  std::string base_snapshot_hash(const std::string& save_id) {
    std::string hash;
    soci::indicator ind = soci::i_null;
    sql() << "SELECT base_snapshot_hash FROM awf_saves WHERE save_id = :id",
      soci::use(save_id), soci::into(hash, ind);
    return ind == soci::i_ok ? hash : "NULL";
  }

  /// Like `count`, with one text parameter bound to `:p`.
  long long count(const std::string& query, const std::string& param) {
    try {
      long long n = -1;
      sql() << query, soci::use(param), soci::into(n);
      return n;
    } catch (const std::exception& e) {
      CAF_TEST_PRINT_ERROR(query << ": " << e.what());
      CAF_CHECK(!"query failed");
      return -1;
    }
  }
};

/// A fresh database with the current schema.
struct database_fixture : raw_database_fixture {
  database_fixture() {
    auto applied = persistence::migrate(*db);
    if (!applied)
      CAF_FAIL("migrate failed: " << applied.error().message);
  }
};

/// Row counts the store suites check after writes.
struct row_counts {
  raw_database_fixture& db;

  long long turns_of_save(const std::string& save_id) {
    return db.count("SELECT COUNT(*) FROM awf_save_diffs WHERE save_key = " +
                      persistence::detail::save_key_of(":p"),
                    save_id);
  }

  long long blobs_named(const std::string& blob_hash) {
    return db.count("SELECT COUNT(*) FROM awf_save_blobs WHERE blob_hash = :p",
                    blob_hash);
  }

  /// Blobs a stored turn has in the blob table: one for a snapshot (shared
  /// by content), none for a diff (kept in its turn row).
  static long long blobs_expected(const core::stored_turn& turn) {
    return turn.kind == core::turn_kind::snapshot ? 1 : 0;
  }

  long long refs_of_blob(const std::string& blob_hash) {
    return db.count("SELECT COUNT(*) FROM awf_blob_refs WHERE blob_hash = :p",
                    blob_hash);
  }

  long long refs_of_save(const std::string& save_id) {
    return db.count("SELECT COUNT(*) FROM awf_blob_refs WHERE save_id = :p",
                    save_id);
  }
};

/// The save `save_id`; fails the test when it cannot be read.
inline persistence::save_record
find_save_or_fail(persistence::save_store& store, const std::string& save_id) {
  auto found = store.find_save(save_id);
  if (!found)
    CAF_FAIL("find_save failed: " << found.error().message);
  return *found;
}

/// Encryptions counted for `key_id` in the store (0 when none).
inline std::uint64_t key_usage_of(persistence::save_store& store,
                                  const std::string& key_id) {
  auto all = store.key_usage();
  if (!all)
    CAF_FAIL("key_usage failed: " << all.error().message);
  auto i = all->find(key_id);
  return i == all->end() ? 0 : i->second;
}

/// Encodes successive states of one save into real sealed turns, exactly as
/// the save engine does, and tracks the head they lead to.
class turn_builder {
public:
  turn_builder(core::key_ring& keys, const std::string& session_id,
               core::encode_options opts = {})
    : keys_(keys), opts_(opts) {
    head_.turn_id = 0;
    head_.chain_hash = core::chain_genesis(session_id);
  }

  /// Starts a branch that leaves a history at `fork` (e.g. a conflicting
  /// device's turns): no state before it, so its first turn is a snapshot.
  turn_builder(core::key_ring& keys, core::chain_head fork,
               core::encode_options opts = {})
    : keys_(keys), opts_(opts), head_(std::move(fork)) {}

  /// Encodes `json` (any JSON text; canonicalized here) as the next turn.
  /// With `accept`, re-seals the same turn (fresh nonce) until `accept`
  /// likes its blob; hashes and kind stay the same.
  core::stored_turn
  next(const std::string& json,
       const std::function<bool(const core::stored_blob&)>& accept = {}) {
    auto parsed = core::parse_json(json);
    if (!parsed)
      CAF_FAIL("bad test state " << json << ": " << parsed.error().message);
    core::state_image image{core::canonicalize(*parsed), std::nullopt};
    core::previous_turn previous{last_ ? &*last_ : nullptr, head_.turn_id,
                                 base_turn_, head_.chain_hash};
    for (int attempt = 0; attempt < 10000; ++attempt) {
      auto turn = core::encode_turn(previous, image, opts_, keys_);
      if (!turn)
        CAF_FAIL("encode_turn failed: " << turn.error().message);
      if (accept && !accept(turn->blob))
        continue;
      head_ = {turn->turn_id, turn->chain_hash};
      base_turn_ = turn->base_turn;
      last_ = core::state_image{image.canonical, std::nullopt};
      return std::move(*turn);
    }
    CAF_FAIL("no acceptable blob after 10000 attempts");
  }

  /// The head after the last turn built (chain(0) before any).
  const core::chain_head& head() const { return head_; }

  /// Canonical bytes of the last state built.
  const std::string& last_canonical() const { return last_->canonical; }

private:
  core::key_ring& keys_;
  core::encode_options opts_;
  core::chain_head head_;
  std::int64_t base_turn_ = 0;
  std::optional<core::state_image> last_;
};

} // namespace awf::test
