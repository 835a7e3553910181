// Admin and operations endpoints over the real socket (contract §8):
// admin/save, admin/device, admin/audit, save/stats and /metrics.
#define CAF_SUITE admin

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <set>
#include <thread>

#include "core/sync_token.hpp"
#include "persistence/device_store.hpp"
#include "tests/net/api_client.hpp"

using namespace awf;
using namespace awf::test::api;

namespace {

const std::string missing_save = "0b7e2d4c-6a51-4f3e-9c8d-2a1b0c9d8e7f";

struct fixture : api_fixture {
  std::string alice = token("alice");
  std::string bob = token("bob");
  std::string admin = token("root", "admin");

  http_reply get(const std::string& path, const std::string& bearer) {
    return call(http::verb::get, prefix + path, "", bearer);
  }

  /// Syncs turns 1..last of a fresh save in one request.
  history play(const device& dev, const save_ref& save, int last) {
    history h{save.session_id};
    for (int t = 1; t <= last; ++t)
      h.add(game_state(t));
    auto res = sync_up(dev.token, up_body(save.save_id, dev, h, 0, last));
    CAF_REQUIRE_EQUAL(res.status, 200);
    return h;
  }

  /// last_turn_seen as the database holds it (not the directory's memory).
  std::int64_t stored_turn_seen(const std::string& device_id) {
    persistence::database_options opts;
    opts.url = db.url();
    auto conn = persistence::database::open(opts);
    CAF_REQUIRE(conn);
    persistence::device_store store{**conn};
    auto found = store.find_device(device_id);
    CAF_REQUIRE(found);
    return found->last_turn_seen;
  }

  /// The value of an integer sample line `name value` in /metrics text.
  static long long sample(const std::string& text, const std::string& name) {
    auto at = text.find("\n" + name + " ");
    if (at == std::string::npos)
      return -1;
    return std::atoll(text.c_str() + at + name.size() + 2);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(admin_tests, fixture)

CAF_TEST(admin save shows the record of any users save) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "admin-save");
  auto h = play(phone, save, 3);
  auto res = get("/admin/save/" + save.save_id, admin);
  CAF_CHECK_EQUAL(res.status, 200);
  CAF_CHECK_EQUAL(res.body["save_id"], save.save_id);
  CAF_CHECK_EQUAL(res.body["session_id"], "admin-save");
  CAF_CHECK_EQUAL(res.body["user_id_hash"], "alice");
  CAF_CHECK_EQUAL(res.body["version"], "1.0.0");
  CAF_CHECK_EQUAL(res.body["head"], h.head());
  CAF_CHECK_EQUAL(res.body["integrity_ok"], true);
  CAF_CHECK(res.body["created_at"].is_string());
  CAF_CHECK(res.body["updated_at"].is_string());
  // Three sync ups (each a commit) came after the creation: updated_at
  // moved with them (same format, so the text orders as the time).
  CAF_CHECK_GREATER(res.body.value("updated_at", ""),
                    res.body.value("created_at", ""));
  auto missing = get("/admin/save/" + missing_save, admin);
  CAF_CHECK_EQUAL(missing.status, 404);
  CAF_CHECK_EQUAL(missing.body["error"]["code"], "not_found");
  CAF_CHECK_EQUAL(get("/admin/save/junk", admin).status, 404);
}

CAF_TEST(admin device shows a device without its token) {
  auto phone = add_device(alice, "phone");
  auto res = get("/admin/device/phone", admin);
  CAF_CHECK_EQUAL(res.status, 200);
  CAF_CHECK_EQUAL(res.body["device_id"], "phone");
  CAF_CHECK_EQUAL(res.body["user_id_hash"], "alice");
  CAF_CHECK_EQUAL(res.body["label"], "phone label");
  CAF_CHECK_EQUAL(res.body["revoked"], false);
  CAF_CHECK(res.body["expires_at"].is_string());
  // Neither the token nor its hash, under any name.
  CAF_CHECK_EQUAL(res.raw.find(phone.token), std::string::npos);
  CAF_CHECK_EQUAL(res.raw.find(core::sync_token_hash(phone.token)),
                  std::string::npos);
  for (const auto& [key, value] : res.body.items())
    CAF_CHECK(key.find("token") == std::string::npos);
  // Revocation shows.
  CAF_REQUIRE_EQUAL(
    call(http::verb::delete_, prefix + "/devices/phone", "", alice).status,
    200);
  auto revoked = get("/admin/device/phone", admin);
  CAF_CHECK_EQUAL(revoked.body["revoked"], true);
  auto missing = get("/admin/device/no-such-device", admin);
  CAF_CHECK_EQUAL(missing.status, 404);
  CAF_CHECK_EQUAL(missing.body["error"]["code"], "not_found");
}

CAF_TEST(admin device shows the last turn the device synced) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "seen");
  auto fresh = get("/admin/device/phone", admin);
  CAF_CHECK_EQUAL(fresh.body["last_turn_seen"], 0);
  auto h = play(phone, save, 3);
  // The tablet reads from turn 1: the page it gets ends at the head.
  CAF_REQUIRE_EQUAL(
    sync_down(tablet.token, save.save_id, 1, h.chain_at(1)).status, 200);
  for (const char* id : {"phone", "tablet"}) {
    auto res = get(std::string{"/admin/device/"} + id, admin);
    CAF_CHECK_EQUAL(res.body["last_turn_seen"], 3);
  }
  // The directory writes its notes to the database about once a second.
  std::int64_t stored = 0;
  for (int i = 0; i < 300 && stored != 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    stored = stored_turn_seen("tablet");
  }
  CAF_CHECK_EQUAL(stored, 3);
  CAF_CHECK_EQUAL(stored_turn_seen("phone"), 3);
  auto later = get("/admin/device/phone", admin);
  CAF_CHECK_EQUAL(later.body["last_turn_seen"], 3);
  // A refused sync up does not count.
  h.add(game_state(4));
  auto gap = up_body(save.save_id, phone, h, 3, 4);
  gap["base"]["turn_id"] = 2;
  CAF_CHECK_NOT_EQUAL(sync_up(phone.token, gap).status, 200);
  auto after_refusal = get("/admin/device/phone", admin);
  CAF_CHECK_EQUAL(after_refusal.body["last_turn_seen"], 3);
}

CAF_TEST(admin endpoints refuse users and devices) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "refusals");
  for (const auto& path :
       {"/admin/save/" + save.save_id, std::string{"/admin/device/phone"},
        std::string{"/admin/audit"}, "/admin/audit?save_id=" + save.save_id}) {
    for (const auto& bearer : {alice, bob, phone.token}) {
      auto res = get(path, bearer);
      CAF_CHECK_EQUAL(res.status, 403);
      CAF_CHECK_EQUAL(res.body["error"]["code"], "forbidden");
    }
    auto none = get(path, "");
    CAF_CHECK_EQUAL(none.status, 401);
    CAF_CHECK_EQUAL(none.body["error"]["code"], "unauthorized");
    CAF_CHECK_EQUAL(get(path, admin).status, 200);
  }
}

CAF_TEST(the audit trail records device and sync operations) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "audited");
  auto other = add_save(alice, "other");
  auto h = play(phone, save, 2);
  CAF_REQUIRE_EQUAL(
    sync_down(phone.token, save.save_id, 1, h.chain_at(1)).status, 200);
  // A refused sync up: a turn gap.
  h.add(game_state(3));
  h.add(game_state(4));
  auto gap = up_body(save.save_id, phone, h, 2, 4);
  gap["turns"].erase(0);
  CAF_REQUIRE_EQUAL(sync_up(phone.token, gap).status, 409);
  // A refused body too (no device checks reach the engine).
  auto bad = up_body(save.save_id, phone, h, 2, 3);
  bad["strategy"] = "yolo";
  CAF_REQUIRE_EQUAL(sync_up(phone.token, bad).status, 400);
  // Another save and another device, which the filters must leave out.
  play(tablet, other, 1);
  auto by_save =
    audit_until(admin, "save_id=" + save.save_id, [](const json& r) {
      return count_op(r, "sync_up") >= 1 && count_op(r, "sync_down") >= 1 &&
             count_op(r, "sync_up_rejected") >= 2;
    });
  CAF_CHECK_EQUAL(count_op(by_save, "sync_up"), 1u);
  CAF_CHECK_EQUAL(count_op(by_save, "sync_down"), 1u);
  CAF_CHECK_EQUAL(count_op(by_save, "sync_up_rejected"), 2u);
  CAF_CHECK_EQUAL(count_op(by_save, "device_register"), 0u);
  for (const auto& rec : by_save) {
    CAF_CHECK_EQUAL(rec["save_id"], save.save_id);
    CAF_CHECK_EQUAL(rec["device_id"], "phone");
    CAF_CHECK(rec["audit_id"].is_string() || rec["audit_id"].is_number());
    CAF_CHECK(rec["created_at"].is_string());
    CAF_CHECK(rec["details"].is_object());
    CAF_CHECK_EQUAL(rec["details"]["user_id_hash"], "alice");
    if (rec["operation"] == "sync_up") {
      CAF_CHECK_EQUAL(rec["details"]["status"], "fast_forward");
      CAF_CHECK_EQUAL(rec["details"]["turns"], 2);
      CAF_CHECK_EQUAL(rec["details"]["head_turn"], 2);
    }
  }
  std::set<std::string> codes;
  for (const auto& rec : by_save)
    if (rec["operation"] == "sync_up_rejected")
      codes.insert(rec["details"].value("code", ""));
  CAF_CHECK_EQUAL(codes,
                  (std::set<std::string>{"turn_gap", "invalid_request"}));
  // Newest first: the last refusal leads.
  CAF_CHECK_EQUAL(by_save[0]["operation"], "sync_up_rejected");
  // By device: the phone's registration and its sync records, not the
  // tablet's.
  auto by_device = audit_until(admin, "device_id=phone", [](const json& r) {
    return count_op(r, "device_register") >= 1 &&
           count_op(r, "sync_up_rejected") >= 2;
  });
  CAF_CHECK_EQUAL(count_op(by_device, "device_register"), 1u);
  CAF_CHECK_EQUAL(count_op(by_device, "sync_up"), 1u);
  for (const auto& rec : by_device)
    CAF_CHECK_EQUAL(rec["device_id"], "phone");
  for (const auto& rec : by_device)
    if (rec["operation"] == "device_register")
      CAF_CHECK(rec["save_id"].is_null());
  auto tablets = audit_until(admin, "device_id=tablet", [](const json& r) {
    return count_op(r, "sync_up") >= 1;
  });
  CAF_CHECK_EQUAL(count_op(tablets, "device_register"), 1u);
  CAF_CHECK_EQUAL(count_op(tablets, "sync_up"), 1u);
  for (const auto& rec : tablets)
    CAF_CHECK_NOT_EQUAL(rec["save_id"], save.save_id);
  // Both filters at once.
  auto both = audit(admin, "save_id=" + other.save_id + "&device_id=phone");
  CAF_CHECK_EQUAL(both.size(), 0u);
  // The limit keeps the newest records.
  auto two = audit(admin, "save_id=" + save.save_id + "&limit=2");
  CAF_REQUIRE_EQUAL(two.size(), 2u);
  CAF_CHECK_EQUAL(two[0], by_save[0]);
  CAF_CHECK_EQUAL(two[1], by_save[1]);
  // Unfiltered lists everything, both saves included.
  auto all = audit(admin, "limit=1000");
  CAF_CHECK_GREATER_OR_EQUAL(all.size(), by_save.size() + 2);
  // Since: records from that time (Unix ms) on.
  auto since_epoch = audit(admin, "since=0&limit=1000");
  CAF_CHECK_EQUAL(since_epoch.size(), all.size());
  auto hour_later = std::chrono::duration_cast<std::chrono::milliseconds>(
                      (std::chrono::system_clock::now() + std::chrono::hours{1})
                        .time_since_epoch())
                      .count();
  CAF_CHECK_EQUAL(audit(admin, "since=" + std::to_string(hour_later)).size(),
                  0u);
  // Bad filters.
  for (const std::string query :
       {"limit=0", "limit=1001", "limit=abc", "since=-5", "since=x"}) {
    auto res = get("/admin/audit?" + query, admin);
    CAF_CHECK_EQUAL(res.status, 400);
    CAF_CHECK_EQUAL(res.body["error"]["code"], "invalid_request");
  }
}

CAF_TEST(an audit record that no turn commit follows is written too) {
  // Audit records wait for the next turns' commit; with none coming, the
  // timed flush writes them.
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "lonely-refusal");
  history h{save.session_id};
  h.add(game_state(1));
  h.add(game_state(2));
  auto gap = up_body(save.save_id, phone, h, 0, 2);
  gap["turns"].erase(0);
  CAF_REQUIRE_EQUAL(sync_up(phone.token, gap).status, 409);
  auto records =
    audit_until(admin, "save_id=" + save.save_id, [](const json& r) {
      return count_op(r, "sync_up_rejected") >= 1;
    });
  CAF_CHECK_EQUAL(count_op(records, "sync_up_rejected"), 1u);
}

CAF_TEST(save stats count a users own store and an admin sees all) {
  auto phone = add_device(alice, "phone");
  auto bobs = add_device(bob, "bobs-phone");
  auto first = add_save(alice, "stats-1");
  auto second = add_save(alice, "stats-2");
  auto bobs_save = add_save(bob, "stats-bob");
  play(phone, first, 5);
  play(phone, second, 3);
  play(bobs, bobs_save, 2);
  auto check_counts = [](const json& body, int saves, int turns, int devices) {
    const auto& counts = body["counts"];
    CAF_CHECK_EQUAL(counts["saves"], saves);
    CAF_CHECK_EQUAL(counts["turns"], turns);
    CAF_CHECK_EQUAL(counts["devices"], devices);
    CAF_CHECK_EQUAL(counts["archives"], 0);
    CAF_CHECK_EQUAL(counts["integrity_failed_saves"], 0);
    long long by_kind = 0;
    for (const auto& [kind, n] : counts["turns_by_kind"].items())
      by_kind += n.get<long long>();
    CAF_CHECK_EQUAL(by_kind, turns);
    CAF_CHECK_GREATER(body["bytes"]["logical"].get<long long>(), 0);
    CAF_CHECK_GREATER(body["bytes"]["stored"].get<long long>(), 0);
    CAF_CHECK(body["ratios"].is_object());
  };
  auto own = get("/save/stats", alice);
  CAF_CHECK_EQUAL(own.status, 200);
  CAF_CHECK_EQUAL(own.body["scope"], "user");
  check_counts(own.body, 2, 8, 1);
  auto bobs_stats = get("/save/stats", bobs.token);
  CAF_CHECK_EQUAL(bobs_stats.status, 200);
  CAF_CHECK_EQUAL(bobs_stats.body["scope"], "user");
  check_counts(bobs_stats.body, 1, 2, 1);
  auto all = get("/save/stats", admin);
  CAF_CHECK_EQUAL(all.status, 200);
  CAF_CHECK_EQUAL(all.body["scope"], "all");
  check_counts(all.body, 3, 10, 2);
  CAF_CHECK_GREATER(all.body["bytes"]["logical"].get<long long>(),
                    own.body["bytes"]["logical"].get<long long>());
  // The sync counters of this server describe every user's traffic: only
  // an operator sees them.
  CAF_CHECK(!own.body.contains("sync"));
  CAF_CHECK(!bobs_stats.body.contains("sync"));
  CAF_CHECK(all.body.contains("sync"));
  CAF_CHECK_EQUAL(all.body["sync"]["sync_up"], 3);
  CAF_CHECK_EQUAL(all.body["sync"]["turns_accepted"], 10);
  CAF_CHECK_EQUAL(all.body["sync"]["sync_up_latency"]["count"], 3);
  CAF_CHECK_EQUAL(get("/save/stats", "").status, 401);
}

CAF_TEST(metrics count sync ups and turns) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "metrics");
  auto before = call(http::verb::get, "/metrics");
  CAF_CHECK_EQUAL(before.status, 200);
  CAF_CHECK_EQUAL(sample(before.raw, "awf_sync_up_total"), 0);
  auto h = play(phone, save, 4);
  h.add(game_state(5));
  CAF_REQUIRE_EQUAL(
    sync_up(phone.token, up_body(save.save_id, phone, h, 4, 5)).status, 200);
  auto gap = up_body(save.save_id, phone, h, 3, 5);
  gap["base"] = h.at(5);
  CAF_REQUIRE_EQUAL(sync_up(phone.token, gap).status, 409);
  CAF_REQUIRE_EQUAL(sync_down(phone.token, save.save_id, 0).status, 200);
  auto m = call(http::verb::get, "/metrics");
  CAF_CHECK_EQUAL(m.status, 200);
  CAF_CHECK(m.raw.find("# TYPE awf_sync_up_total counter\n") !=
            std::string::npos);
  CAF_CHECK_EQUAL(sample(m.raw, "awf_sync_up_total"), 2);
  CAF_CHECK_EQUAL(sample(m.raw, "awf_sync_up_rejected_total"), 1);
  CAF_CHECK_EQUAL(sample(m.raw, "awf_turns_accepted_total"), 5);
  CAF_CHECK_EQUAL(sample(m.raw, "awf_sync_down_total"), 1);
  // The standard process metrics of the server itself.
  CAF_CHECK(m.raw.find("# TYPE process_cpu_seconds_total counter\n") !=
            std::string::npos);
  CAF_CHECK_GREATER(sample(m.raw, "process_resident_memory_bytes"), 1 << 20);
  CAF_CHECK_GREATER(sample(m.raw, "process_open_fds"), 3);
}

CAF_TEST_FIXTURE_SCOPE_END()
