#define CAF_SUITE integrity

#include "caf/test/unit_test.hpp"

#include <set>

#include <soci/soci.h>

#include "core/canonical_json.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/detail/session.hpp"
#include "persistence/detail/turn_rows.hpp"
#include "tests/actors/engine_fixture.hpp"

using namespace awf;
using actors::save_errc;

namespace {

/// Where the sealed bytes of a turn live: a snapshot blob (`hash`, shared
/// from its first turn on) or a diff in the row of `first_turn` (`hash`
/// empty).
struct blob_use {
  std::string save_id;
  std::string hash;
  std::int64_t first_turn;
};

struct fixture : test::engine_fixture {
  std::unique_ptr<persistence::database> raw;

  fixture() {
    auto opened = persistence::database::open({db.url()});
    if (!opened)
      throw std::runtime_error(opened.error().message);
    raw = std::move(*opened);
  }

  soci::session& sql() { return persistence::detail::session_of(*raw); }

  /// The sealed bytes of every turn of a save, first use first: a snapshot
  /// blob once (its first turn), each diff in its turn's row.
  std::vector<blob_use> blobs_of(const std::string& save_id) {
    std::vector<blob_use> out;
    std::set<std::string> snapshots;
    std::string kind, hash;
    long long turn = 0;
    soci::statement st =
      (sql().prepare << "SELECT to_turn, kind, diff_hash FROM awf_save_diffs "
                        "WHERE save_key = " +
                          persistence::detail::save_key_of(":s") +
                          " ORDER BY to_turn",
       soci::use(save_id), soci::into(turn), soci::into(kind),
       soci::into(hash));
    st.execute(false);
    while (st.fetch()) {
      bool snapshot = kind == "snapshot";
      if (snapshot && !snapshots.insert(hash).second)
        continue;
      out.push_back({save_id, snapshot ? hash : std::string{}, turn});
    }
    return out;
  }

  std::string read_blob(const blob_use& use) {
    std::string bytes;
    long long turn = use.first_turn;
    if (use.hash.empty())
      sql() << "SELECT " + persistence::detail::bytes_out(*raw, "body") +
                 " FROM awf_save_diffs WHERE save_key = " +
                 persistence::detail::save_key_of(":s") + " AND to_turn = :t",
        soci::use(use.save_id), soci::use(turn), soci::into(bytes);
    else
      sql() << "SELECT " + persistence::detail::bytes_out(*raw, "bytes") +
                 " FROM awf_save_blobs WHERE blob_hash = :h",
        soci::use(use.hash), soci::into(bytes);
    return persistence::detail::bytes_from_column(*raw, bytes);
  }

  void write_blob(const blob_use& use, const std::string& bytes) {
    auto param = persistence::detail::bytes_to_parameter(*raw, bytes);
    long long turn = use.first_turn;
    auto value = persistence::detail::bytes_in(*raw, ":b");
    if (use.hash.empty())
      sql() << "UPDATE awf_save_diffs SET body = " + value +
                 " WHERE save_key = " + persistence::detail::save_key_of(":s") +
                 " AND to_turn = :t",
        soci::use(param), soci::use(use.save_id), soci::use(turn);
    else
      sql() << "UPDATE awf_save_blobs SET bytes = " + value +
                 " WHERE blob_hash = :h",
        soci::use(param), soci::use(use.hash);
  }

  /// Flips a bit in the blob that turn `turn` introduced.
  void damage_first_blob_of(const std::string& save_id, std::int64_t turn) {
    for (const auto& blob : blobs_of(save_id)) {
      if (blob.first_turn != turn)
        continue;
      auto bytes = read_blob(blob);
      bytes[bytes.size() - 1] ^= 0x10;
      write_blob(blob, bytes);
      return;
    }
    CAF_FAIL("turn " << turn << " introduced no blob");
  }

  /// A save of `turns` turns whose states no other save shares (blobs are
  /// deduplicated across saves).
  std::string build_save(int turns) {
    auto save_id = new_save();
    nlohmann::json state{
      {"hp", 10}, {"owner", save_id}, {"log", nlohmann::json::array()}};
    for (int t = 1; t <= turns; ++t) {
      state["hp"] = t;
      state["log"].push_back("event " + std::to_string(t));
      if (!service->persist_turn(save_id, t, state))
        throw std::runtime_error("persist failed");
    }
    return save_id;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(integrity_tests, fixture)

CAF_TEST(a flipped byte in any blob fails verify and names the turn) {
  auto save_id = build_save(60);
  auto blobs = blobs_of(save_id);
  CAF_REQUIRE_GREATER(blobs.size(), 50u);
  for (const auto& blob : blobs) {
    auto original = read_blob(blob);
    // Flip a byte in the header, the nonce, the ciphertext or the tag.
    for (std::size_t position : {std::size_t{2}, std::size_t{10},
                                 original.size() / 2, original.size() - 3}) {
      auto damaged = original;
      damaged[position] = static_cast<char>(damaged[position] ^ 0x40);
      write_blob(blob, damaged);
      auto report = service->verify(save_id, true);
      CAF_REQUIRE(report);
      CAF_CHECK(!report->ok);
      CAF_CHECK_EQUAL(report->first_bad_turn, blob.first_turn);
      CAF_CHECK(!report->errors.empty());
    }
    write_blob(blob, original);
  }
  auto healed = service->verify(save_id, true);
  CAF_REQUIRE(healed);
  CAF_CHECK(healed->ok);
  CAF_CHECK_EQUAL(healed->first_bad_turn, 0);
}

CAF_TEST(a failed verify flags the save and writes an audit record) {
  auto save_id = build_save(10);
  auto blobs = blobs_of(save_id);
  auto original = read_blob(blobs[3]);
  auto damaged = original;
  damaged.back() = static_cast<char>(damaged.back() ^ 1);
  write_blob(blobs[3], damaged);
  auto report = service->verify(save_id, true);
  CAF_REQUIRE(report);
  CAF_CHECK(!report->ok);
  auto saves = service->list_saves("user-1");
  CAF_REQUIRE(saves && saves->size() == 1);
  CAF_CHECK(!saves->front().integrity_ok);
  persistence::audit_log audit{*raw};
  auto records = audit.list(save_id, 10);
  CAF_REQUIRE(records);
  CAF_REQUIRE_EQUAL(records->size(), 1u);
  CAF_CHECK_EQUAL(records->front().operation, "integrity_failure");
  // Repaired data verifies again and clears the flag.
  write_blob(blobs[3], original);
  CAF_CHECK(service->verify(save_id, true)->ok);
  CAF_CHECK(service->list_saves("user-1")->front().integrity_ok);
}

CAF_TEST(a sweep finds the damaged save among healthy ones) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i)
    ids.push_back(build_save(8));
  auto blobs = blobs_of(ids[2]);
  auto bytes = read_blob(blobs[1]);
  bytes[bytes.size() / 2] ^= 0x01;
  write_blob(blobs[1], bytes);
  auto report = service->sweep(100.0);
  CAF_REQUIRE(report);
  CAF_CHECK_EQUAL(report->sampled, 5u);
  CAF_CHECK_EQUAL(report->verified_ok, 4u);
  CAF_REQUIRE_EQUAL(report->failed_save_ids.size(), 1u);
  CAF_CHECK_EQUAL(report->failed_save_ids.front(), ids[2]);
  auto none = service->sweep(0.0);
  CAF_REQUIRE(none);
  CAF_CHECK_EQUAL(none->sampled, 0u);
}

CAF_TEST(a quick verify checks the chain and the last segment) {
  auto save_id = build_save(30); // snapshots at 1 and 26
  // Damage a diff blob of the first segment: only a full verify rebuilds it.
  damage_first_blob_of(save_id, 5);
  CAF_CHECK(service->verify(save_id, false)->ok);
  CAF_CHECK(!service->verify(save_id, true)->ok);
  // A broken chain hash is found even by a quick verify.
  sql() << "UPDATE awf_save_diffs SET chain_hash = 'x' WHERE save_key = " +
             persistence::detail::save_key_of(":s") + " AND to_turn = 7",
    soci::use(save_id);
  auto quick = service->verify(save_id, false);
  CAF_REQUIRE(quick);
  CAF_CHECK(!quick->ok);
  CAF_CHECK_EQUAL(quick->first_bad_turn, 7);
}

CAF_TEST(blobs sealed under another key do not open) {
  auto save_id = build_save(5);
  // Same key id, different key bytes: authentication fails.
  start(test::test_options(db.url()), test::test_keys("k1"));
  auto wrong = service->materialize(save_id, 3);
  CAF_REQUIRE(!wrong);
  CAF_CHECK_EQUAL(actors::error_code(wrong.error()),
                  save_errc::integrity_failure);
  // An unknown key id: the ring cannot open it.
  start(test::test_options(db.url()), test::test_keys("k2"));
  auto unknown = service->materialize(save_id, 3);
  CAF_REQUIRE(!unknown);
  CAF_CHECK_EQUAL(actors::error_code(unknown.error()),
                  save_errc::integrity_failure);
}

CAF_TEST(a rotated ring encrypts with the new key and reads the old) {
  auto save_id = build_save(5);
  auto new_key = core::key_ring::random_key();
  auto rotated = core::key_ring::make({{"k2", new_key}, {"k1", key_bytes}});
  CAF_REQUIRE(rotated);
  start(test::test_options(db.url()),
        std::make_shared<core::key_ring>(std::move(*rotated)));
  CAF_CHECK(service->materialize(save_id, 3));
  CAF_REQUIRE(service->persist_turn(save_id, 6, {{"hp", 6}}));
  auto blobs = blobs_of(save_id);
  auto newest = blobs.back();
  CAF_REQUIRE_EQUAL(newest.first_turn, 6);
  CAF_CHECK_EQUAL(core::key_ring::envelope_key_id(read_blob(newest)), "k2");
  CAF_CHECK(service->verify(save_id, true)->ok);
  // The old ring alone cannot read the new turn.
  start(test::test_options(db.url()), test::test_keys("k1", key_bytes));
  CAF_CHECK(!service->materialize(save_id, 6));
}

CAF_TEST(a quick verify never clears a flag a full verify set) {
  auto save_id = build_save(30);
  // Damage a diff blob of the first segment: only a full verify rebuilds it.
  damage_first_blob_of(save_id, 5);
  CAF_CHECK(!test::value_of(service->verify(save_id, true)).ok);
  CAF_CHECK(test::value_of(service->verify(save_id, false)).ok);
  CAF_CHECK(
    !test::value_of(service->list_saves("user-1")).front().integrity_ok);
}

CAF_TEST(a damaged head is reported and older turns stay readable) {
  auto save_id = build_save(10);
  auto blobs = blobs_of(save_id);
  auto head_blob = blobs.back();
  CAF_REQUIRE_EQUAL(head_blob.first_turn, 10);
  auto bytes = read_blob(head_blob);
  bytes[bytes.size() / 2] ^= 0x02;
  write_blob(head_blob, bytes);
  start(test::test_options(db.url())); // the save actor must load the head
  auto report = service->verify(save_id, true);
  CAF_REQUIRE(report);
  CAF_CHECK(!report->ok);
  CAF_CHECK_EQUAL(report->first_bad_turn, 10);
  CAF_CHECK(
    !test::value_of(service->list_saves("user-1")).front().integrity_ok);
  auto older = service->materialize(save_id, 3);
  CAF_REQUIRE(older);
  CAF_CHECK_EQUAL(older->turn_id, 3);
  auto write = service->persist_turn(save_id, 11, {{"hp", 11}});
  CAF_REQUIRE(!write);
  CAF_CHECK_EQUAL(actors::error_code(write.error()),
                  save_errc::integrity_failure);
}

CAF_TEST(a lower size limit does not make stored saves unreadable) {
  auto save_id = new_save();
  nlohmann::json big{{"map", std::string(50000, 'm')}};
  CAF_REQUIRE(service->persist_turn(save_id, 1, big));
  big["hp"] = 1;
  CAF_REQUIRE(service->persist_turn(save_id, 2, big));
  auto opts = test::test_options(db.url());
  opts.max_state_bytes = 1000;
  start(opts);
  CAF_CHECK(service->materialize(save_id, 1));
  CAF_CHECK(service->materialize(save_id, 2));
  CAF_CHECK(test::value_of(service->verify(save_id, true)).ok);
  // New turns obey the new limit.
  big["hp"] = 2;
  CAF_CHECK(!service->persist_turn(save_id, 3, big));
}

CAF_TEST_FIXTURE_SCOPE_END()
