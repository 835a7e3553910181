#define CAF_SUITE audit_log

#include "persistence/audit_log.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/uuid.hpp"
#include "persistence/save_store.hpp"
#include "tests/persistence/store_fixture.hpp"

using namespace awf;
using namespace awf::test;

namespace {

struct fixture : database_fixture {
  persistence::audit_log log{*db};
  persistence::save_store saves{*db};

  /// Creates a save (audit rows reference real saves).
  std::string make_save(const std::string& user) {
    auto made = saves.create_or_attach(user, "session-1", "1.0.0");
    if (!made)
      CAF_FAIL("create_or_attach failed: " << made.error().message);
    return made->save.save_id;
  }

  std::string append(const std::optional<std::string>& save_id,
                     const std::optional<std::string>& device_id,
                     const std::string& operation,
                     const std::string& details = "{}") {
    auto id = log.append(save_id, device_id, operation, details);
    if (!id)
      CAF_FAIL("append failed: " << id.error().message);
    return *id;
  }

  std::vector<persistence::audit_record>
  list(const std::optional<std::string>& save_id, std::size_t limit = 100) {
    auto records = log.list(save_id, limit);
    if (!records)
      CAF_FAIL("list failed: " << records.error().message);
    return *records;
  }

  std::vector<std::string> ids(const std::optional<std::string>& save_id,
                               std::size_t limit = 100) {
    std::vector<std::string> out;
    for (const auto& rec : list(save_id, limit))
      out.push_back(rec.audit_id);
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(audit_log_tests, fixture)

CAF_TEST(an empty log lists nothing) {
  CAF_CHECK_EQUAL(list(std::nullopt).size(), 0u);
}

CAF_TEST(append without save or device stores nulls) {
  auto before = now_ms();
  auto id = append(std::nullopt, std::nullopt, "server_start",
                   R"({"version":"0.1.0"})");
  CAF_CHECK(core::is_uuid(id));
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 1u);
  const auto& rec = records.front();
  CAF_CHECK_EQUAL(rec.audit_id, id);
  CAF_CHECK(!rec.save_id.has_value());
  CAF_CHECK(!rec.device_id.has_value());
  CAF_CHECK_EQUAL(rec.operation, "server_start");
  CAF_CHECK_EQUAL(json_text(rec.details_json),
                  json_text(R"({"version":"0.1.0"})"));
  CAF_CHECK_GREATER(rec.created_at_ms, before - 60'000);
  CAF_CHECK_LESS(rec.created_at_ms, now_ms() + 60'000);
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_sync_audit WHERE save_id "
                        "IS NULL AND device_id IS NULL"),
                  1);
}

CAF_TEST(append with save and device stores both) {
  auto save_id = make_save("user-a");
  auto id =
    append(save_id, std::string{"device-1"}, "sync_up", R"({"turns":3})");
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 1u);
  const auto& rec = records.front();
  CAF_CHECK_EQUAL(rec.audit_id, id);
  CAF_REQUIRE(rec.save_id.has_value());
  CAF_CHECK_EQUAL(*rec.save_id, save_id);
  CAF_REQUIRE(rec.device_id.has_value());
  CAF_CHECK_EQUAL(*rec.device_id, "device-1");
  CAF_CHECK_EQUAL(rec.operation, "sync_up");
  CAF_CHECK_EQUAL(json_text(rec.details_json), json_text(R"({"turns":3})"));
}

CAF_TEST(append with only a device id keeps the save null) {
  append(std::nullopt, std::string{"device-9"}, "register");
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 1u);
  CAF_CHECK(!records.front().save_id.has_value());
  CAF_REQUIRE(records.front().device_id.has_value());
  CAF_CHECK_EQUAL(*records.front().device_id, "device-9");
}

CAF_TEST(list returns the newest records first) {
  auto a = append(std::nullopt, std::nullopt, "first");
  let_time_pass();
  auto b = append(std::nullopt, std::nullopt, "second");
  let_time_pass();
  auto c = append(std::nullopt, std::nullopt, "third");
  CAF_CHECK_EQUAL(ids(std::nullopt), (std::vector<std::string>{c, b, a}));
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 3u);
  CAF_CHECK_EQUAL(records[0].operation, "third");
  CAF_CHECK_EQUAL(records[2].operation, "first");
  CAF_CHECK_GREATER(records[0].created_at_ms, records[1].created_at_ms);
  CAF_CHECK_GREATER(records[1].created_at_ms, records[2].created_at_ms);
  CAF_CHECK_EQUAL(ids(std::nullopt, 2), (std::vector<std::string>{c, b}));
}

CAF_TEST(records appended back to back list newest first) {
  // No pauses: several appends share a timestamp tick (SQLite keeps
  // milliseconds), and the order must still be newest first.
  std::vector<std::string> newest_first;
  for (int i = 0; i < 200; ++i)
    newest_first.insert(newest_first.begin(), append(std::nullopt, std::nullopt,
                                                     "op" + std::to_string(i)));
  CAF_CHECK_EQUAL(ids(std::nullopt, 1000), newest_first);
  CAF_CHECK_EQUAL(
    ids(std::nullopt, 3),
    (std::vector<std::string>{newest_first.begin(), newest_first.begin() + 3}));
}

CAF_TEST(list filters by save id) {
  auto s1 = make_save("user-a");
  auto s2 = make_save("user-b");
  auto a = append(s1, std::nullopt, "create");
  let_time_pass();
  auto b = append(s2, std::nullopt, "create");
  let_time_pass();
  auto c = append(std::nullopt, std::nullopt, "sweep");
  let_time_pass();
  auto d = append(s1, std::string{"device-1"}, "sync_up");
  CAF_CHECK_EQUAL(ids(s1), (std::vector<std::string>{d, a}));
  CAF_CHECK_EQUAL(ids(s2), (std::vector<std::string>{b}));
  CAF_CHECK_EQUAL(ids(s1, 1), (std::vector<std::string>{d}));
  CAF_CHECK_EQUAL(ids(std::nullopt), (std::vector<std::string>{d, c, b, a}));
  for (const auto& rec : list(s1)) {
    CAF_REQUIRE(rec.save_id.has_value());
    CAF_CHECK_EQUAL(*rec.save_id, s1);
  }
  CAF_CHECK_EQUAL(list(core::random_uuid()).size(), 0u);
}

CAF_TEST(list for a junk save id is empty) {
  // Like an unknown save (save_store answers junk ids the same way), not a
  // database error on PostgreSQL's UUID column.
  auto s1 = make_save("user-a");
  append(s1, std::nullopt, "create");
  for (std::string junk : {"nope", "../x"}) {
    CAF_MESSAGE("id '" << junk << "'");
    auto records = log.list(junk, 10);
    CAF_CHECK_EQUAL(code_of(records), "ok");
    if (records)
      CAF_CHECK_EQUAL(records->size(), 0u);
  }
}

CAF_TEST(details json round trips) {
  const std::string details = R"({
    "reason": "conflict",
    "turns": [1, 2, 3],
    "nested": {"ratio": 0.25, "ok": true, "none": null, "big": 1234567890},
    "text": "Zo\u00eb says \"hi\" \u2713 \\ / \n"
  })";
  append(std::nullopt, std::nullopt, "restore", details);
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 1u);
  CAF_CHECK_EQUAL(json_text(records.front().details_json), json_text(details));
  CAF_CHECK_NOT_EQUAL(json_text(records.front().details_json),
                      json_text(R"({"reason":"conflict"})"));
}

CAF_TEST(an empty details object round trips) {
  append(std::nullopt, std::nullopt, "noop", "{}");
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 1u);
  CAF_CHECK_EQUAL(json_text(records.front().details_json), "{}");
}

CAF_TEST(append for an unknown save fails without throwing) {
  auto result = log.append(core::random_uuid(), std::nullopt, "ghost", "{}");
  CAF_CHECK_EQUAL(code_of(result), "failure");
  CAF_CHECK_EQUAL(list(std::nullopt).size(), 0u);
}

CAF_TEST(deleting a save deletes its audit records) {
  auto s1 = make_save("user-a");
  append(s1, std::nullopt, "create");
  append(std::nullopt, std::nullopt, "sweep");
  sql() << "DELETE FROM awf_saves WHERE save_id = :id", soci::use(s1);
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 1u);
  CAF_CHECK_EQUAL(records.front().operation, "sweep");
}

// -- append_many -------------------------------------------------------------

CAF_TEST(append_many stores every record in order) {
  auto s1 = make_save("user-a");
  std::vector<persistence::audit_entry> entries{
    {s1, std::string{"device-1"}, "sync_up", R"({"turns":2})"},
    {std::nullopt, std::string{"device-2"}, "register", "{}"},
    {std::nullopt, std::nullopt, "sweep", R"({"saves":[1,2]})"}};
  CAF_CHECK_EQUAL(code_of(log.append_many(entries)), "ok");
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 3u);
  // Newest first: the reverse of the order given.
  CAF_CHECK_EQUAL(records[2].operation, "sync_up");
  CAF_REQUIRE(records[2].save_id.has_value());
  CAF_CHECK_EQUAL(*records[2].save_id, s1);
  CAF_REQUIRE(records[2].device_id.has_value());
  CAF_CHECK_EQUAL(*records[2].device_id, "device-1");
  CAF_CHECK_EQUAL(json_text(records[2].details_json),
                  json_text(R"({"turns":2})"));
  CAF_CHECK_EQUAL(records[1].operation, "register");
  CAF_CHECK(!records[1].save_id.has_value());
  CAF_CHECK_EQUAL(records[1].device_id.value_or(""), "device-2");
  CAF_CHECK_EQUAL(records[0].operation, "sweep");
  CAF_CHECK_EQUAL(json_text(records[0].details_json),
                  json_text(R"({"saves":[1,2]})"));
  for (const auto& rec : records)
    CAF_CHECK(core::is_uuid(rec.audit_id));
  CAF_CHECK_NOT_EQUAL(records[0].audit_id, records[1].audit_id);
}

CAF_TEST(append_many keeps a missing save id in the details) {
  auto s1 = make_save("user-a");
  auto ghost = core::random_uuid();
  std::vector<persistence::audit_entry> entries{
    {ghost, std::nullopt, "sync_up", R"({"reason":"not_found"})"},
    {std::string{"not-a-uuid"}, std::string{"device-1"}, "sync_up", ""},
    {s1, std::nullopt, "create", R"({"v":1})"}};
  CAF_CHECK_EQUAL(code_of(log.append_many(entries)), "ok");
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 3u);
  CAF_CHECK(!records[2].save_id.has_value());
  CAF_CHECK_EQUAL(
    json_text(records[2].details_json),
    json_text(R"({"reason":"not_found","save_id":")" + ghost + "\"}"));
  CAF_CHECK(!records[1].save_id.has_value());
  CAF_CHECK_EQUAL(json_text(records[1].details_json),
                  json_text(R"({"save_id":"not-a-uuid"})"));
  // A save that exists is referenced, and its details stay as given.
  CAF_CHECK_EQUAL(records[0].save_id.value_or("NULL"), s1);
  CAF_CHECK_EQUAL(json_text(records[0].details_json), json_text(R"({"v":1})"));
  CAF_CHECK_EQUAL(count("SELECT COUNT(*) FROM awf_sync_audit WHERE save_id "
                        "IS NULL"),
                  2);
}

CAF_TEST(append_many stores nothing when one record fails) {
  auto s1 = make_save("user-a");
  append(std::nullopt, std::nullopt, "before");
  for (std::string bad : {"not json", "[1,2]", "\"text\"", "{\"open\":"}) {
    CAF_MESSAGE("details " << bad);
    std::vector<persistence::audit_entry> entries{
      {s1, std::nullopt, "one", "{}"},
      {std::nullopt, std::nullopt, "two", "{}"},
      {s1, std::nullopt, "bad", bad}};
    CAF_CHECK_EQUAL(code_of(log.append_many(entries)), "failure");
  }
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 1u);
  CAF_CHECK_EQUAL(records.front().operation, "before");
  // The log still works afterwards.
  CAF_CHECK_EQUAL(code_of(log.append_many({{s1, std::nullopt, "after", "{}"}})),
                  "ok");
  CAF_CHECK_EQUAL(list(std::nullopt).size(), 2u);
}

CAF_TEST(audit records keep no unbounded client text) {
  // The edge refuses such ids; the audit trail bounds them anyway, so no
  // request can make a record (or an admin/audit answer) grow with them.
  std::string huge_id(std::size_t{5} << 20, 'x');
  std::string huge_device(std::size_t{4} << 20, 'd');
  std::string huge_details =
    "{\"text\":\"" + std::string(std::size_t{1} << 20, 't') + "\"}";
  std::vector<persistence::audit_entry> entries{
    {huge_id, std::nullopt, "sync_up_rejected", "{\"status\":404}"},
    {std::nullopt, huge_device, "sync_up_rejected", "{}"},
    {std::nullopt, std::nullopt, "chatty", huge_details}};
  CAF_CHECK_EQUAL(code_of(log.append_many(entries)), "ok");
  append(std::nullopt, huge_device, "single", huge_details);
  auto records = list(std::nullopt);
  CAF_REQUIRE_EQUAL(records.size(), 4u);
  for (const auto& rec : records) {
    CAF_MESSAGE(rec.operation);
    CAF_CHECK_LESS(rec.details_json.size(), 200u);
    CAF_CHECK(!rec.device_id.has_value());
  }
  auto kept = nlohmann::json::parse(records[3].details_json);
  CAF_CHECK_EQUAL(kept["save_id"], std::string(64, 'x'));
  CAF_CHECK_EQUAL(kept["save_id_bytes"], huge_id.size());
  CAF_CHECK_EQUAL(kept["status"], 404);
  CAF_CHECK_EQUAL(nlohmann::json::parse(records[2].details_json),
                  nlohmann::json({{"device_id_bytes", huge_device.size()}}));
  CAF_CHECK_EQUAL(
    nlohmann::json::parse(records[1].details_json),
    nlohmann::json({{"truncated", true}, {"bytes", huge_details.size()}}));
  auto single = nlohmann::json::parse(records[0].details_json);
  CAF_CHECK_EQUAL(single["truncated"], true);
  CAF_CHECK_EQUAL(single["device_id_bytes"], huge_device.size());
  CAF_CHECK_LESS(count("SELECT SUM(LENGTH(CAST(details AS TEXT))) FROM "
                       "awf_sync_audit"),
                 1000);
}

CAF_TEST(append_many of nothing stores nothing) {
  CAF_CHECK_EQUAL(code_of(log.append_many({})), "ok");
  CAF_CHECK_EQUAL(list(std::nullopt).size(), 0u);
}

// -- list with a filter -------------------------------------------------------

CAF_TEST(list filters by device id) {
  auto s1 = make_save("user-a");
  auto a = append(s1, std::string{"device-1"}, "sync_up");
  let_time_pass();
  append(s1, std::string{"device-2"}, "sync_up");
  let_time_pass();
  auto c = append(std::nullopt, std::string{"device-1"}, "rotate");
  append(std::nullopt, std::nullopt, "sweep");
  auto got = log.list(persistence::audit_filter{
    std::nullopt, std::string{"device-1"}, std::nullopt, 100});
  CAF_REQUIRE(got);
  CAF_REQUIRE_EQUAL(got->size(), 2u);
  CAF_CHECK_EQUAL((*got)[0].audit_id, c);
  CAF_CHECK_EQUAL((*got)[1].audit_id, a);
  auto none = log.list(persistence::audit_filter{
    std::nullopt, std::string{"device-9"}, std::nullopt, 100});
  CAF_REQUIRE(none);
  CAF_CHECK_EQUAL(none->size(), 0u);
}

CAF_TEST(list filters by time) {
  auto a = append(std::nullopt, std::nullopt, "old");
  let_time_pass();
  auto b = append(std::nullopt, std::nullopt, "middle");
  let_time_pass();
  auto c = append(std::nullopt, std::nullopt, "new");
  auto all = list(std::nullopt);
  CAF_REQUIRE_EQUAL(all.size(), 3u);
  const auto middle_ms = all[1].created_at_ms;
  CAF_REQUIRE_EQUAL(all[1].audit_id, b);
  auto since = [&](std::int64_t ms) {
    auto got =
      log.list(persistence::audit_filter{std::nullopt, std::nullopt, ms, 100});
    std::vector<std::string> out;
    if (!got) {
      CAF_CHECK_EQUAL(got.error().message, "");
      return out;
    }
    for (const auto& rec : *got)
      out.push_back(rec.audit_id);
    return out;
  };
  // "At or after": the record's own millisecond includes it.
  CAF_CHECK_EQUAL(since(middle_ms), (std::vector<std::string>{c, b}));
  CAF_CHECK_EQUAL(since(middle_ms + 1), (std::vector<std::string>{c}));
  CAF_CHECK_EQUAL(since(all[2].created_at_ms),
                  (std::vector<std::string>{c, b, a}));
  CAF_CHECK_EQUAL(since(0), (std::vector<std::string>{c, b, a}));
  CAF_CHECK_EQUAL(since(now_ms() + 60'000), std::vector<std::string>{});
}

CAF_TEST(list combines save device time and limit filters) {
  auto s1 = make_save("user-a");
  auto s2 = make_save("user-b");
  append(s1, std::string{"device-1"}, "early");
  let_time_pass();
  auto cut = list(std::nullopt).front().created_at_ms + 1;
  let_time_pass();
  auto b = append(s1, std::string{"device-1"}, "sync_up");
  let_time_pass();
  append(s1, std::string{"device-2"}, "sync_up");
  append(s2, std::string{"device-1"}, "sync_up");
  let_time_pass();
  auto e = append(s1, std::string{"device-1"}, "sync_down");
  persistence::audit_filter filter{s1, std::string{"device-1"}, cut, 100};
  auto got = log.list(filter);
  CAF_REQUIRE(got);
  CAF_REQUIRE_EQUAL(got->size(), 2u);
  CAF_CHECK_EQUAL((*got)[0].audit_id, e);
  CAF_CHECK_EQUAL((*got)[1].audit_id, b);
  filter.limit = 1;
  got = log.list(filter);
  CAF_REQUIRE(got);
  CAF_REQUIRE_EQUAL(got->size(), 1u);
  CAF_CHECK_EQUAL(got->front().audit_id, e);
  // Without the time bound the early record comes back too.
  filter.since_ms.reset();
  filter.limit = 100;
  got = log.list(filter);
  CAF_REQUIRE(got);
  CAF_CHECK_EQUAL(got->size(), 3u);
  // Junk save ids match nothing, as in the older list.
  filter.save_id = "nope";
  got = log.list(filter);
  CAF_REQUIRE(got);
  CAF_CHECK_EQUAL(got->size(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
