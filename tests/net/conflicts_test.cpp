// Conflicts and restores against the real awf-syncd (contract §5-§8): how
// each strategy settles a divergent sync up and the report it returns, the
// archives a ruling or a restore leaves (materialized and restored), the
// regression guard, pushes to a second device, the conflicts list and the
// conflict statistics. The manual strategy's 409 is in sync_rest_test.cpp.
#define CAF_SUITE conflicts

#include "caf/test/unit_test.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "tests/net/api_client.hpp"
#include "tests/net/ws_client.hpp"

using namespace awf;
using namespace awf::test::api;

namespace {

/// A UUID that names no save and no archive.
const std::string missing_id = "3f2a9c1e-7b4d-4e8a-9c0f-1d2e3f4a5b6c";

using texts = std::vector<std::string>;

json ids(std::int64_t first, std::int64_t last) {
  auto out = json::array();
  for (auto t = first; t <= last; ++t)
    out.push_back(t);
  return out;
}

/// `paths` sorted: the contract does not fix their order.
json sorted(json paths) {
  if (paths.is_array())
    std::sort(paths.begin(), paths.end());
  return paths;
}

/// True for the timestamps the API writes: 2024-05-01T12:34:56.789Z.
bool is_timestamp(const json& value) {
  if (!value.is_string())
    return false;
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() != 24 || text.back() != 'Z')
    return false;
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    char c = text[i];
    char want = i == 4 || i == 7     ? '-'
                : i == 10            ? 'T'
                : i == 13 || i == 16 ? ':'
                : i == 19            ? '.'
                                     : '0';
    if (want == '0' ? (c < '0' || c > '9') : c != want)
      return false;
  }
  return true;
}

/// A save whose history forked: the server device synced `server` up (the
/// head chain); the client's branch shares turns 1..fork with it.
struct divergence {
  save_ref save;
  history server;
  history client;
  std::int64_t fork = 0;
  std::string server_device; ///< the device that played the server branch
};

struct fixture : api_fixture {
  std::string alice = token("alice");
  std::string bob = token("bob");
  std::string admin = token("root", "admin");
  device phone = add_device(alice, "phone");
  device tablet = add_device(alice, "tablet");

  void check_refused(const http_reply& res, int status, const std::string& code,
                     const std::string& field = "") {
    json body = res.body; // a copy: operator[] may add what is missing
    CAF_CHECK_EQUAL(res.status, status);
    CAF_CHECK_EQUAL(body["error"]["code"], code);
    CAF_CHECK(body["error"]["message"].is_string());
    if (!field.empty())
      CAF_CHECK_EQUAL(body["error"]["details"]["field"], field);
    if (res.status != status)
      CAF_MESSAGE("answer: " << res.raw);
  }

  /// A save of `owner`: `server_dev` syncs up `shared` then `server_turns`;
  /// the client's branch is `shared` then `client_turns`.
  divergence diverge(const std::string& owner, const device& server_dev,
                     const std::string& session, const texts& shared,
                     const texts& server_turns, const texts& client_turns) {
    auto save = add_save(owner, session);
    history server{session};
    history client{session};
    for (const auto& s : shared) {
      server.add(s);
      client.add(s);
    }
    for (const auto& s : server_turns)
      server.add(s);
    for (const auto& s : client_turns)
      client.add(s);
    auto res =
      sync_up(server_dev.token,
              up_body(save.save_id, server_dev, server, 0, server.head_turn()));
    CAF_REQUIRE_EQUAL(res.status, 200);
    json head = res.body["head"];
    CAF_REQUIRE_EQUAL(head, server.head());
    CAF_REQUIRE_EQUAL(
      client.chain_at(static_cast<std::int64_t>(shared.size())),
      server.chain_at(static_cast<std::int64_t>(shared.size())));
    return {save, std::move(server), std::move(client),
            static_cast<std::int64_t>(shared.size()), server_dev.id};
  }

  divergence diverge(const std::string& session, const texts& shared,
                     const texts& server_turns, const texts& client_turns) {
    return diverge(alice, phone, session, shared, server_turns, client_turns);
  }

  /// Game states: turns 1..fork shared, the server's up to `server_last`,
  /// the client's (tagged "tablet") up to `client_last`.
  divergence diverge_game(const std::string& owner, const device& server_dev,
                          const std::string& session, int fork, int server_last,
                          int client_last) {
    texts shared, server_turns, client_turns;
    for (int t = 1; t <= fork; ++t)
      shared.push_back(game_state(t));
    for (int t = fork + 1; t <= server_last; ++t)
      server_turns.push_back(game_state(t));
    for (int t = fork + 1; t <= client_last; ++t)
      client_turns.push_back(game_state(t, "tablet"));
    return diverge(owner, server_dev, session, shared, server_turns,
                   client_turns);
  }

  divergence diverge_game(const std::string& session, int fork, int server_last,
                          int client_last) {
    return diverge_game(alice, phone, session, fork, server_last, client_last);
  }

  /// The sync up sending the client's branch from the fork.
  static json branch_body(const divergence& d, const device& dev,
                          const std::string& strategy,
                          std::optional<bool> confirm = {}) {
    auto body =
      up_body(d.save.save_id, dev, d.client, d.fork, d.client.head_turn());
    if (!strategy.empty())
      body["strategy"] = strategy;
    if (confirm)
      body["confirm_regression"] = *confirm;
    return body;
  }

  /// Sends the client's branch as the tablet (an empty strategy sends
  /// none: the default applies).
  http_reply settle(const divergence& d, const std::string& strategy,
                    std::optional<bool> confirm = {}) {
    return sync_up(tablet.token, branch_body(d, tablet, strategy, confirm));
  }

  /// Checks a conflict report against the divergence it settled.
  void check_report(json report, const divergence& d,
                    const std::string& strategy, const std::string& chosen,
                    const std::string& reason,
                    const std::string& client_device = "tablet") {
    CAF_REQUIRE(report.is_object());
    CAF_CHECK(is_uuid_text(report.value("conflict_id", "")));
    CAF_CHECK_EQUAL(report["save_id"], d.save.save_id);
    CAF_CHECK_EQUAL(report["fork_turn"], d.fork);
    CAF_CHECK_EQUAL(report["strategy"], strategy);
    CAF_REQUIRE(report["branches"].is_array());
    CAF_REQUIRE_EQUAL(report["branches"].size(), 2u);
    json server = report["branches"][0];
    json client = report["branches"][1];
    CAF_CHECK_EQUAL(server["branch_id"], "server");
    CAF_CHECK_EQUAL(server["turn_id"], d.server.head_turn());
    CAF_CHECK_EQUAL(server["chain_hash"], d.server.chain.back());
    // Each stored turn records its device: both branches name theirs.
    CAF_CHECK_EQUAL(server["device_id"], d.server_device);
    CAF_CHECK(server["integrity_score"].is_number_integer());
    CAF_CHECK_EQUAL(server["integrity_score"], 100);
    CAF_CHECK_EQUAL(client["branch_id"], "client");
    CAF_CHECK_EQUAL(client["turn_id"], d.client.head_turn());
    CAF_CHECK_EQUAL(client["chain_hash"], d.client.chain.back());
    CAF_CHECK_EQUAL(client["device_id"], client_device);
    CAF_CHECK(client["integrity_score"].is_number_integer());
    CAF_CHECK_EQUAL(client["integrity_score"], 100);
    json resolution = report["resolution"];
    std::string archived = chosen == "client" ? "server" : "client";
    CAF_CHECK_EQUAL(resolution["chosen_branch"], chosen);
    CAF_CHECK_EQUAL(resolution["archived_branch"], archived);
    CAF_CHECK(is_uuid_text(resolution.value("archive_id", "")));
    CAF_CHECK_EQUAL(resolution["reason"], reason);
    CAF_CHECK(resolution["conflicting_paths"].is_array());
    // The list is bounded; the total counts every conflicting path.
    CAF_CHECK(resolution["conflicting_paths_total"].is_number_integer());
    CAF_CHECK_EQUAL(resolution["conflicting_paths_truncated"],
                    resolution["conflicting_paths"].size() <
                      resolution.value("conflicting_paths_total", 0u));
  }

  /// Checks a 200 resolved answer and its report; returns the report.
  json check_resolved(const http_reply& res, const divergence& d,
                      const std::string& strategy, const std::string& chosen,
                      const std::string& reason) {
    CAF_CHECK_EQUAL(res.status, 200);
    if (res.status != 200)
      CAF_MESSAGE("answer: " << res.raw);
    json body = res.body;
    CAF_CHECK_EQUAL(body["status"], "resolved");
    CAF_CHECK(body["accepted"].is_array());
    json report = body["conflict"];
    check_report(report, d, strategy, chosen, reason);
    return report;
  }

  static std::string archive_of(json report) {
    if (!report.is_object() || !report["resolution"].is_object())
      return "";
    return report["resolution"].value("archive_id", "");
  }

  /// Materializes `turn` of an archive (its last turn when not given).
  http_reply archived(const std::string& bearer, const std::string& save_id,
                      const std::string& archive_id,
                      std::optional<std::int64_t> turn = {}) {
    json body{{"save_id", save_id}, {"archive_id", archive_id}};
    if (turn)
      body["turn_id"] = *turn;
    return materialize(bearer, body);
  }

  /// Checks a materialize answer against turn `t` of `h`.
  void check_state(const http_reply& res, const std::string& save_id,
                   const history& h, std::int64_t t) {
    CAF_CHECK_EQUAL(res.status, 200);
    if (res.status != 200) {
      CAF_MESSAGE("answer: " << res.raw);
      return;
    }
    json body = res.body;
    auto i = static_cast<std::size_t>(t);
    CAF_CHECK_EQUAL(body["save_id"], save_id);
    CAF_CHECK_EQUAL(body["turn_id"], t);
    CAF_CHECK_EQUAL(core::canonicalize(body["state"]), h.canonical.at(i));
    CAF_CHECK_EQUAL(body["state_hash"], h.hashes.at(i));
    CAF_CHECK_EQUAL(body["chain_hash"], h.chain_at(t));
  }

  /// The save's head chain is `h`: listed head, every turn, full verify.
  void check_head_chain(const std::string& save_id, const history& h) {
    json listed = listed_head(alice, save_id);
    CAF_CHECK_EQUAL(listed, h.head());
    for (std::int64_t t = 1; t <= h.head_turn(); ++t)
      check_state(materialize(alice, {{"save_id", save_id}, {"turn_id", t}}),
                  save_id, h, t);
    auto verified = verify(alice, {{"save_id", save_id}, {"full", true}});
    CAF_CHECK_EQUAL(verified.status, 200);
    json body = verified.body;
    CAF_CHECK_EQUAL(body["ok"], true);
    CAF_CHECK_EQUAL(body["checked_turns"], h.head_turn());
    CAF_CHECK_EQUAL(body["head"], h.head());
    CAF_CHECK_EQUAL(body["errors"], json::array());
    if (body["ok"] != true)
      CAF_MESSAGE("verify: " << verified.raw);
  }

  /// Sync down from turn `since` of `held` (what the device holds) ends at
  /// the head of `h` with its bytes.
  void check_down(const std::string& save_id, const history& held,
                  std::int64_t since, const history& h, bool expect_snapshot) {
    auto res = sync_down(tablet.token, save_id, since, held.chain_at(since));
    CAF_CHECK_EQUAL(res.status, 200);
    json body = res.body;
    CAF_CHECK_EQUAL(body["head"], h.head());
    CAF_CHECK_EQUAL(body.contains("snapshot"), expect_snapshot);
    auto r = replica::from(held, since);
    CAF_CHECK(r.apply(body));
    if (!r.failure.empty())
      CAF_MESSAGE("since " << since << ": " << r.failure);
    CAF_CHECK(r.matches(h));
  }

  /// Subscribes `ws` to the save from `since` and reads the sync_down reply.
  void follow(test::ws_client& ws, const std::string& save_id, json since) {
    CAF_REQUIRE(ws.upgraded());
    CAF_REQUIRE(ws.send({{"type", "subscribe"},
                         {"req_id", "follow"},
                         {"save_id", save_id},
                         {"since_turn", since["turn_id"]},
                         {"since_chain", since["chain_hash"]}}));
    auto reply = ws.read();
    CAF_REQUIRE(reply);
    json msg = *reply;
    CAF_REQUIRE_EQUAL(msg["type"], "sync_down");
    CAF_CHECK_EQUAL(msg["head"], since);
  }

  /// Reads the next message of `ws`: a turns push whose head is `h`'s,
  /// after which replica `r` holds `h`.
  void check_push(test::ws_client& ws, const std::string& save_id, replica& r,
                  const history& h) {
    auto push = ws.read();
    CAF_REQUIRE(push);
    json msg = *push;
    CAF_CHECK_EQUAL(msg["type"], "turns");
    CAF_CHECK_EQUAL(msg["save_id"], save_id);
    CAF_CHECK_EQUAL(msg["head"], h.head());
    CAF_MESSAGE("push " << (msg.contains("snapshot") ? "with" : "without")
                        << " a snapshot, " << msg["turns"].size() << " turns");
    CAF_CHECK(r.apply(msg));
    if (!r.failure.empty())
      CAF_MESSAGE("push: " << r.failure);
    CAF_CHECK(r.matches(h));
  }

  http_reply restore(const std::string& bearer, const json& body) {
    return call_with(http::verb::post, prefix + "/save/restore", body.dump(),
                     bearer);
  }

  http_reply conflicts(const std::string& bearer, const std::string& query) {
    return call_with(http::verb::get, prefix + "/save/conflicts" + query, "",
                     bearer);
  }

  json conflict_stats(const std::string& bearer) {
    auto res = call_with(http::verb::get, prefix + "/save/stats", "", bearer);
    if (res.status != 200)
      CAF_FAIL("save/stats answered " << res.status << ": " << res.raw);
    return res.body["conflicts"];
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(conflict_tests, fixture)

// -- strategies --------------------------------------------------------------

CAF_TEST(server wins keeps the head and archives the client branch) {
  // The client's branch is longer: server_wins overrides longest_chain.
  auto d = diverge_game("server-wins", 1, 4, 5);
  auto res = settle(d, "server_wins");
  auto report = check_resolved(res, d, "server_wins", "server", "server_wins");
  json head = res.body["head"];
  json accepted = res.body["accepted"];
  CAF_CHECK_EQUAL(head, d.server.head());
  CAF_CHECK_EQUAL(accepted, json::array());
  json paths = report["resolution"]["conflicting_paths"];
  CAF_CHECK_EQUAL(paths, json::array());
  check_head_chain(d.save.save_id, d.server);
  check_down(d.save.save_id, d.server, 1, d.server, false);
  // The archive holds the client's turns 2..5: its last by default, each
  // one by id, nothing else.
  auto archive_id = archive_of(report);
  auto last = archived(alice, d.save.save_id, archive_id);
  check_state(last, d.save.save_id, d.client, 5);
  for (std::int64_t t = 2; t <= 5; ++t)
    check_state(archived(phone.token, d.save.save_id, archive_id, t),
                d.save.save_id, d.client, t);
  for (std::int64_t t : {0, 1, 6, 100})
    check_refused(archived(alice, d.save.save_id, archive_id, t), 404,
                  "not_found");
  // Unknown, foreign or misplaced archive ids are not found; a malformed
  // one is a bad request.
  check_refused(archived(alice, d.save.save_id, missing_id), 404, "not_found");
  check_refused(archived(alice, d.save.save_id, "nope"), 400, "invalid_request",
                "archive_id");
  check_refused(archived(bob, d.save.save_id, archive_id), 404, "not_found");
  check_refused(archived(bob, d.save.save_id, archive_id, 2), 404, "not_found");
  auto other = add_save(alice, "server-wins-other");
  check_refused(archived(alice, other.save_id, archive_id), 404, "not_found");
  // Ill-typed fields are bad requests.
  check_refused(
    materialize(alice, {{"save_id", d.save.save_id}, {"archive_id", 5}}), 400,
    "invalid_request", "archive_id");
  check_refused(
    materialize(alice, {{"save_id", d.save.save_id}, {"archive_id", ""}}), 400,
    "invalid_request", "archive_id");
  check_refused(materialize(alice, {{"save_id", d.save.save_id},
                                    {"archive_id", archive_id},
                                    {"turn_id", "3"}}),
                400, "invalid_request", "turn_id");
  // The client's branch is not on the chain: syncing on from it is refused.
  auto more = d.client;
  more.add(game_state(6, "tablet"));
  check_refused(
    sync_up(tablet.token, up_body(d.save.save_id, tablet, more, 5, 6)), 409,
    "unknown_base");
  json after = listed_head(alice, d.save.save_id);
  CAF_CHECK_EQUAL(after, d.server.head());
}

CAF_TEST(client wins makes the client branch the head chain) {
  // The client's branch is shorter: client_wins overrides longest_chain.
  auto d = diverge_game("client-wins", 2, 5, 4);
  // Its first turn is a patch against the fork's state.
  auto body = up_body(d.save.save_id, tablet, d.client, 2, 4, false);
  CAF_REQUIRE(body["turns"][0].contains("patch"));
  body["strategy"] = "client_wins";
  auto res = sync_up(tablet.token, body);
  auto report = check_resolved(res, d, "client_wins", "client", "client_wins");
  json head = res.body["head"];
  json accepted = res.body["accepted"];
  CAF_CHECK_EQUAL(head, d.client.head());
  CAF_CHECK_EQUAL(accepted, ids(3, 4));
  check_head_chain(d.save.save_id, d.client);
  // The server's turns after the fork are archived.
  auto archive_id = archive_of(report);
  check_state(archived(alice, d.save.save_id, archive_id), d.save.save_id,
              d.server, 5);
  for (std::int64_t t = 3; t <= 5; ++t)
    check_state(archived(alice, d.save.save_id, archive_id, t), d.save.save_id,
                d.server, t);
  check_refused(archived(alice, d.save.save_id, archive_id, 2), 404,
                "not_found");
  // From the fork a device gets the client's turns; a device that holds the
  // old server head (or a turn after the fork) gets a snapshot of the new.
  check_down(d.save.save_id, d.client, 2, d.client, false);
  check_down(d.save.save_id, d.client, 1, d.client, false);
  check_down(d.save.save_id, d.server, 5, d.client, true);
  check_down(d.save.save_id, d.server, 3, d.client, true);
  // The phone's old head is gone; it goes on from the new head.
  auto phone_h = d.server;
  phone_h.add(game_state(6));
  check_refused(
    sync_up(phone.token, up_body(d.save.save_id, phone, phone_h, 5, 6)), 409,
    "unknown_base");
  auto next = d.client;
  next.add(game_state(5, "phone"));
  auto ff =
    sync_up(phone.token, up_body(d.save.save_id, phone, next, 4, 5, false));
  CAF_CHECK_EQUAL(ff.status, 200);
  json ff_body = ff.body;
  CAF_CHECK_EQUAL(ff_body["status"], "fast_forward");
  CAF_CHECK_EQUAL(ff_body["head"], next.head());
  check_head_chain(d.save.save_id, next);
  // The audit trail names the ruling.
  auto records =
    audit_until(admin, "save_id=" + d.save.save_id, [](const json& r) {
      return count_op(r, "sync_conflict") >= 1;
    });
  CAF_CHECK_EQUAL(count_op(records, "sync_conflict"), 1u);
  for (const auto& rec : records)
    if (rec["operation"] == "sync_conflict") {
      json details = rec["details"];
      CAF_CHECK_EQUAL(details["conflict_id"], report["conflict_id"]);
      CAF_CHECK_EQUAL(details["chosen_branch"], "client");
      CAF_CHECK_EQUAL(details["archive_id"], archive_id);
    }
  // The sync up that settled it is recorded in the same transaction.
  std::size_t resolved = 0;
  for (const auto& rec : records)
    if (rec["operation"] == "sync_up" &&
        rec["details"]["status"] == "resolved") {
      ++resolved;
      CAF_CHECK_EQUAL(rec["device_id"], "tablet");
    }
  CAF_CHECK_EQUAL(resolved, 1u);
}

CAF_TEST(longest chain picks the higher last turn and a tie keeps the server) {
  // No strategy: longest_chain. The client's branch is longer.
  auto longer = diverge_game("longest-client", 1, 3, 4);
  auto res = settle(longer, "");
  auto report =
    check_resolved(res, longer, "longest_chain", "client", "longest_chain");
  json head = res.body["head"];
  json accepted = res.body["accepted"];
  CAF_CHECK_EQUAL(head, longer.client.head());
  CAF_CHECK_EQUAL(accepted, ids(2, 4));
  check_head_chain(longer.save.save_id, longer.client);
  check_state(archived(alice, longer.save.save_id, archive_of(report)),
              longer.save.save_id, longer.server, 3);
  // A tie keeps the server, named or by default.
  auto tie = diverge_game("longest-tie", 1, 3, 3);
  for (const std::string strategy : {"longest_chain", ""}) {
    auto kept = settle(tie, strategy);
    auto tie_report =
      check_resolved(kept, tie, "longest_chain", "server", "longest_chain");
    json kept_head = kept.body["head"];
    json kept_accepted = kept.body["accepted"];
    CAF_CHECK_EQUAL(kept_head, tie.server.head());
    CAF_CHECK_EQUAL(kept_accepted, json::array());
    check_state(archived(alice, tie.save.save_id, archive_of(tie_report)),
                tie.save.save_id, tie.client, 3);
  }
  check_head_chain(tie.save.save_id, tie.server);
  // A shorter client branch loses too.
  auto shorter = diverge_game("longest-server", 2, 5, 4);
  auto lost = settle(shorter, "longest_chain");
  check_resolved(lost, shorter, "longest_chain", "server", "longest_chain");
  json lost_head = lost.body["head"];
  CAF_CHECK_EQUAL(lost_head, shorter.server.head());
  check_head_chain(shorter.save.save_id, shorter.server);
}

CAF_TEST(three way merge of disjoint edits appends one merged turn) {
  // Server: gold, stats.hp, inv[0], drops "quest". Client: name, stats.mp,
  // inv[2], adds "pet".
  auto d =
    diverge("merge-clean",
            {R"({"gold":10,"name":"Ann","inv":["sword","shield","potion"],)"
             R"("stats":{"hp":5,"mp":3},"quest":"old"})"},
            {R"({"gold":20,"name":"Ann","inv":["sword","shield","potion"],)"
             R"("stats":{"hp":5,"mp":3},"quest":"old"})",
             R"({"gold":20,"name":"Ann","inv":["axe","shield","potion"],)"
             R"("stats":{"hp":6,"mp":3}})"},
            {R"({"gold":10,"name":"Bea","inv":["sword","shield","potion"],)"
             R"("stats":{"hp":5,"mp":3},"quest":"old"})",
             R"({"gold":10,"name":"Bea","inv":["sword","shield","elixir"],)"
             R"("stats":{"hp":5,"mp":4},"quest":"old"})",
             R"({"gold":10,"name":"Bea","inv":["sword","shield","elixir"],)"
             R"("stats":{"hp":5,"mp":4},"quest":"old","pet":"cat"})"});
  auto res = settle(d, "three_way_merge");
  auto report =
    check_resolved(res, d, "three_way_merge", "merged", "three_way_merge");
  json paths = report["resolution"]["conflicting_paths"];
  CAF_CHECK_EQUAL(paths, json::array());
  auto expected = d.server;
  expected.add(R"({"gold":20,"name":"Bea","inv":["axe","shield","elixir"],)"
               R"("stats":{"hp":6,"mp":4},"pet":"cat"})");
  json head = res.body["head"];
  CAF_CHECK_EQUAL(head, expected.head());
  CAF_CHECK_EQUAL(expected.head_turn(), d.server.head_turn() + 1);
  check_head_chain(d.save.save_id, expected);
  check_down(d.save.save_id, d.server, 1, expected, false);
  check_down(d.save.save_id, d.server, 3, expected, false);
  // The client's branch is archived whole.
  auto archive_id = archive_of(report);
  for (std::int64_t t = 2; t <= 4; ++t)
    check_state(archived(alice, d.save.save_id, archive_id, t), d.save.save_id,
                d.client, t);
}

CAF_TEST(three way merge of overlapping edits lists the conflicting paths) {
  const texts fork{R"({"gold":10,"name":"Ann","a/b":1,"level":1,)"
                   R"("stats":{"hp":5}})"};
  // The client's branch is longer: its values win the overlaps.
  auto longer =
    diverge("merge-client", fork,
            {R"({"gold":20,"name":"Ann","a/b":2,"level":2,"stats":{"hp":5}})"},
            {R"({"gold":30,"name":"Bea","a/b":3,"level":1,"stats":{"hp":5}})",
             R"({"gold":30,"name":"Cid","a/b":3,"level":1,"stats":{"hp":5}})"});
  auto res = settle(longer, "three_way_merge");
  auto report =
    check_resolved(res, longer, "three_way_merge", "merged", "three_way_merge");
  json paths = sorted(report["resolution"]["conflicting_paths"]);
  CAF_CHECK_EQUAL(paths, json::parse(R"(["/a~1b","/gold"])"));
  auto expected = longer.server;
  expected.add(
    R"({"gold":30,"name":"Cid","a/b":3,"level":2,"stats":{"hp":5}})");
  json head = res.body["head"];
  CAF_CHECK_EQUAL(head, expected.head());
  check_head_chain(longer.save.save_id, expected);
  check_down(longer.save.save_id, longer.server, 1, expected, false);
  // A tie: the server's values win the overlaps, nested paths included.
  auto tie =
    diverge("merge-tie", fork,
            {R"({"gold":20,"name":"Ann","a/b":1,"level":2,"stats":{"hp":6}})",
             R"({"gold":25,"name":"Ann","a/b":1,"level":3,"stats":{"hp":6}})"},
            {R"({"gold":30,"name":"Bea","a/b":1,"level":1,"stats":{"hp":7}})",
             R"({"gold":30,"name":"Cid","a/b":1,"level":1,"stats":{"hp":7}})"});
  auto tied = settle(tie, "three_way_merge");
  auto tie_report =
    check_resolved(tied, tie, "three_way_merge", "merged", "three_way_merge");
  json tie_paths = sorted(tie_report["resolution"]["conflicting_paths"]);
  CAF_CHECK_EQUAL(tie_paths, json::parse(R"(["/gold","/stats/hp"])"));
  auto tie_expected = tie.server;
  tie_expected.add(
    R"({"gold":25,"name":"Cid","a/b":1,"level":3,"stats":{"hp":6}})");
  json tie_head = tied.body["head"];
  CAF_CHECK_EQUAL(tie_head, tie_expected.head());
  check_head_chain(tie.save.save_id, tie_expected);
}

CAF_TEST(a conflict report lists a bounded number of paths and counts all) {
  // `count` leaves under three nested keys of `key_bytes`, every one
  // changed on both branches: each JSON pointer repeats the keys (and so
  // does each operation of the patches that sync the branches up).
  auto tree = [](int value, std::size_t key_bytes, int count) {
    json leaves = json::object();
    for (int i = 0; i < count; ++i)
      leaves["l" + std::to_string(i)] = value;
    for (int depth = 0; depth < 3; ++depth)
      leaves = json{{"K" + std::to_string(depth) + std::string(key_bytes, 'x'),
                     std::move(leaves)}};
    return leaves.dump();
  };
  auto check_bounded = [&](const std::string& session, std::size_t key_bytes,
                           int count, std::size_t listed) {
    auto d = diverge(session, {tree(0, key_bytes, count)},
                     {tree(1, key_bytes, count)}, {tree(2, key_bytes, count)});
    auto res = settle(d, "three_way_merge");
    auto report =
      check_resolved(res, d, "three_way_merge", "merged", "three_way_merge");
    json resolution = report["resolution"];
    CAF_CHECK_EQUAL(resolution["conflicting_paths_total"], count);
    CAF_CHECK_EQUAL(resolution["conflicting_paths_truncated"], true);
    json paths = resolution["conflicting_paths"];
    CAF_REQUIRE(paths.is_array());
    CAF_CHECK_EQUAL(paths.size(), listed);
    std::size_t bytes = 0;
    for (const auto& path : paths)
      bytes += path.get<std::string>().size();
    CAF_CHECK_LESS_OR_EQUAL(bytes, std::size_t{16} * 1024);
    CAF_CHECK_LESS(res.raw.size(), std::size_t{64} * 1024);
    // Stored as answered: the list of conflicts carries the same report.
    auto listing = conflicts(alice, "?save_id=" + d.save.save_id);
    CAF_CHECK_EQUAL(listing.status, 200);
    json stored = listing.body["conflicts"];
    CAF_REQUIRE(stored.is_array() && stored.size() == 1u);
    CAF_CHECK_EQUAL(stored[0]["resolution"], resolution);
    CAF_CHECK_LESS(listing.raw.size(), std::size_t{64} * 1024);
  };
  // Long pointers (about 6 KB each): as many as fit in 16 KiB.
  check_bounded("merge-long-paths", 2000, 100, 2);
  // Short pointers: the first 100.
  check_bounded("merge-many-paths", 1, 1000, 100);
  // Counted as a merge with conflicting paths.
  json stats = conflict_stats(alice);
  CAF_CHECK_EQUAL(stats["merges"]["with_conflicting_paths"], 2);
}

CAF_TEST(three way merge of arrays conflicts by index or by the whole array) {
  const texts fork{R"({"inv":["a","b","c"],"n":1})"};
  // Same length on both sides: disjoint indices merge, the same index is a
  // conflict at its own path (the longer client wins it).
  auto same_length = diverge(
    "merge-array-index", fork, {R"({"inv":["S","X","c"],"n":1})"},
    {R"({"inv":["a","Y","C"],"n":1})", R"({"inv":["a","Y","C"],"n":2})"});
  auto res = settle(same_length, "three_way_merge");
  auto report = check_resolved(res, same_length, "three_way_merge", "merged",
                               "three_way_merge");
  json paths = report["resolution"]["conflicting_paths"];
  CAF_CHECK_EQUAL(paths, json::parse(R"(["/inv/1"])"));
  auto expected = same_length.server;
  expected.add(R"({"inv":["S","Y","C"],"n":2})");
  json head = res.body["head"];
  CAF_CHECK_EQUAL(head, expected.head());
  check_head_chain(same_length.save.save_id, expected);
  // One side changed the length, the other an element: the array is the
  // conflict (a tie, so the server's array stays).
  auto resized =
    diverge("merge-array-length", fork, {R"({"inv":["a","b","c","d"],"n":1})"},
            {R"({"inv":["a","Y","c"],"n":2})"});
  auto merged = settle(resized, "three_way_merge");
  auto resized_report = check_resolved(merged, resized, "three_way_merge",
                                       "merged", "three_way_merge");
  json resized_paths = resized_report["resolution"]["conflicting_paths"];
  CAF_CHECK_EQUAL(resized_paths, json::parse(R"(["/inv"])"));
  auto resized_expected = resized.server;
  resized_expected.add(R"({"inv":["a","b","c","d"],"n":2})");
  json resized_head = merged.body["head"];
  CAF_CHECK_EQUAL(resized_head, resized_expected.head());
  check_head_chain(resized.save.save_id, resized_expected);
}

CAF_TEST(a branch may fork at turn zero) {
  // Nothing in common: client_wins replaces the whole chain.
  auto d = diverge_game("fork-zero", 0, 3, 4);
  auto res = settle(d, "client_wins");
  auto report = check_resolved(res, d, "client_wins", "client", "client_wins");
  json head = res.body["head"];
  json accepted = res.body["accepted"];
  CAF_CHECK_EQUAL(head, d.client.head());
  CAF_CHECK_EQUAL(accepted, ids(1, 4));
  check_head_chain(d.save.save_id, d.client);
  check_down(d.save.save_id, d.server, 0, d.client, true);
  check_down(d.save.save_id, d.server, 2, d.client, true);
  auto archive_id = archive_of(report);
  for (std::int64_t t = 1; t <= 3; ++t)
    check_state(archived(alice, d.save.save_id, archive_id, t), d.save.save_id,
                d.server, t);
  check_refused(archived(alice, d.save.save_id, archive_id, 0), 404,
                "not_found");
  // A merge from turn 0 merges against nothing (null).
  auto m = diverge("fork-zero-merge", {}, {R"({"a":1})", R"({"a":1,"s":1})"},
                   {R"({"c":1})"});
  auto merged = settle(m, "three_way_merge");
  auto merge_report =
    check_resolved(merged, m, "three_way_merge", "merged", "three_way_merge");
  json paths = merge_report["resolution"]["conflicting_paths"];
  CAF_CHECK_EQUAL(paths, json::array());
  auto expected = m.server;
  expected.add(R"({"a":1,"c":1,"s":1})");
  json merged_head = merged.body["head"];
  CAF_CHECK_EQUAL(merged_head, expected.head());
  check_head_chain(m.save.save_id, expected);
  check_down(m.save.save_id, m.server, 1, expected, false);
}

CAF_TEST(turns replayed before the fork are part of the request) {
  // The client resends turns 1..2 (on the chain) with its own 3..4: the
  // fork is turn 2, and the replayed turns count as accepted.
  auto d = diverge_game("replayed-prefix", 2, 4, 4);
  auto body = up_body(d.save.save_id, tablet, d.client, 0, 4);
  body["strategy"] = "server_wins";
  auto kept = sync_up(tablet.token, body);
  check_resolved(kept, d, "server_wins", "server", "server_wins");
  json kept_head = kept.body["head"];
  json kept_accepted = kept.body["accepted"];
  CAF_CHECK_EQUAL(kept_head, d.server.head());
  CAF_CHECK_EQUAL(kept_accepted, ids(1, 2));
  body["strategy"] = "client_wins";
  auto res = sync_up(tablet.token, body);
  check_resolved(res, d, "client_wins", "client", "client_wins");
  json head = res.body["head"];
  json accepted = res.body["accepted"];
  CAF_CHECK_EQUAL(head, d.client.head());
  CAF_CHECK_EQUAL(accepted, ids(1, 4));
  check_head_chain(d.save.save_id, d.client);
  // The same request again is now a replay.
  auto again = sync_up(tablet.token, body);
  CAF_CHECK_EQUAL(again.status, 200);
  json again_body = again.body;
  CAF_CHECK_EQUAL(again_body["status"], "up_to_date");
  CAF_CHECK_EQUAL(again_body["head"], d.client.head());
  CAF_CHECK(again_body["conflict"].is_null());
}

CAF_TEST(long branches cross snapshots when archived and adopted) {
  // Both branches are longer than snapshot_every (25 turns).
  auto d = diverge_game("long-branches", 10, 70, 75);
  auto res = settle(d, "");
  auto report =
    check_resolved(res, d, "longest_chain", "client", "longest_chain");
  json head = res.body["head"];
  json accepted = res.body["accepted"];
  CAF_CHECK_EQUAL(head, d.client.head());
  CAF_CHECK_EQUAL(accepted, ids(11, 75));
  check_head_chain(d.save.save_id, d.client);
  auto archive_id = archive_of(report);
  for (std::int64_t t = 11; t <= 70; ++t)
    check_state(archived(alice, d.save.save_id, archive_id, t), d.save.save_id,
                d.server, t);
  // The adopted chain goes on: 30 more turns, in two requests.
  auto h = d.client;
  for (int t = 76; t <= 105; ++t)
    h.add(game_state(t, "tablet"));
  for (auto [from, to] : {std::pair{75, 90}, std::pair{90, 105}}) {
    auto ff = sync_up(tablet.token,
                      up_body(d.save.save_id, tablet, h, from, to, false));
    CAF_CHECK_EQUAL(ff.status, 200);
    json ff_head = ff.body["head"];
    CAF_CHECK_EQUAL(ff_head, h.at(to));
  }
  // A restore of an adopted turn, then a losing branch from before it.
  auto restored =
    restore(alice, {{"save_id", d.save.save_id}, {"turn_id", 50}});
  CAF_CHECK_EQUAL(restored.status, 200);
  h.add_value(d.client.states[50]);
  json restored_head = restored.body["head"];
  CAF_CHECK_EQUAL(restored_head, h.head());
  check_head_chain(d.save.save_id, h);
  check_down(d.save.save_id, h, 40, h, false);
  history late{d.save.session_id};
  for (std::size_t t = 1; t <= 100; ++t)
    late.add_value(h.states[t]);
  for (int t = 101; t <= 103; ++t)
    late.add(game_state(t, "late"));
  auto lost = sync_up(phone.token, [&] {
    auto body = up_body(d.save.save_id, phone, late, 100, 103, false);
    body["strategy"] = "server_wins";
    return body;
  }());
  CAF_CHECK_EQUAL(lost.status, 200);
  json lost_report = lost.body["conflict"];
  CAF_CHECK_EQUAL(lost_report["fork_turn"], 100);
  auto late_archive = archive_of(lost_report);
  for (std::int64_t t = 101; t <= 103; ++t)
    check_state(archived(alice, d.save.save_id, late_archive, t),
                d.save.save_id, late, t);
  check_head_chain(d.save.save_id, h);
}

CAF_TEST(a conflict settled over the socket pushes the other devices) {
  auto watch = add_device(alice, "watch");
  auto d = diverge_game("ws-conflict", 1, 3, 4);
  test::ws_client other{port(), watch.token};
  follow(other, d.save.save_id, d.server.head());
  test::ws_client mine{port(), tablet.token};
  follow(mine, d.save.save_id, d.server.head());
  auto r = replica::from(d.server, 3);
  auto msg = branch_body(d, tablet, "client_wins");
  msg["type"] = "sync_up";
  msg["req_id"] = "c1";
  CAF_REQUIRE(mine.send(msg));
  auto reply = mine.read();
  CAF_REQUIRE(reply);
  json result = *reply;
  CAF_CHECK_EQUAL(result["type"], "sync_up_result");
  CAF_CHECK_EQUAL(result["req_id"], "c1");
  CAF_CHECK_EQUAL(result["status"], "resolved");
  CAF_CHECK_EQUAL(result["head"], d.client.head());
  CAF_CHECK_EQUAL(result["accepted"], ids(2, 4));
  check_report(result["conflict"], d, "client_wins", "client", "client_wins");
  check_push(other, d.save.save_id, r, d.client);
  // A manual conflict over the socket is an error frame. It is the next
  // message: the device that made the change was not pushed its turns.
  auto manual = branch_body(d, tablet, "manual");
  history again{d.save.session_id};
  again.add(game_state(1));
  again.add(game_state(2, "again"));
  manual["base"] = again.at(1);
  manual["turns"] = again.wire_turns(2, 2);
  manual["type"] = "sync_up";
  manual["req_id"] = "c2";
  CAF_REQUIRE(mine.send(manual));
  auto refused = mine.read();
  CAF_REQUIRE(refused);
  json error = *refused;
  CAF_CHECK_EQUAL(error["type"], "error");
  CAF_CHECK_EQUAL(error["req_id"], "c2");
  CAF_CHECK_EQUAL(error["error"]["code"], "conflict_manual");
  json listed = listed_head(alice, d.save.save_id);
  CAF_CHECK_EQUAL(listed, d.client.head());
}

// -- regression guard --------------------------------------------------------

CAF_TEST(an empty client branch never replaces a non empty head unconfirmed) {
  // client_wins with {} as the client's last state.
  auto d =
    diverge("guard-object", {game_state(1)}, {game_state(2), game_state(3)},
            {game_state(2, "tablet"), "{}"});
  auto res = settle(d, "client_wins");
  auto report =
    check_resolved(res, d, "client_wins", "server", "regression_guard");
  json head = res.body["head"];
  json accepted = res.body["accepted"];
  CAF_CHECK_EQUAL(head, d.server.head());
  CAF_CHECK_EQUAL(accepted, json::array());
  check_head_chain(d.save.save_id, d.server);
  check_state(archived(alice, d.save.save_id, archive_of(report)),
              d.save.save_id, d.client, 3);
  // confirm_regression false is the default; true lets the branch win.
  auto unconfirmed = settle(d, "client_wins", false);
  check_resolved(unconfirmed, d, "client_wins", "server", "regression_guard");
  auto confirmed = settle(d, "client_wins", true);
  check_resolved(confirmed, d, "client_wins", "client", "client_wins");
  json confirmed_head = confirmed.body["head"];
  CAF_CHECK_EQUAL(confirmed_head, d.client.head());
  check_head_chain(d.save.save_id, d.client);
  // longest_chain with a longer branch ending in [].
  auto list = diverge("guard-array", {game_state(1)}, {game_state(2)},
                      {game_state(2, "tablet"), "[]"});
  auto guarded = settle(list, "longest_chain");
  check_resolved(guarded, list, "longest_chain", "server", "regression_guard");
  json guarded_head = guarded.body["head"];
  CAF_CHECK_EQUAL(guarded_head, list.server.head());
  check_head_chain(list.save.save_id, list.server);
  auto list_confirmed = settle(list, "", true);
  check_resolved(list_confirmed, list, "longest_chain", "client",
                 "longest_chain");
  check_head_chain(list.save.save_id, list.client);
  // client_wins with null.
  auto none = diverge("guard-null", {game_state(1)}, {game_state(2)},
                      {game_state(2, "tablet"), "null"});
  auto kept = settle(none, "client_wins");
  check_resolved(kept, none, "client_wins", "server", "regression_guard");
  check_head_chain(none.save.save_id, none.server);
  auto none_confirmed = settle(none, "client_wins", true);
  check_resolved(none_confirmed, none, "client_wins", "client", "client_wins");
  check_head_chain(none.save.save_id, none.client);
}

CAF_TEST(the regression guard looks at last states only) {
  // An empty state in the middle of the client's branch does not matter.
  auto middle =
    diverge("guard-middle", {game_state(1)}, {game_state(2), game_state(3)},
            {"{}", game_state(3, "tablet")});
  auto res = settle(middle, "client_wins");
  check_resolved(res, middle, "client_wins", "client", "client_wins");
  check_head_chain(middle.save.save_id, middle.client);
  // An empty head has nothing to protect.
  auto empty_head = diverge("guard-empty-head", {game_state(1)}, {"{}"},
                            {game_state(2, "tablet"), "null"});
  auto took = settle(empty_head, "client_wins");
  check_resolved(took, empty_head, "client_wins", "client", "client_wins");
  check_head_chain(empty_head.save.save_id, empty_head.client);
  // A merge that would empty the head is guarded too: the client removed
  // "a", which the server changed, and the longer client wins the overlap.
  auto merge =
    diverge("guard-merge", {R"({"a":1})"}, {R"({"a":2})"}, {"{}", "{}"});
  auto blocked = settle(merge, "three_way_merge");
  check_resolved(blocked, merge, "three_way_merge", "server",
                 "regression_guard");
  check_head_chain(merge.save.save_id, merge.server);
  auto allowed = settle(merge, "three_way_merge", true);
  auto report = check_resolved(allowed, merge, "three_way_merge", "merged",
                               "three_way_merge");
  json paths = report["resolution"]["conflicting_paths"];
  CAF_CHECK_EQUAL(paths, json::parse(R"(["/a"])"));
  auto expected = merge.server;
  expected.add("{}");
  check_head_chain(merge.save.save_id, expected);
}

// -- pushes ------------------------------------------------------------------

CAF_TEST(a subscribed device is pushed the head a conflict settles) {
  auto watch = add_device(alice, "watch");
  auto d = diverge("push", {R"({"gold":1,"name":"Ann","turn":1})"},
                   {R"({"gold":2,"name":"Ann","turn":2})",
                    R"({"gold":3,"name":"Ann","turn":3})"},
                   {R"({"gold":1,"name":"Bea","turn":2})",
                    R"({"gold":1,"name":"Bea","turn":3})",
                    R"({"gold":1,"name":"Cid","turn":4})"});
  test::ws_client ws{port(), watch.token};
  follow(ws, d.save.save_id, d.server.head());
  auto r = replica::from(d.server, d.server.head_turn());
  // client_wins over REST: the watch's head left the chain.
  auto won = settle(d, "client_wins");
  check_resolved(won, d, "client_wins", "client", "client_wins");
  check_push(ws, d.save.save_id, r, d.client);
  // The phone merges its own edit onto the client's turn 3: the watch gets
  // the merged turn on top of the head it holds.
  history mine{d.save.session_id};
  for (std::size_t t = 1; t <= 3; ++t)
    mine.add_value(d.client.states[t]);
  mine.add(R"({"gold":9,"name":"Bea","turn":4})");
  auto body = up_body(d.save.save_id, phone, mine, 3, 4);
  body["strategy"] = "three_way_merge";
  auto merged = sync_up(phone.token, body);
  CAF_CHECK_EQUAL(merged.status, 200);
  json report = merged.body["conflict"];
  json resolution = report["resolution"];
  CAF_CHECK_EQUAL(resolution["chosen_branch"], "merged");
  CAF_CHECK_EQUAL(resolution["conflicting_paths"], json::array());
  CAF_CHECK_EQUAL(report["fork_turn"], 3);
  auto expected = d.client;
  expected.add(R"({"gold":9,"name":"Cid","turn":4})");
  json head = merged.body["head"];
  CAF_CHECK_EQUAL(head, expected.head());
  check_push(ws, d.save.save_id, r, expected);
  check_head_chain(d.save.save_id, expected);
  // A server_wins ruling moves no head: nothing is pushed.
  body["strategy"] = "server_wins";
  auto lost = sync_up(phone.token, body);
  CAF_CHECK_EQUAL(lost.status, 200);
  json lost_head = lost.body["head"];
  json lost_chosen = lost.body["conflict"]["resolution"]["chosen_branch"];
  CAF_CHECK_EQUAL(lost_head, expected.head());
  CAF_CHECK_EQUAL(lost_chosen, "server");
  auto quiet = ws.read(std::chrono::milliseconds{300});
  CAF_CHECK(!quiet);
  if (quiet)
    CAF_MESSAGE("unexpected message: " << quiet->dump());
}

// -- restore -----------------------------------------------------------------

CAF_TEST(restore appends a past turn and archives the replaced head) {
  auto watch = add_device(alice, "watch");
  auto save = add_save(alice, "restore");
  history a{save.session_id};
  for (int t = 1; t <= 5; ++t)
    a.add(game_state(t));
  auto played = sync_up(phone.token, up_body(save.save_id, phone, a, 0, 5));
  CAF_REQUIRE_EQUAL(played.status, 200);
  test::ws_client ws{port(), watch.token};
  follow(ws, save.save_id, a.head());
  auto r = replica::from(a, 5);
  // Turn 2 becomes turn 6.
  auto res = restore(alice, {{"save_id", save.save_id}, {"turn_id", 2}});
  CAF_CHECK_EQUAL(res.status, 200);
  auto expected = a;
  expected.add_value(a.states[2]);
  json head = res.body["head"];
  json from = res.body["restored_from"];
  CAF_CHECK_EQUAL(head, expected.head());
  CAF_CHECK_EQUAL(from, json({{"turn_id", 2}}));
  check_push(ws, save.save_id, r, expected);
  check_head_chain(save.save_id, expected);
  check_down(save.save_id, a, 5, expected, false);
  // The replaced head is kept in an archive named by the audit record.
  auto records =
    audit_until(admin, "save_id=" + save.save_id,
                [](const json& l) { return count_op(l, "save_restore") >= 1; });
  CAF_REQUIRE_EQUAL(count_op(records, "save_restore"), 1u);
  std::string replaced;
  for (const auto& rec : records)
    if (rec["operation"] == "save_restore") {
      json details = rec["details"];
      CAF_CHECK_EQUAL(details["restored_from"]["turn_id"], 2);
      CAF_CHECK_EQUAL(details["head_turn"], 6);
      replaced = details.value("replaced_archive_id", "");
    }
  CAF_REQUIRE(is_uuid_text(replaced));
  check_state(archived(alice, save.save_id, replaced), save.save_id, a, 5);
  check_state(archived(alice, save.save_id, replaced, 5), save.save_id, a, 5);
  for (std::int64_t t : {4, 6})
    check_refused(archived(alice, save.save_id, replaced, t), 404, "not_found");
  // That archive restores the old head (its last turn by default) as 7.
  auto back =
    restore(phone.token, {{"save_id", save.save_id}, {"archive_id", replaced}});
  CAF_CHECK_EQUAL(back.status, 200);
  expected.add_value(a.states[5]);
  json back_head = back.body["head"];
  json back_from = back.body["restored_from"];
  CAF_CHECK_EQUAL(back_head, expected.head());
  CAF_CHECK_EQUAL(back_from, json({{"turn_id", 5}, {"archive_id", replaced}}));
  check_push(ws, save.save_id, r, expected);
  // The head itself may be restored: one more turn with the same state.
  auto again = restore(alice, {{"save_id", save.save_id}, {"turn_id", 7}});
  CAF_CHECK_EQUAL(again.status, 200);
  expected.add_value(a.states[5]);
  json again_head = again.body["head"];
  CAF_CHECK_EQUAL(again_head, expected.head());
  check_push(ws, save.save_id, r, expected);
  check_head_chain(save.save_id, expected);
  check_down(save.save_id, a, 1, expected, false);
  // Every restore left its own manual_restore archive.
  records = audit_until(admin, "save_id=" + save.save_id, [](const json& l) {
    return count_op(l, "save_restore") >= 3;
  });
  CAF_CHECK_EQUAL(count_op(records, "save_restore"), 3u);
  std::vector<std::string> archives;
  for (const auto& rec : records)
    if (rec["operation"] == "save_restore")
      archives.push_back(rec["details"].value("replaced_archive_id", ""));
  std::sort(archives.begin(), archives.end());
  CAF_CHECK(std::unique(archives.begin(), archives.end()) == archives.end());
  for (const auto& id : archives)
    if (id != replaced) {
      // Those replaced turns 6 and 7.
      auto old = archived(alice, save.save_id, id);
      CAF_CHECK_EQUAL(old.status, 200);
      json old_body = old.body;
      auto turn = old_body.value("turn_id", std::int64_t{0});
      CAF_CHECK(turn == 6 || turn == 7);
      if (turn == 6 || turn == 7)
        check_state(old, save.save_id, expected, turn);
    }
}

CAF_TEST(restore brings back a turn of a losing conflict branch) {
  auto watch = add_device(alice, "watch");
  auto d = diverge_game("restore-conflict", 1, 3, 4);
  auto settled = settle(d, "server_wins");
  auto report =
    check_resolved(settled, d, "server_wins", "server", "server_wins");
  auto archive_id = archive_of(report);
  test::ws_client ws{port(), watch.token};
  follow(ws, d.save.save_id, d.server.head());
  auto r = replica::from(d.server, 3);
  // The archive's last turn by default.
  auto res =
    restore(alice, {{"save_id", d.save.save_id}, {"archive_id", archive_id}});
  CAF_CHECK_EQUAL(res.status, 200);
  auto expected = d.server;
  expected.add_value(d.client.states[4]);
  json head = res.body["head"];
  json from = res.body["restored_from"];
  CAF_CHECK_EQUAL(head, expected.head());
  CAF_CHECK_EQUAL(from, json({{"turn_id", 4}, {"archive_id", archive_id}}));
  check_push(ws, d.save.save_id, r, expected);
  // A chosen turn of it.
  auto second = restore(
    tablet.token,
    {{"save_id", d.save.save_id}, {"archive_id", archive_id}, {"turn_id", 2}});
  CAF_CHECK_EQUAL(second.status, 200);
  expected.add_value(d.client.states[2]);
  json second_head = second.body["head"];
  json second_from = second.body["restored_from"];
  CAF_CHECK_EQUAL(second_head, expected.head());
  CAF_CHECK_EQUAL(second_from,
                  json({{"turn_id", 2}, {"archive_id", archive_id}}));
  check_push(ws, d.save.save_id, r, expected);
  check_head_chain(d.save.save_id, expected);
  check_down(d.save.save_id, d.server, 1, expected, false);
  // The archive itself is unchanged.
  check_state(archived(alice, d.save.save_id, archive_id), d.save.save_id,
              d.client, 4);
  // Turns the archive does not hold.
  for (std::int64_t t : {1, 5})
    check_refused(restore(alice, {{"save_id", d.save.save_id},
                                  {"archive_id", archive_id},
                                  {"turn_id", t}}),
                  404, "not_found");
  json listed = listed_head(alice, d.save.save_id);
  CAF_CHECK_EQUAL(listed, expected.head());
  // A manual conflict keeps the head until someone restores the branch.
  auto m = diverge_game("restore-manual", 1, 3, 3);
  auto held = settle(m, "manual");
  check_refused(held, 409, "conflict_manual");
  json manual_report = held.body["error"]["details"]["conflict"];
  check_report(manual_report, m, "manual", "server", "manual");
  json held_head = listed_head(alice, m.save.save_id);
  CAF_CHECK_EQUAL(held_head, m.server.head());
  auto chosen =
    restore(tablet.token, {{"save_id", m.save.save_id},
                           {"archive_id", archive_of(manual_report)}});
  CAF_CHECK_EQUAL(chosen.status, 200);
  auto after_manual = m.server;
  after_manual.add_value(m.client.states[3]);
  json chosen_head = chosen.body["head"];
  CAF_CHECK_EQUAL(chosen_head, after_manual.head());
  check_head_chain(m.save.save_id, after_manual);
}

CAF_TEST(restore refuses bad requests and stores nothing) {
  auto d = diverge_game("restore-refusals", 1, 3, 3);
  auto settled = settle(d, "server_wins");
  CAF_REQUIRE_EQUAL(settled.status, 200);
  auto archive_id = archive_of(settled.body["conflict"]);
  CAF_REQUIRE(is_uuid_text(archive_id));
  const auto& id = d.save.save_id;
  // Ill-formed bodies.
  check_refused(restore(alice, {{"save_id", id}}), 400, "invalid_request",
                "turn_id");
  for (const auto& bad :
       {json("2"), json(2.5), json(-1), json(nullptr), json::array()})
    check_refused(restore(alice, {{"save_id", id}, {"turn_id", bad}}), 400,
                  "invalid_request", "turn_id");
  check_refused(restore(alice, {{"turn_id", 1}}), 400, "invalid_request",
                "save_id");
  check_refused(restore(alice, {{"save_id", 5}, {"turn_id", 1}}), 400,
                "invalid_request", "save_id");
  check_refused(restore(alice, {{"save_id", id}, {"archive_id", 5}}), 400,
                "invalid_request", "archive_id");
  check_refused(restore(alice, {{"save_id", id}, {"archive_id", ""}}), 400,
                "invalid_request", "archive_id");
  check_refused(
    restore(alice,
            {{"save_id", id}, {"archive_id", archive_id}, {"turn_id", "2"}}),
    400, "invalid_request", "turn_id");
  auto text = call_with(http::verb::post, prefix + "/save/restore",
                        R"({"save_id":)", alice);
  check_refused(text, 400, "invalid_json");
  // Turns that are not on the head chain.
  for (std::int64_t t : {0, 4, 1000})
    check_refused(restore(alice, {{"save_id", id}, {"turn_id", t}}), 404,
                  "not_found");
  // Archives that do not exist, or belong to another save; a malformed id.
  check_refused(restore(alice, {{"save_id", id}, {"archive_id", "nope"}}), 400,
                "invalid_request", "archive_id");
  check_refused(restore(alice, {{"save_id", id}, {"archive_id", missing_id}}),
                404, "not_found");
  auto other = diverge_game("restore-other", 1, 2, 2);
  auto other_settled = settle(other, "server_wins");
  CAF_REQUIRE_EQUAL(other_settled.status, 200);
  auto other_archive = archive_of(other_settled.body["conflict"]);
  check_refused(
    restore(alice, {{"save_id", id}, {"archive_id", other_archive}}), 404,
    "not_found");
  // Another user's save, and a save that does not exist.
  auto bobs = add_device(bob, "bobs-phone");
  check_refused(restore(bob, {{"save_id", id}, {"turn_id", 1}}), 404,
                "not_found");
  check_refused(restore(bobs.token, {{"save_id", id}, {"turn_id", 1}}), 404,
                "not_found");
  check_refused(restore(bob, {{"save_id", id}, {"archive_id", archive_id}}),
                404, "not_found");
  check_refused(restore(alice, {{"save_id", missing_id}, {"turn_id", 1}}), 404,
                "not_found");
  // An empty save has no turn to restore.
  auto empty = add_save(alice, "restore-empty");
  check_refused(restore(alice, {{"save_id", empty.save_id}, {"turn_id", 1}}),
                404, "not_found");
  check_refused(
    restore(alice, {{"save_id", empty.save_id}, {"archive_id", archive_id}}),
    404, "not_found");
  json empty_head = listed_head(alice, empty.save_id);
  CAF_CHECK_EQUAL(empty_head["turn_id"], 0);
  // No token.
  auto anonymous = restore("", {{"save_id", id}, {"turn_id", 1}});
  CAF_CHECK_EQUAL(anonymous.status, 401);
  // Nothing of it was stored.
  check_head_chain(id, d.server);
  check_head_chain(other.save.save_id, other.server);
  CAF_CHECK_EQUAL(
    call_with(http::verb::get, prefix + "/save/restore", "", alice).status,
    405);
}

// -- conflicts list and statistics -------------------------------------------

CAF_TEST(save conflicts lists stored reports newest first) {
  auto first = diverge_game("list-first", 1, 3, 3);
  auto second = diverge_game("list-second", 1, 2, 3);
  auto quiet = add_save(alice, "list-quiet");
  // Three rulings on the first save, one on the second.
  std::vector<json> reports;
  auto r1 = settle(first, "server_wins");
  reports.push_back(r1.body["conflict"]);
  auto r2 = settle(first, "manual");
  CAF_CHECK_EQUAL(r2.status, 409);
  reports.push_back(r2.body["error"]["details"]["conflict"]);
  auto r3 = settle(first, "client_wins");
  reports.push_back(r3.body["conflict"]);
  auto r4 = settle(second, "");
  reports.push_back(r4.body["conflict"]);
  for (const auto& rep : reports)
    CAF_REQUIRE(rep.is_object() && rep.contains("conflict_id"));
  // Listed as stored, with created_at, newest first.
  auto listing = [&](const std::string& bearer, const std::string& query,
                     const std::vector<std::size_t>& order) {
    auto res = conflicts(bearer, query);
    CAF_CHECK_EQUAL(res.status, 200);
    json list = res.body["conflicts"];
    CAF_REQUIRE(list.is_array());
    CAF_CHECK_EQUAL(list.size(), order.size());
    if (list.size() != order.size()) {
      CAF_MESSAGE(query << ": " << res.raw);
      return;
    }
    for (std::size_t i = 0; i < order.size(); ++i) {
      json item = list[i];
      CAF_CHECK(is_timestamp(item["created_at"]));
      if (i > 0)
        CAF_CHECK(list[i - 1]["created_at"].get<std::string>() >=
                  item["created_at"].get<std::string>());
      item.erase("created_at");
      CAF_CHECK_EQUAL(item, reports[order[i]]);
    }
  };
  auto of = [](const save_ref& s) { return "?save_id=" + s.save_id; };
  listing(alice, of(first.save), {2, 1, 0});
  listing(phone.token, of(first.save), {2, 1, 0});
  listing(alice, of(first.save) + "&limit=2", {2, 1});
  listing(alice, of(first.save) + "&limit=1", {2});
  listing(alice, of(first.save) + "&limit=1000", {2, 1, 0});
  listing(alice, of(second.save), {3});
  listing(alice, of(quiet), {});
  // Operators list one save of anyone, or every save.
  listing(admin, of(first.save), {2, 1, 0});
  listing(admin, "", {3, 2, 1, 0});
  listing(admin, "?limit=3", {3, 2, 1});
  // Refusals.
  for (const std::string limit : {"0", "-1", "1001", "abc", "", "2.5"})
    check_refused(conflicts(alice, of(first.save) + "&limit=" + limit), 400,
                  "invalid_request", "limit");
  check_refused(conflicts(alice, ""), 400, "invalid_request", "save_id");
  check_refused(conflicts(phone.token, "?limit=5"), 400, "invalid_request",
                "save_id");
  check_refused(conflicts(alice, "?save_id="), 400, "invalid_request",
                "save_id");
  check_refused(conflicts(bob, of(first.save)), 404, "not_found");
  check_refused(conflicts(alice, "?save_id=" + missing_id), 404, "not_found");
  check_refused(conflicts(alice, "?save_id=nope"), 400, "invalid_request",
                "save_id");
  CAF_CHECK_EQUAL(conflicts("", of(first.save)).status, 401);
  CAF_CHECK_EQUAL(
    call_with(http::verb::post, prefix + "/save/conflicts", "{}", alice).status,
    405);
}

CAF_TEST(save stats counts the callers conflicts) {
  auto carol = token("carol");
  auto dave = token("dave");
  auto c_phone = add_device(carol, "carol-phone");
  auto c_tablet = add_device(carol, "carol-tablet");
  auto none = conflict_stats(carol);
  CAF_CHECK_EQUAL(none["total"], 0);
  CAF_CHECK_EQUAL(none["by_strategy"], json::object());
  CAF_CHECK_EQUAL(none["by_reason"], json::object());
  CAF_CHECK_EQUAL(none["by_chosen_branch"], json::object());
  CAF_CHECK_EQUAL(none["merges"],
                  json::parse(R"({"clean":0,)"
                              R"("with_conflicting_paths":0})"));
  auto run = [&](const divergence& d, const std::string& strategy,
                 std::optional<bool> confirm, int status) {
    auto res =
      sync_up(c_tablet.token, branch_body(d, c_tablet, strategy, confirm));
    CAF_CHECK_EQUAL(res.status, status);
    if (res.status != status)
      CAF_MESSAGE(res.raw);
  };
  auto game = [&](const std::string& session, int server_last,
                  int client_last) {
    return diverge_game(carol, c_phone, session, 1, server_last, client_last);
  };
  run(game("s-server", 3, 3), "server_wins", {}, 200);
  run(game("s-client", 3, 3), "client_wins", {}, 200);
  run(game("s-tie", 3, 3), "", {}, 200);
  run(game("s-manual", 3, 3), "manual", {}, 409);
  run(diverge(carol, c_phone, "s-clean", {R"({"a":1,"b":1})"},
              {R"({"a":2,"b":1})"}, {R"({"a":1,"b":2})"}),
      "three_way_merge", {}, 200);
  run(diverge(carol, c_phone, "s-overlap", {R"({"a":1,"b":1})"},
              {R"({"a":2,"b":1})"}, {R"({"a":3,"b":2})"}),
      "three_way_merge", {}, 200);
  run(diverge(carol, c_phone, "s-guard", {game_state(1)}, {game_state(2)},
              {"{}"}),
      "client_wins", {}, 200);
  // Alice's conflict is not Carol's.
  auto alices = diverge_game("s-alice", 1, 2, 2);
  CAF_CHECK_EQUAL(settle(alices, "server_wins").status, 200);
  auto counted = conflict_stats(carol);
  CAF_CHECK_EQUAL(counted["total"], 7);
  CAF_CHECK_EQUAL(counted["by_strategy"],
                  json::parse(R"({"server_wins":1,"client_wins":2,)"
                              R"("longest_chain":1,"manual":1,)"
                              R"("three_way_merge":2})"));
  CAF_CHECK_EQUAL(counted["by_reason"],
                  json::parse(R"({"server_wins":1,"client_wins":1,)"
                              R"("longest_chain":1,"manual":1,)"
                              R"("three_way_merge":2,"regression_guard":1})"));
  CAF_CHECK_EQUAL(counted["by_chosen_branch"],
                  json::parse(R"({"server":4,"client":1,"merged":2})"));
  CAF_CHECK_EQUAL(counted["merges"],
                  json::parse(R"({"clean":1,"with_conflicting_paths":1})"));
  // Another user sees only their own; an operator sees the whole store.
  auto alice_stats = conflict_stats(alice);
  CAF_CHECK_EQUAL(alice_stats["total"], 1);
  CAF_CHECK_EQUAL(alice_stats["by_strategy"],
                  json::parse(R"({"server_wins":1})"));
  auto dave_stats = conflict_stats(dave);
  CAF_CHECK_EQUAL(dave_stats["total"], 0);
  auto all = conflict_stats(admin);
  CAF_CHECK_EQUAL(all["total"], 8);
  CAF_CHECK_EQUAL(all["by_strategy"]["server_wins"], 2);
  CAF_CHECK_EQUAL(all["by_chosen_branch"]["server"], 5);
}

CAF_TEST_FIXTURE_SCOPE_END()
