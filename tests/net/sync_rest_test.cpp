// Sync over REST against the real awf-syncd (contract §5, §7): sync up in
// all its outcomes and refusals, sync down and its pages, ETags, materialize
// and verify, and the per-device rate limit (§3).
#define CAF_SUITE sync_rest

#include "caf/test/unit_test.hpp"

#include "tests/net/api_client.hpp"

using namespace awf;
using namespace awf::test::api;

namespace {

/// A random UUID no save has.
const std::string missing_save = "0b7e2d4c-6a51-4f3e-9c8d-2a1b0c9d8e7f";

/// An ETag / If-Match value for a chain hash.
std::string quoted(const std::string& chain) {
  return "\"" + chain + "\"";
}

json ids(std::int64_t first, std::int64_t last) {
  auto out = json::array();
  for (auto t = first; t <= last; ++t)
    out.push_back(t);
  return out;
}

struct fixture : api_fixture {
  std::string alice = token("alice");
  std::string bob = token("bob");
  std::string admin = token("root", "admin");

  /// Plays turns 1..last of a fresh save with `dev` (in requests of at most
  /// `batch` turns) and returns the client's history.
  history play(const device& dev, const save_ref& save, int last,
               int batch = 1000, const std::string& tag = "main") {
    history h{save.session_id};
    for (int t = 1; t <= last; ++t)
      h.add(game_state(t, tag));
    for (int from = 0; from < last; from += batch) {
      int to = std::min(last, from + batch);
      auto res = sync_up(dev.token, up_body(save.save_id, dev, h, from, to));
      CAF_REQUIRE_EQUAL(res.status, 200);
      CAF_REQUIRE_EQUAL(res.body["head"], h.at(to));
    }
    return h;
  }

  /// Checks a refused sync up: status, code and (when given) the field.
  void check_refused(const http_reply& res, int status, const std::string& code,
                     const std::string& field = "") {
    CAF_CHECK_EQUAL(res.status, status);
    CAF_CHECK_EQUAL(res.body["error"]["code"], code);
    CAF_CHECK(res.body["error"]["message"].is_string());
    if (!field.empty())
      CAF_CHECK_EQUAL(res.body["error"]["details"]["field"], field);
    if (res.status != status)
      CAF_MESSAGE("answer: " << res.raw);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(sync_rest_tests, fixture)

// -- sync up: accepted -------------------------------------------------------

CAF_TEST(fast forward appends a full state then patches) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "ff");
  history h{save.session_id};
  for (int t = 1; t <= 5; ++t)
    h.add(game_state(t));
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(0));
  // Several turns in one request: the first whole, the rest as patches.
  auto first = sync_up(phone.token, up_body(save.save_id, phone, h, 0, 3));
  CAF_CHECK_EQUAL(first.status, 200);
  CAF_CHECK_EQUAL(first.body["status"], "fast_forward");
  CAF_CHECK_EQUAL(first.body["head"], h.at(3));
  CAF_CHECK_EQUAL(first.body["accepted"], ids(1, 3));
  CAF_CHECK(first.body["conflict"].is_null());
  // The next request's first turn is a patch against the server's head.
  auto body = up_body(save.save_id, phone, h, 3, 5, false);
  CAF_REQUIRE(body["turns"][0].contains("patch"));
  auto second = sync_up(phone.token, body);
  CAF_CHECK_EQUAL(second.status, 200);
  CAF_CHECK_EQUAL(second.body["status"], "fast_forward");
  CAF_CHECK_EQUAL(second.body["head"], h.at(5));
  CAF_CHECK_EQUAL(second.body["accepted"], ids(4, 5));
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.head());
  // The user token may sync up too (no device), with meta and a strategy.
  h.add(game_state(6));
  auto by_user = up_body(save.save_id, phone, h, 5, 6);
  by_user.erase("device_id");
  by_user["strategy"] = "longest_chain";
  by_user["meta"] = {{"playtime_s", 1234}, {"progress", 0.42}};
  auto third = sync_up(alice, by_user);
  CAF_CHECK_EQUAL(third.status, 200);
  CAF_CHECK_EQUAL(third.body["head"], h.at(6));
  // The server holds the client's exact bytes.
  auto head = materialize(alice, {{"save_id", save.save_id}});
  CAF_CHECK_EQUAL(head.status, 200);
  CAF_CHECK_EQUAL(core::canonicalize(head.body["state"]), h.canonical[6]);
}

CAF_TEST(a replay changes nothing and a longer replay fast forwards) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "replay");
  auto h = play(phone, save, 5);
  // The same request again (a retry after a lost reply).
  for (int i = 0; i < 2; ++i) {
    auto again = sync_up(phone.token, up_body(save.save_id, phone, h, 0, 5));
    CAF_CHECK_EQUAL(again.status, 200);
    CAF_CHECK_EQUAL(again.body["status"], "up_to_date");
    CAF_CHECK_EQUAL(again.body["head"], h.at(5));
    CAF_CHECK_EQUAL(again.body["accepted"], ids(1, 5));
  }
  // A replay of the middle of the chain, its first turn a patch.
  auto middle =
    sync_up(phone.token, up_body(save.save_id, phone, h, 2, 4, false));
  CAF_CHECK_EQUAL(middle.status, 200);
  CAF_CHECK_EQUAL(middle.body["status"], "up_to_date");
  CAF_CHECK_EQUAL(middle.body["accepted"], ids(3, 4));
  CAF_CHECK_EQUAL(middle.body["head"], h.at(5));
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(5));
  auto current = sync_down(phone.token, save.save_id, 5, h.chain_at(5));
  CAF_CHECK_EQUAL(current.body["turns"].size(), 0u);
  auto verified = verify(alice, {{"save_id", save.save_id}, {"full", true}});
  CAF_CHECK_EQUAL(verified.body["checked_turns"], 5);
  // A replay that goes on past the head appends the rest.
  h.add(game_state(6));
  h.add(game_state(7));
  auto longer = sync_up(phone.token, up_body(save.save_id, phone, h, 3, 7));
  CAF_CHECK_EQUAL(longer.status, 200);
  CAF_CHECK_EQUAL(longer.body["status"], "fast_forward");
  CAF_CHECK_EQUAL(longer.body["head"], h.at(7));
  CAF_CHECK_EQUAL(longer.body["accepted"], ids(4, 7));
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(7));
  auto r = replica::from(h, 3);
  auto down = sync_down(phone.token, save.save_id, 3, h.chain_at(3));
  CAF_CHECK(r.apply(down.body));
  CAF_CHECK(r.matches(h));
  // The engine recorded every replay as a sync up that changed nothing,
  // beside the fast forwards kept in their turn rows.
  auto records = audit_until(admin, "save_id=" + save.save_id, [](auto& r) {
    return count_op(r, "sync_up") >= 5;
  });
  std::size_t replays = 0;
  for (const auto& rec : records)
    if (rec["operation"] == "sync_up" &&
        rec["details"]["status"] == "up_to_date") {
      ++replays;
      CAF_CHECK_EQUAL(rec["device_id"], "phone");
      CAF_CHECK_EQUAL(rec["details"]["head_turn"], 5);
    }
  CAF_CHECK_EQUAL(replays, 3u);
}

// -- sync up: refused --------------------------------------------------------

CAF_TEST(turns that do not follow the base are a turn gap) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "gap");
  auto h = play(phone, save, 2);
  for (int t = 3; t <= 5; ++t)
    h.add(game_state(t));
  auto whole = [&](std::int64_t t) {
    return json{{"turn_id", t},
                {"state", h.states[static_cast<std::size_t>(t)]}};
  };
  for (const auto& turns :
       {json::array({whole(4)}), json::array({whole(3), whole(5)}),
        json::array({whole(2)}), json::array({whole(3), whole(3)}),
        json::array({whole(4), whole(3)})}) {
    auto body = up_body(save.save_id, phone, h, 2, 3);
    body["turns"] = turns;
    check_refused(sync_up(phone.token, body), 409, "turn_gap");
  }
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(2));
}

CAF_TEST(a base behind the head but off its chain is an unknown base) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "unknown-base");
  auto h = play(phone, save, 3);
  for (int t = 4; t <= 8; ++t)
    h.add(game_state(t));
  history other{"another-session"};
  other.add(game_state(1));
  std::vector<json> bases{
    {{"turn_id", 1}, {"chain_hash", h.chain_at(2)}}, // wrong hash
    {{"turn_id", 2}, {"chain_hash", std::string(64, 'a')}},
    other.at(0), // another session's genesis
  };
  for (const auto& base : bases) {
    auto from = base["turn_id"].get<std::int64_t>();
    auto body = up_body(save.save_id, phone, h, from, from + 2);
    body["base"] = base;
    check_refused(sync_up(phone.token, body), 409, "unknown_base");
  }
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(3));
  // The right base still works afterwards.
  auto ok = sync_up(phone.token, up_body(save.save_id, phone, h, 3, 4));
  CAF_CHECK_EQUAL(ok.status, 200);
  CAF_CHECK_EQUAL(ok.body["head"], h.at(4));
}

// The next two requests once went unanswered (the save actor made a response
// promise and then returned the error instead of delivering it; the engine
// answered 503 after 30 s). Each is its own test so that a regression fails
// on call_with's reply timeout instead of the runner's 30 s watchdog.

CAF_TEST(a base ahead of the head is an unknown base) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "base-ahead");
  auto h = play(phone, save, 3);
  for (int t = 4; t <= 8; ++t)
    h.add(game_state(t));
  check_refused(sync_up(phone.token, up_body(save.save_id, phone, h, 5, 7)),
                409, "unknown_base");
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(3));
}

CAF_TEST(the head turn with another chain hash is an unknown base) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "base-forged");
  auto h = play(phone, save, 3);
  h.add(game_state(4));
  auto body = up_body(save.save_id, phone, h, 3, 4);
  body["base"]["chain_hash"] = h.chain_at(2);
  check_refused(sync_up(phone.token, body), 409, "unknown_base");
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(3));
}

CAF_TEST(a wrong state hash is refused and nothing is stored) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "hash-mismatch");
  auto h = play(phone, save, 2);
  for (int t = 3; t <= 5; ++t)
    h.add(game_state(t));
  // Turn 4 of three claims the hash of another state: turn 3 must not be
  // stored either.
  auto body = up_body(save.save_id, phone, h, 2, 5);
  body["turns"][1]["state_hash"] = h.hashes[5];
  check_refused(sync_up(phone.token, body), 422, "hash_mismatch");
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(2));
  // A whole state with a state_hash is checked as well.
  auto whole = up_body(save.save_id, phone, h, 2, 3);
  whole["turns"][0]["state_hash"] = h.hashes[2];
  check_refused(sync_up(phone.token, whole), 422, "hash_mismatch");
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(2));
  auto down = sync_down(phone.token, save.save_id, 2, h.chain_at(2));
  CAF_CHECK_EQUAL(down.body["head"], h.at(2));
  CAF_CHECK_EQUAL(down.body["turns"].size(), 0u);
  // The correct request then stores all three.
  auto ok = sync_up(phone.token, up_body(save.save_id, phone, h, 2, 5));
  CAF_CHECK_EQUAL(ok.status, 200);
  CAF_CHECK_EQUAL(ok.body["status"], "fast_forward");
  CAF_CHECK_EQUAL(ok.body["accepted"], ids(3, 5));
}

CAF_TEST(a patch that does not apply is an invalid patch) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "invalid-patch");
  auto h = play(phone, save, 2);
  h.add(game_state(3));
  for (const auto& patch :
       {json::parse(R"([{"op":"remove","path":"/no/such/member"}])"),
        json::parse(R"([{"op":"dance","path":"/turn"}])"),
        json::parse(R"([{"op":"test","path":"/turn","value":999}])"),
        json::parse(R"([{"op":"replace","path":"/turn"}])"),
        json::parse(R"([{"op":"add","path":"player/hp","value":1}])"),
        json::parse(R"([5])")}) {
    auto body = up_body(save.save_id, phone, h, 2, 3, false);
    body["turns"][0]["patch"] = patch;
    check_refused(sync_up(phone.token, body), 422, "invalid_patch");
  }
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(2));
}

CAF_TEST(a patch that copies the state over and over is too large) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "copy-bomb");
  auto h = play(phone, save, 2);
  h.add(game_state(3));
  // Each copy puts the whole state inside itself: 2^40 times the state
  // unless the server stops it.
  json patch = json::array();
  for (int i = 0; i < 40; ++i)
    patch.push_back(
      {{"op", "copy"}, {"from", ""}, {"path", "/copy" + std::to_string(i)}});
  auto body = up_body(save.save_id, phone, h, 2, 3, false);
  body["turns"][0]["patch"] = patch;
  check_refused(sync_up(phone.token, body), 413, "payload_too_large");
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(2));
}

CAF_TEST(a sync up that would rebuild too many bytes of states is refused) {
  // A state of about 0.8 MB and 100 one-key patches on it: a body of
  // under 1 MB that makes the server canonicalize and hash 84 MB of states,
  // more than the 64 MiB one sync up may rebuild (the state limit here is
  // 1 MiB).
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "rebuild-budget");
  json state = json::object();
  for (int i = 0; i < 75000; ++i)
    state["k" + std::to_string(i)] = 0;
  auto turns = json::array({{{"turn_id", 1}, {"state", state}}});
  for (int t = 2; t <= 101; ++t) {
    auto key = "z" + std::to_string(t);
    state[key] = 0;
    turns.push_back(
      {{"turn_id", t},
       {"patch",
        json::array({{{"op", "add"}, {"path", "/" + key}, {"value", 0}}})},
       {"state_hash", core::state_hash(core::canonicalize(state))}});
  }
  json body{
    {"save_id", save.save_id},
    {"device_id", phone.id},
    {"base",
     {{"turn_id", 0}, {"chain_hash", core::chain_genesis(save.session_id)}}},
    {"turns", turns}};
  auto res = sync_up(phone.token, body);
  check_refused(res, 413, "payload_too_large");
  CAF_CHECK(res.body["error"]["message"].get<std::string>().find(
              "smaller batches") != std::string::npos);
  // Nothing stored.
  json head = listed_head(alice, save.save_id);
  CAF_CHECK_EQUAL(head["turn_id"], 0);
}

CAF_TEST(ill formed sync up bodies are bad requests) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "bad-bodies");
  auto h = play(phone, save, 1);
  h.add(game_state(2));
  h.add(game_state(3));
  auto good = up_body(save.save_id, phone, h, 1, 3);
  CAF_REQUIRE(good["turns"][1].contains("patch"));
  using edit = std::function<void(json&)>;
  std::vector<std::pair<edit, std::string>> cases{
    {[](json& b) { b["turns"][1].erase("state_hash"); }, "turns[1].state_hash"},
    {[](json& b) { b["turns"][0]["patch"] = json::array(); }, "turns[0]"},
    {[](json& b) { b["turns"][1].erase("patch"); }, "turns[1]"},
    {[](json& b) { b["turns"][0].erase("state"); }, "turns[0]"},
    {[](json& b) { b["turns"][1]["patch"] = json::object(); },
     "turns[1].patch"},
    {[](json& b) { b["turns"][1]["state_hash"] = "ABC"; },
     "turns[1].state_hash"},
    {[](json& b) { b["turns"][0]["turn_id"] = "2"; }, "turns[0].turn_id"},
    {[](json& b) { b["turns"][0]["turn_id"] = 2.5; }, "turns[0].turn_id"},
    {[](json& b) { b["turns"][0].erase("turn_id"); }, "turns[0].turn_id"},
    {[](json& b) { b["turns"][0] = 7; }, "turns[0]"},
    {[](json& b) { b["base"] = 5; }, "base"},
    {[](json& b) { b["base"] = "1"; }, "base"},
    {[](json& b) { b.erase("base"); }, "base"},
    {[](json& b) { b["base"]["turn_id"] = -1; }, "base"},
    {[](json& b) { b["base"]["turn_id"] = "1"; }, "base"},
    {[](json& b) { b["base"]["chain_hash"] = "not-a-hash"; }, "base"},
    {[](json& b) { b["base"].erase("chain_hash"); }, "base"},
    {[](json& b) { b["strategy"] = "yolo"; }, "strategy"},
    {[](json& b) { b["strategy"] = 3; }, "strategy"},
    {[](json& b) { b["turns"] = json::array(); }, "turns"},
    {[](json& b) { b["turns"] = json::object(); }, "turns"},
    {[](json& b) { b.erase("turns"); }, "turns"},
    {[](json& b) { b.erase("save_id"); }, "save_id"},
    {[](json& b) { b["save_id"] = 42; }, "save_id"},
    {[](json& b) { b["device_id"] = 42; }, "device_id"},
    {[](json& b) { b["meta"] = "fast"; }, "meta"},
    {[](json& b) { b["confirm_regression"] = "yes"; }, "confirm_regression"},
  };
  for (auto& [change, field] : cases) {
    auto body = good;
    change(body);
    CAF_MESSAGE("expecting 400 for field " << field);
    check_refused(sync_up(phone.token, body), 400, "invalid_request", field);
  }
  // Not an object, and not JSON at all.
  check_refused(sync_up_text(phone.token, good["turns"].dump()), 400,
                "invalid_request");
  auto text = good.dump();
  check_refused(sync_up_text(phone.token, text.substr(0, text.size() / 2)), 400,
                "invalid_json");
  check_refused(sync_up_text(phone.token, R"({"save_id":"a","save_id":"b"})"),
                400, "invalid_json");
  check_refused(sync_up_text(phone.token, "{\"save_id\":\"\xff\xfe\"}"), 400,
                "invalid_json");
  auto deep = std::string(200, '[') + std::string(200, ']');
  auto too_deep = good;
  too_deep["turns"][0]["state"] = "DEEP";
  auto deep_text = too_deep.dump();
  deep_text.replace(deep_text.find("\"DEEP\""), 6, deep);
  check_refused(sync_up_text(phone.token, deep_text), 400, "invalid_json");
  check_refused(sync_up_text(phone.token, ""), 400, "invalid_json");
  // Nothing of it was stored.
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(1));
  CAF_CHECK_EQUAL(sync_up(phone.token, good).status, 200);
}

CAF_TEST(integers a double cannot carry are unsupported numbers) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "numbers");
  history h{save.session_id};
  // Sent as text: the wire carries the literal exactly as written.
  auto body_with = [&](const std::string& state_text) {
    return R"({"save_id":")" + save.save_id + R"(","device_id":"phone",)" +
           R"("base":{"turn_id":0,"chain_hash":")" + h.chain_at(0) +
           R"("},"turns":[{"turn_id":1,"state":)" + state_text + "}]}";
  };
  auto refused =
    sync_up_text(phone.token, body_with(R"({"player_id":9007199254740993})"));
  check_refused(refused, 422, "unsupported_number");
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(0));
  // Exactly 2^55, and JavaScript's text for the double nearest to a large
  // id, are accepted; the chain is the client's own.
  const std::string exact =
    R"({"big":36028797018963968,"js":4424670594744384500})";
  h.add(exact);
  auto accepted = sync_up_text(phone.token, body_with(exact));
  CAF_CHECK_EQUAL(accepted.status, 200);
  CAF_CHECK_EQUAL(accepted.body["head"], h.at(1));
  auto back = materialize(alice, {{"save_id", save.save_id}, {"turn_id", 1}});
  CAF_CHECK_EQUAL(back.body["state_hash"], h.hashes[1]);
  CAF_CHECK_EQUAL(core::canonicalize(back.body["state"]), h.canonical[1]);
}

CAF_TEST(if match must name the head) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "if-match");
  auto h = play(phone, save, 2);
  h.add(game_state(3));
  auto body = up_body(save.save_id, phone, h, 2, 3);
  for (const auto& stale : {quoted(h.chain_at(1)), quoted(h.chain_at(0)),
                            quoted(std::string(64, 'f'))}) {
    auto res = sync_up(phone.token, body, {{"If-Match", stale}});
    check_refused(res, 412, "precondition_failed");
  }
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(2));
  auto ok = sync_up(phone.token, body, {{"If-Match", quoted(h.chain_at(2))}});
  CAF_CHECK_EQUAL(ok.status, 200);
  CAF_CHECK_EQUAL(ok.body["status"], "fast_forward");
  CAF_CHECK_EQUAL(ok.body["head"], h.at(3));
}

CAF_TEST(a device syncs only as itself) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "as-itself");
  history h{save.session_id};
  h.add(game_state(1));
  auto as_tablet = up_body(save.save_id, tablet, h, 0, 1);
  check_refused(sync_up(phone.token, as_tablet), 403, "forbidden");
  auto without = up_body(save.save_id, phone, h, 0, 1);
  without.erase("device_id");
  check_refused(sync_up(phone.token, without), 403, "forbidden");
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(0));
  CAF_CHECK_EQUAL(sync_up(tablet.token, as_tablet).status, 200);
}

CAF_TEST(another users save is answered like a missing one) {
  auto phone = add_device(alice, "phone");
  auto bobs = add_device(bob, "bobs-phone");
  auto save = add_save(alice, "private");
  // Alice's sync ups made the save's actor known to the edge: Bob's
  // requests go to that actor directly and are refused there.
  auto h = play(phone, save, 2);
  h.add(game_state(3));
  auto body = up_body(save.save_id, bobs, h, 2, 3);
  auto missing_body = body;
  missing_body["save_id"] = missing_save;
  auto foreign = sync_up(bobs.token, body);
  auto missing = sync_up(bobs.token, missing_body);
  check_refused(foreign, 404, "not_found");
  check_refused(missing, 404, "not_found");
  CAF_CHECK_EQUAL(foreign.body, missing.body);
  // Bob's user token too. A save id that is not even a UUID is a bad
  // request.
  check_refused(sync_up(bob, body), 404, "not_found");
  missing_body["save_id"] = "nope";
  check_refused(sync_up(bobs.token, missing_body), 400, "invalid_request",
                "save_id");
  // Sync down, materialize and verify answer the same way.
  auto down_foreign = sync_down(bobs.token, save.save_id, 0);
  auto down_missing = sync_down(bobs.token, missing_save, 0);
  check_refused(down_foreign, 404, "not_found");
  CAF_CHECK_EQUAL(down_foreign.body, down_missing.body);
  auto mat_foreign = materialize(bob, {{"save_id", save.save_id}});
  auto mat_missing = materialize(bob, {{"save_id", missing_save}});
  check_refused(mat_foreign, 404, "not_found");
  CAF_CHECK_EQUAL(mat_foreign.body, mat_missing.body);
  auto ver_foreign = verify(bob, {{"save_id", save.save_id}});
  auto ver_missing = verify(bob, {{"save_id", missing_save}});
  check_refused(ver_foreign, 404, "not_found");
  CAF_CHECK_EQUAL(ver_foreign.body, ver_missing.body);
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(2));
}

CAF_TEST(too many turns or bytes are payload too large) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "too-large");
  history h{save.session_id};
  auto body = json{{"save_id", save.save_id},
                   {"device_id", phone.id},
                   {"base", h.at(0)},
                   {"turns", json::array()}};
  for (int t = 1; t <= 1001; ++t)
    body["turns"].push_back({{"turn_id", t}, {"state", {{"t", t}}}});
  check_refused(sync_up(phone.token, body), 413, "payload_too_large", "turns");
  // A body over the limit (1 MiB state + 1 MiB here) is refused from its
  // Content-Length.
  auto huge = call_announcing(http::verb::post, prefix + "/sync/up",
                              (std::size_t{2} << 20) + 4096, phone.token);
  check_refused(huge, 413, "payload_too_large");
  // A body under the limit whose state is over the state limit.
  h.add(R"({"blob":")" + std::string((std::size_t{1} << 20) + 100, 'x') +
        R"("})");
  check_refused(sync_up(phone.token, up_body(save.save_id, phone, h, 0, 1)),
                413, "payload_too_large");
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), h.at(0));
}

CAF_TEST(a divergent branch is archived as a manual conflict) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "divergence");
  // Both devices start from turn 1; the phone then plays turns 2 and 3.
  auto a = play(phone, save, 3);
  history b{save.session_id};
  b.add(game_state(1));
  b.add(game_state(2, "tablet"));
  b.add(game_state(3, "tablet"));
  CAF_REQUIRE_EQUAL(b.chain_at(1), a.chain_at(1));
  auto body = up_body(save.save_id, tablet, b, 1, 3);
  body["strategy"] = "manual";
  auto res = sync_up(tablet.token, body);
  check_refused(res, 409, "conflict_manual");
  const auto& details = res.body["error"]["details"];
  CAF_CHECK_EQUAL(details["head"], a.at(3));
  const auto& report = details["conflict"];
  CAF_REQUIRE(report.is_object());
  CAF_CHECK(is_uuid_text(report.value("conflict_id", "")));
  CAF_CHECK_EQUAL(report["save_id"], save.save_id);
  CAF_CHECK_EQUAL(report["fork_turn"], 1);
  CAF_CHECK_EQUAL(report["strategy"], "manual");
  CAF_REQUIRE_EQUAL(report["branches"].size(), 2u);
  json server_branch, client_branch;
  for (const auto& br : report["branches"])
    (br["branch_id"] == "server" ? server_branch : client_branch) = br;
  CAF_CHECK_EQUAL(server_branch["branch_id"], "server");
  CAF_CHECK_EQUAL(server_branch["turn_id"], 3);
  CAF_CHECK_EQUAL(server_branch["chain_hash"], a.chain_at(3));
  CAF_CHECK(server_branch["integrity_score"].is_number());
  CAF_CHECK_EQUAL(client_branch["branch_id"], "client");
  CAF_CHECK_EQUAL(client_branch["turn_id"], 3);
  CAF_CHECK_EQUAL(client_branch["chain_hash"], b.chain_at(3));
  CAF_CHECK_EQUAL(client_branch["device_id"], "tablet");
  CAF_CHECK(client_branch["integrity_score"].is_number());
  const auto& resolution = report["resolution"];
  CAF_CHECK_EQUAL(resolution["chosen_branch"], "server");
  CAF_CHECK_EQUAL(resolution["archived_branch"], "client");
  CAF_CHECK(is_uuid_text(resolution.value("archive_id", "")));
  CAF_CHECK(resolution["reason"].is_string());
  CAF_CHECK(resolution["conflicting_paths"].is_array());
  // The head stays the phone's, turn by turn.
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), a.at(3));
  auto r = replica::from(a, 1);
  auto down = sync_down(tablet.token, save.save_id, 1, a.chain_at(1));
  CAF_CHECK(r.apply(down.body));
  CAF_CHECK(r.matches(a));
  // The tablet's chain is not the save's: syncing on from it is refused.
  b.add(game_state(4, "tablet"));
  check_refused(sync_up(tablet.token, up_body(save.save_id, tablet, b, 2, 4)),
                409, "unknown_base");
  // A branch that shares turn 1 and leaves after it forks at turn 1 too.
  auto from_zero = up_body(save.save_id, tablet, b, 0, 3);
  from_zero["strategy"] = "manual";
  auto again = sync_up(tablet.token, from_zero);
  check_refused(again, 409, "conflict_manual");
  CAF_CHECK_EQUAL(again.body["error"]["details"]["conflict"]["fork_turn"], 1);
  CAF_CHECK_NOT_EQUAL(
    again.body["error"]["details"]["conflict"]["resolution"]["archive_id"],
    resolution["archive_id"]);
  CAF_CHECK_EQUAL(listed_head(alice, save.save_id), a.at(3));
  // The admin audit trail records the conflict with its report's ids.
  auto records = audit_until(admin, "save_id=" + save.save_id, [](auto& r) {
    return count_op(r, "sync_conflict") >= 2;
  });
  CAF_CHECK_EQUAL(count_op(records, "sync_conflict"), 2u);
  bool found = false;
  for (const auto& rec : records)
    if (rec["operation"] == "sync_conflict" &&
        rec["details"]["conflict_id"] == report["conflict_id"]) {
      found = true;
      CAF_CHECK_EQUAL(rec["save_id"], save.save_id);
      CAF_CHECK_EQUAL(rec["device_id"], "tablet");
      CAF_CHECK_EQUAL(rec["details"]["archive_id"], resolution["archive_id"]);
      CAF_CHECK_EQUAL(rec["details"]["fork_turn"], 1);
    }
  CAF_CHECK(found);
}

// -- sync down ---------------------------------------------------------------

CAF_TEST(sync down from a turn on the chain rebuilds every state) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "down");
  auto h = play(phone, save, 12, 5);
  for (std::int64_t since : {1, 2, 5, 11}) {
    auto res = sync_down(tablet.token, save.save_id, since, h.chain_at(since));
    CAF_CHECK_EQUAL(res.status, 200);
    CAF_CHECK_EQUAL(res.body["save_id"], save.save_id);
    CAF_CHECK_EQUAL(res.body["head"], h.head());
    CAF_CHECK_EQUAL(res.body["more"], false);
    CAF_CHECK(!res.body.contains("snapshot"));
    CAF_REQUIRE_EQUAL(res.body["turns"].size(),
                      static_cast<std::size_t>(12 - since));
    std::size_t patches = 0;
    for (std::size_t i = 0; i < res.body["turns"].size(); ++i) {
      const auto& t = res.body["turns"][i];
      auto id = since + 1 + static_cast<std::int64_t>(i);
      CAF_CHECK_EQUAL(t["turn_id"], id);
      CAF_CHECK_EQUAL(t["state_hash"], h.hashes[static_cast<std::size_t>(id)]);
      CAF_CHECK_EQUAL(t["chain_hash"], h.chain_at(id));
      patches += t.contains("patch") ? 1 : 0;
    }
    // These states change a little per turn: patches are smaller.
    CAF_CHECK_GREATER(patches, 0u);
    auto r = replica::from(h, since);
    CAF_CHECK(r.apply(res.body));
    if (!r.failure.empty())
      CAF_MESSAGE("since " << since << ": " << r.failure);
    CAF_CHECK(r.matches(h));
  }
  // A fresh client (nothing held) gets turn 1 whole.
  auto fresh = sync_down(tablet.token, save.save_id, 0);
  CAF_CHECK_EQUAL(fresh.status, 200);
  replica r;
  CAF_CHECK(r.apply(fresh.body));
  CAF_CHECK(r.matches(h));
}

CAF_TEST(since turn zero or an unknown chain gives a snapshot of the head) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "snapshot");
  // A new save: the snapshot is turn 0.
  auto empty = sync_down(phone.token, save.save_id, 0);
  CAF_CHECK_EQUAL(empty.status, 200);
  history h0{save.session_id};
  CAF_CHECK_EQUAL(empty.body["head"], h0.at(0));
  CAF_CHECK_EQUAL(empty.body["snapshot"]["turn_id"], 0);
  CAF_CHECK(empty.body["snapshot"]["state"].is_null());
  CAF_CHECK(empty.body["snapshot"]["state_hash"].is_null());
  CAF_CHECK_EQUAL(empty.body["snapshot"]["chain_hash"], h0.chain_at(0));
  auto h = play(phone, save, 7, 3);
  auto check_snapshot = [&](const http_reply& res) {
    CAF_CHECK_EQUAL(res.status, 200);
    CAF_CHECK_EQUAL(res.body["head"], h.head());
    const auto& snap = res.body["snapshot"];
    CAF_CHECK_EQUAL(snap["turn_id"], 7);
    CAF_CHECK_EQUAL(snap["state_hash"], h.hashes[7]);
    CAF_CHECK_EQUAL(snap["chain_hash"], h.chain_at(7));
    CAF_CHECK_EQUAL(core::canonicalize(snap["state"]), h.canonical[7]);
    CAF_CHECK_EQUAL(res.body["turns"].size(), 0u);
    CAF_CHECK_EQUAL(res.body["more"], false);
    replica r;
    CAF_CHECK(r.apply(res.body));
    CAF_CHECK(r.matches(h));
  };
  check_snapshot(sync_down(phone.token, save.save_id, 0));
  check_snapshot(sync_down(phone.token, save.save_id)); // since_turn omitted
  // Off the chain: a wrong hash, no hash, or a turn past the head.
  check_snapshot(sync_down(phone.token, save.save_id, 4, std::string(64, 'b')));
  check_snapshot(sync_down(phone.token, save.save_id, 4, h.chain_at(3)));
  check_snapshot(sync_down(phone.token, save.save_id, 4));
  check_snapshot(sync_down(phone.token, save.save_id, 7, std::string(64, 'c')));
  check_snapshot(sync_down(phone.token, save.save_id, 9, h.chain_at(7)));
}

CAF_TEST(an up to date client gets no turns) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "current");
  auto h = play(phone, save, 4);
  auto res = sync_down(phone.token, save.save_id, 4, h.chain_at(4));
  CAF_CHECK_EQUAL(res.status, 200);
  CAF_CHECK_EQUAL(res.body["head"], h.head());
  CAF_CHECK_EQUAL(res.body["turns"], json::array());
  CAF_CHECK_EQUAL(res.body["more"], false);
  CAF_CHECK(!res.body.contains("snapshot"));
}

CAF_TEST(sync down pages a client that is behind) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "pages");
  auto h = play(phone, save, 150);
  auto first = sync_down(tablet.token, save.save_id, 10, h.chain_at(10));
  CAF_CHECK_EQUAL(first.status, 200);
  CAF_CHECK_EQUAL(first.body["head"], h.head());
  CAF_CHECK_EQUAL(first.body["more"], true);
  CAF_CHECK(!first.body.contains("snapshot"));
  CAF_REQUIRE_EQUAL(first.body["turns"].size(), 100u);
  CAF_CHECK_EQUAL(first.body["turns"][0]["turn_id"], 11);
  CAF_CHECK_EQUAL(first.body["turns"][99]["turn_id"], 110);
  auto r = replica::from(h, 10);
  CAF_REQUIRE(r.apply(first.body));
  CAF_CHECK_EQUAL(r.turn, 110);
  auto rest = sync_down(tablet.token, save.save_id, r.turn, r.chain);
  CAF_CHECK_EQUAL(rest.status, 200);
  CAF_CHECK_EQUAL(rest.body["more"], false);
  CAF_REQUIRE_EQUAL(rest.body["turns"].size(), 40u);
  CAF_CHECK(r.apply(rest.body));
  if (!r.failure.empty())
    CAF_MESSAGE(r.failure);
  CAF_CHECK(r.matches(h));
}

CAF_TEST(a client more than a thousand turns behind gets a snapshot) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "far-behind");
  // 1000 turns is the most one sync up may carry.
  auto h = play(phone, save, 1002, 1000);
  auto far = sync_down(tablet.token, save.save_id, 1, h.chain_at(1));
  CAF_CHECK_EQUAL(far.status, 200);
  CAF_CHECK_EQUAL(far.body["snapshot"]["turn_id"], 1002);
  CAF_CHECK_EQUAL(far.body["snapshot"]["chain_hash"], h.chain_at(1002));
  replica r;
  CAF_CHECK(r.apply(far.body));
  CAF_CHECK(r.matches(h));
  // Exactly a thousand behind still gets turns.
  auto near = sync_down(tablet.token, save.save_id, 2, h.chain_at(2));
  CAF_CHECK_EQUAL(near.status, 200);
  CAF_CHECK(!near.body.contains("snapshot"));
  CAF_CHECK_EQUAL(near.body["turns"].size(), 100u);
  CAF_CHECK_EQUAL(near.body["more"], true);
  auto from2 = replica::from(h, 2);
  CAF_CHECK(from2.apply(near.body));
}

CAF_TEST(sync down carries the head as etag and answers 304 to it) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "etag");
  auto h = play(phone, save, 3);
  auto res = sync_down(phone.token, save.save_id, 1, h.chain_at(1));
  CAF_CHECK_EQUAL(res.status, 200);
  CAF_CHECK_EQUAL(res.header("ETag"), quoted(h.chain_at(3)));
  auto same = sync_down(phone.token, save.save_id, 1, h.chain_at(1),
                        {{"If-None-Match", quoted(h.chain_at(3))}});
  CAF_CHECK_EQUAL(same.status, 304);
  CAF_CHECK_EQUAL(same.raw, "");
  CAF_CHECK_EQUAL(same.header("ETag"), quoted(h.chain_at(3)));
  // An older tag is answered in full.
  auto older = sync_down(phone.token, save.save_id, 1, h.chain_at(1),
                         {{"If-None-Match", quoted(h.chain_at(2))}});
  CAF_CHECK_EQUAL(older.status, 200);
  CAF_CHECK_EQUAL(older.body["turns"].size(), 2u);
  // After the head moves the old tag no longer matches.
  h.add(game_state(4));
  CAF_REQUIRE_EQUAL(
    sync_up(phone.token, up_body(save.save_id, phone, h, 3, 4)).status, 200);
  auto moved = sync_down(phone.token, save.save_id, 3, h.chain_at(3),
                         {{"If-None-Match", quoted(h.chain_at(3))}});
  CAF_CHECK_EQUAL(moved.status, 200);
  CAF_CHECK_EQUAL(moved.header("ETag"), quoted(h.chain_at(4)));
  CAF_CHECK_EQUAL(moved.body["turns"].size(), 1u);
}

CAF_TEST(sync down refuses bad parameters and other users saves) {
  auto phone = add_device(alice, "phone");
  auto bobs = add_device(bob, "bobs-phone");
  auto save = add_save(alice, "down-refusals");
  auto h = play(phone, save, 2);
  check_refused(call(http::verb::get, prefix + "/sync/down", "", phone.token),
                400, "invalid_request", "save_id");
  check_refused(
    call(http::verb::get, prefix + "/sync/down?save_id=", "", phone.token), 400,
    "invalid_request", "save_id");
  for (const std::string since : {"abc", "-1", "1.5", ""}) {
    auto res = call(http::verb::get,
                    prefix + "/sync/down?save_id=" + save.save_id +
                      "&since_turn=" + since,
                    "", phone.token);
    check_refused(res, 400, "invalid_request", "since_turn");
  }
  auto foreign = sync_down(bobs.token, save.save_id, 1, h.chain_at(1));
  check_refused(foreign, 404, "not_found");
  CAF_CHECK(!foreign.raw.empty() &&
            foreign.raw.find(h.chain_at(2)) == std::string::npos);
  check_refused(sync_down(bob, save.save_id, 0), 404, "not_found");
  check_refused(sync_down(phone.token, missing_save, 0), 404, "not_found");
  // A wrong method on the path is not a sync down.
  CAF_CHECK_EQUAL(
    call(http::verb::post, prefix + "/sync/down", "{}", phone.token).status,
    405);
  CAF_CHECK_EQUAL(
    call(http::verb::get, prefix + "/sync/up", "", phone.token).status, 405);
}

// -- materialize and verify --------------------------------------------------

CAF_TEST(materialize rebuilds any turn byte for byte) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "materialize");
  auto h = play(phone, save, 12, 4);
  auto zero = materialize(alice, {{"save_id", save.save_id}, {"turn_id", 0}});
  CAF_CHECK_EQUAL(zero.status, 200);
  CAF_CHECK_EQUAL(zero.body["save_id"], save.save_id);
  CAF_CHECK_EQUAL(zero.body["turn_id"], 0);
  CAF_CHECK(zero.body.contains("state") && zero.body["state"].is_null());
  CAF_CHECK(zero.body.contains("state_hash") &&
            zero.body["state_hash"].is_null());
  CAF_CHECK_EQUAL(zero.body["chain_hash"], h.chain_at(0));
  for (std::int64_t t = 1; t <= 12; ++t) {
    auto res =
      materialize(phone.token, {{"save_id", save.save_id}, {"turn_id", t}});
    CAF_CHECK_EQUAL(res.status, 200);
    CAF_CHECK_EQUAL(res.body["turn_id"], t);
    CAF_CHECK_EQUAL(core::canonicalize(res.body["state"]),
                    h.canonical[static_cast<std::size_t>(t)]);
    CAF_CHECK_EQUAL(res.body["state_hash"],
                    h.hashes[static_cast<std::size_t>(t)]);
    CAF_CHECK_EQUAL(res.body["chain_hash"], h.chain_at(t));
  }
  auto head = materialize(alice, {{"save_id", save.save_id}});
  CAF_CHECK_EQUAL(head.status, 200);
  CAF_CHECK_EQUAL(head.body["turn_id"], 12);
  CAF_CHECK_EQUAL(head.body["chain_hash"], h.chain_at(12));
  CAF_CHECK_EQUAL(core::canonicalize(head.body["state"]), h.canonical[12]);
  check_refused(
    materialize(alice, {{"save_id", save.save_id}, {"turn_id", 13}}), 404,
    "not_found");
  check_refused(materialize(bob, {{"save_id", save.save_id}}), 404,
                "not_found");
  check_refused(materialize(bob, {{"save_id", save.save_id}, {"turn_id", 1}}),
                404, "not_found");
  check_refused(
    materialize(alice, {{"save_id", save.save_id}, {"turn_id", -1}}), 400,
    "invalid_request", "turn_id");
  check_refused(
    materialize(alice, {{"save_id", save.save_id}, {"turn_id", "3"}}), 400,
    "invalid_request", "turn_id");
  check_refused(materialize(alice, {{"turn_id", 1}}), 400, "invalid_request",
                "save_id");
}

CAF_TEST(verify checks the whole chain) {
  auto phone = add_device(alice, "phone");
  auto save = add_save(alice, "verify");
  auto empty = verify(alice, {{"save_id", save.save_id}});
  CAF_CHECK_EQUAL(empty.status, 200);
  CAF_CHECK_EQUAL(empty.body["ok"], true);
  CAF_CHECK_EQUAL(empty.body["checked_turns"], 0);
  auto h = play(phone, save, 9, 4);
  for (const auto& body : {json{{"save_id", save.save_id}},
                           json{{"save_id", save.save_id}, {"full", false}},
                           json{{"save_id", save.save_id}, {"full", true}}}) {
    auto res = verify(phone.token, body);
    CAF_CHECK_EQUAL(res.status, 200);
    CAF_CHECK_EQUAL(res.body["save_id"], save.save_id);
    CAF_CHECK_EQUAL(res.body["ok"], true);
    CAF_CHECK_EQUAL(res.body["checked_turns"], 9);
    CAF_CHECK_EQUAL(res.body["head"], h.head());
    CAF_CHECK(res.body.contains("first_bad_turn") &&
              res.body["first_bad_turn"].is_null());
    CAF_CHECK_EQUAL(res.body["errors"], json::array());
  }
  check_refused(verify(alice, {{"save_id", save.save_id}, {"full", "yes"}}),
                400, "invalid_request", "full");
  check_refused(verify(alice, json::object()), 400, "invalid_request",
                "save_id");
  check_refused(verify(bob, {{"save_id", save.save_id}, {"full", true}}), 404,
                "not_found");
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- rate limit --------------------------------------------------------------

namespace {

struct limited_fixture : api_fixture {
  limited_fixture()
    : api_fixture({"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1", "CLOUD_SYNC_DEVICE_RATE=1",
                   "CLOUD_SYNC_DEVICE_BURST=2"}) {}
  std::string alice = token("alice");
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(sync_rest_rate_tests, limited_fixture)

CAF_TEST(a device over its rate is told to retry later) {
  auto phone = add_device(alice, "phone");
  auto tablet = add_device(alice, "tablet");
  auto save = add_save(alice, "rate");
  // The burst of two is available at once.
  CAF_CHECK_EQUAL(sync_down(phone.token, save.save_id, 0).status, 200);
  CAF_CHECK_EQUAL(sync_down(phone.token, save.save_id, 0).status, 200);
  // The next quick requests find the bucket empty (one token per second
  // refills it, so a 429 must come among the next few).
  http_reply limited;
  int attempt = 2;
  while (limited.status != 429 && attempt < 10) {
    ++attempt;
    limited = sync_down(phone.token, save.save_id, 0);
  }
  CAF_MESSAGE("request " << attempt << " was refused");
  CAF_CHECK_EQUAL(limited.status, 429);
  CAF_CHECK_EQUAL(limited.body["error"]["code"], "rate_limited");
  CAF_CHECK(limited.body["error"]["message"].is_string());
  auto retry = limited.header("Retry-After");
  CAF_CHECK(!retry.empty() &&
            retry.find_first_not_of("0123456789") == std::string::npos);
  CAF_CHECK_GREATER_OR_EQUAL(std::atoi(retry.c_str()), 1);
  // Sync up shares the device's bucket; other devices have their own, and
  // the non-sync endpoints are not limited.
  history h{save.session_id};
  h.add(game_state(1));
  auto up = sync_up(phone.token, up_body(save.save_id, phone, h, 0, 1));
  if (up.status != 200) { // may be 200 only if a second went by
    CAF_CHECK_EQUAL(up.status, 429);
    CAF_CHECK_EQUAL(up.body["error"]["code"], "rate_limited");
    CAF_CHECK(!up.header("Retry-After").empty());
  }
  CAF_CHECK_EQUAL(sync_down(tablet.token, save.save_id, 0).status, 200);
  CAF_CHECK_EQUAL(
    call(http::verb::get, prefix + "/saves", "", phone.token).status, 200);
  auto metrics = call(http::verb::get, "/metrics");
  CAF_CHECK(metrics.raw.find("awf_rate_limited_total ") != std::string::npos);
  CAF_CHECK(metrics.raw.find("awf_rate_limited_total 0\n") ==
            std::string::npos);
}

CAF_TEST_FIXTURE_SCOPE_END()
