// Client-side helpers for the REST end-to-end suites: a fixture that
// registers devices, creates saves and speaks sync up / sync down to the real
// awf-syncd, plus the client's own model of a save's history (states, state
// hashes and chain, computed with core/ exactly as contract §1 defines them).
// Include after defining CAF_SUITE: failed preconditions end the test with
// CAF_FAIL.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "caf/test/unit_test.hpp"

#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "core/json_patch.hpp"
#include "tests/net/server_fixture.hpp"

namespace awf::test::api {

namespace http = boost::beast::http;
using json = nlohmann::json;
using awf::test::http_reply;
using awf::test::server_fixture;
using awf::test::test_secret;

inline const std::string prefix = "/api/awf-cloud-sync";

/// A registered device: its id and current sync token.
struct device {
  std::string id;
  std::string token;
};

/// A save as the client sees it right after creating it.
struct save_ref {
  std::string save_id;
  std::string session_id;
};

/// The history one client plays: every state, its canonical bytes, its
/// state hash and the chain through it (index = turn id; index 0 is the
/// empty save).
struct history {
  std::vector<json> states{nullptr};
  std::vector<std::string> canonical{""};
  std::vector<std::string> hashes{""};
  std::vector<std::string> chain;

  explicit history(const std::string& session_id)
    : chain{core::chain_genesis(session_id)} {}

  std::int64_t head_turn() const {
    return static_cast<std::int64_t>(states.size()) - 1;
  }

  const std::string& chain_at(std::int64_t turn) const {
    return chain.at(static_cast<std::size_t>(turn));
  }

  json head() const { return at(head_turn()); }

  /// {"turn_id", "chain_hash"} of `turn`.
  json at(std::int64_t turn) const {
    return {{"turn_id", turn}, {"chain_hash", chain_at(turn)}};
  }

  /// Appends the next turn's state, given as JSON text (parsed under I-JSON
  /// rules, so numbers are doubles as on the wire).
  void add(const std::string& state_text) {
    auto parsed = core::parse_json(state_text);
    if (!parsed)
      CAF_FAIL("test state does not parse: " << state_text);
    add_value(std::move(*parsed));
  }

  void add_value(json state) {
    auto bytes = core::canonicalize(state);
    auto hash = core::state_hash(bytes);
    chain.push_back(core::chain_next(chain.back(), head_turn() + 1, hash));
    states.push_back(std::move(state));
    canonical.push_back(std::move(bytes));
    hashes.push_back(std::move(hash));
  }

  /// Turns first..last in wire form. The first is sent whole when
  /// `first_whole` (else as a patch against the turn before it); the others
  /// as patches with their state hash.
  json wire_turns(std::int64_t first, std::int64_t last,
                  bool first_whole = true) const {
    auto out = json::array();
    for (auto t = first; t <= last; ++t) {
      auto i = static_cast<std::size_t>(t);
      if (t == first && first_whole)
        out.push_back({{"turn_id", t}, {"state", states[i]}});
      else
        out.push_back({{"turn_id", t},
                       {"patch", core::diff(states[i - 1], states[i])},
                       {"state_hash", hashes[i]}});
    }
    return out;
  }
};

/// A game state that changes a little every turn (so a patch is smaller
/// than the state); `tag` tells branches apart.
inline std::string game_state(int turn, const std::string& tag = "main") {
  static const std::string map = [] {
    std::string m;
    for (int row = 0; row < 16; ++row)
      m += (row > 0 ? "," : "") + std::string{"\"row "} + std::to_string(row) +
           ": ..##..~~..##..~~..##\"";
    return m;
  }();
  return R"({"map":[)" + map + R"(],"turn":)" + std::to_string(turn) +
         R"(,"player":{"hp":)" + std::to_string(100 - turn % 37) +
         R"(,"pos":[)" + std::to_string(turn % 11) + "," +
         std::to_string(turn * 3 % 7) + R"(]},"branch":")" + tag +
         R"(","name":"Zoë","last_move":"move )" + std::to_string(turn) +
         R"("})";
}

/// What a client rebuilds from sync down bodies, checking every hash.
struct replica {
  std::int64_t turn = 0;
  std::string chain;
  json state;
  std::map<std::int64_t, std::string> canonical; ///< turns seen
  std::string failure;                           ///< why apply() said no

  /// Starts at turn `t` of `h` (the client already holds it).
  static replica from(const history& h, std::int64_t t) {
    replica r;
    r.turn = t;
    r.chain = h.chain_at(t);
    r.state = h.states.at(static_cast<std::size_t>(t));
    return r;
  }

  bool fail(std::string why) {
    failure = std::move(why);
    return false;
  }

  /// Applies a sync down body; false (with `failure`) on any mismatch.
  bool apply(const json& body) {
    if (auto snap = body.find("snapshot"); snap != body.end()) {
      turn = (*snap)["turn_id"].get<std::int64_t>();
      chain = (*snap)["chain_hash"].get<std::string>();
      state = (*snap)["state"];
      if (turn > 0) {
        auto bytes = core::canonicalize(state);
        if (core::state_hash(bytes) != (*snap)["state_hash"])
          return fail("snapshot state hash differs at turn " +
                      std::to_string(turn));
        canonical[turn] = bytes;
      }
    }
    for (const auto& t : body.at("turns")) {
      auto id = t.at("turn_id").get<std::int64_t>();
      if (id != turn + 1)
        return fail("turn " + std::to_string(id) + " does not follow " +
                    std::to_string(turn));
      bool has_state = t.contains("state");
      if (has_state == t.contains("patch"))
        return fail("turn " + std::to_string(id) +
                    " must carry exactly one of state and patch");
      if (id == 1 && !has_state)
        return fail("turn 1 must carry the whole state");
      if (has_state) {
        state = t["state"];
      } else {
        auto next = core::apply_patch(state, t.at("patch"));
        if (!next)
          return fail("patch of turn " + std::to_string(id) +
                      " does not apply");
        state = std::move(*next);
      }
      auto bytes = core::canonicalize(state);
      auto hash = core::state_hash(bytes);
      if (hash != t.at("state_hash"))
        return fail("state hash differs at turn " + std::to_string(id));
      auto next_chain = core::chain_next(chain, id, hash);
      if (next_chain != t.at("chain_hash"))
        return fail("chain hash differs at turn " + std::to_string(id));
      chain = std::move(next_chain);
      turn = id;
      canonical[id] = std::move(bytes);
    }
    return true;
  }

  /// True when this replica holds the head of `h` and the same bytes as `h`
  /// for every turn it has seen.
  bool matches(const history& h) const {
    if (turn != h.head_turn() || chain != h.chain.back())
      return false;
    for (const auto& [t, bytes] : canonical)
      if (bytes != h.canonical.at(static_cast<std::size_t>(t)))
        return false;
    return core::canonicalize(state) == h.canonical.back();
  }
};

/// The real server plus the client calls the REST suites share.
struct api_fixture : server_fixture {
  explicit api_fixture(
    std::vector<std::string> extra_env = {"CLOUD_SYNC_MAX_SAVE_BYTES_MB=1"})
    : server_fixture(without_expensive_rate(std::move(extra_env))) {}

  /// The suites materialize hundreds of stored turns in a few seconds to
  /// check them: the per-user rate of expensive operations is off unless a
  /// suite sets it (the per-user concurrency bound stays on).
  static std::vector<std::string>
  without_expensive_rate(std::vector<std::string> env) {
    const std::string name = "CLOUD_SYNC_USER_EXPENSIVE_PER_MIN=";
    for (const auto& e : env)
      if (e.rfind(name, 0) == 0)
        return env;
    env.push_back(name + "0");
    return env;
  }

  /// How long call_with waits for an answer before giving up (status 0).
  /// Not an assertion on speed: a bound that turns a request the server
  /// never answers into a failed check instead of a runner abort (the CAF
  /// watchdog ends the whole binary after 30 s in one test).
  std::chrono::seconds reply_timeout{20};

  /// Like server_fixture::call, with extra request headers and a bounded
  /// wait for the answer.
  http_reply call_with(http::verb method, const std::string& target,
                       const std::string& body, const std::string& bearer,
                       const std::map<std::string, std::string>& headers = {}) {
    boost::asio::io_context ioc;
    auto stream = connect(ioc);
    stream.expires_after(reply_timeout);
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!bearer.empty())
      req.set(http::field::authorization, "Bearer " + bearer);
    for (const auto& [name, value] : headers)
      req.set(name, value);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    boost::beast::error_code ec;
    http::write(stream, req, ec);
    return read_reply(stream);
  }

  /// Registers a device (201 required); an empty id lets the server choose.
  device add_device(const std::string& user_token, const std::string& id) {
    json body = json::object();
    if (!id.empty())
      body = {{"device_id", id}, {"label", id + " label"}};
    auto res =
      call_with(http::verb::post, prefix + "/devices", body.dump(), user_token);
    if (res.status != 201)
      CAF_FAIL("device registration answered " << res.status << ": "
                                               << res.raw);
    return {res.body["device_id"].get<std::string>(),
            res.body["sync_token"].get<std::string>()};
  }

  /// Creates a save (201 required).
  save_ref add_save(const std::string& bearer, const std::string& session) {
    auto res = call_with(http::verb::post, prefix + "/saves",
                         json{{"session_id", session}}.dump(), bearer);
    if (res.status != 201)
      CAF_FAIL("save creation answered " << res.status << ": " << res.raw);
    return {res.body["save_id"].get<std::string>(), session};
  }

  /// A sync up body sending turns base+1..last of `h`.
  static json up_body(const std::string& save_id, const device& dev,
                      const history& h, std::int64_t base, std::int64_t last,
                      bool first_whole = true) {
    return {{"save_id", save_id},
            {"device_id", dev.id},
            {"base", h.at(base)},
            {"turns", h.wire_turns(base + 1, last, first_whole)}};
  }

  http_reply sync_up(const std::string& bearer, const json& body,
                     const std::map<std::string, std::string>& headers = {}) {
    return call_with(http::verb::post, prefix + "/sync/up", body.dump(), bearer,
                     headers);
  }

  http_reply sync_up_text(const std::string& bearer, const std::string& text) {
    return call_with(http::verb::post, prefix + "/sync/up", text, bearer);
  }

  static std::string down_target(const std::string& save_id,
                                 std::optional<std::int64_t> since_turn = {},
                                 const std::string& since_chain = "") {
    auto target = prefix + "/sync/down?save_id=" + save_id;
    if (since_turn)
      target += "&since_turn=" + std::to_string(*since_turn);
    if (!since_chain.empty())
      target += "&since_chain=" + since_chain;
    return target;
  }

  http_reply sync_down(const std::string& bearer, const std::string& save_id,
                       std::optional<std::int64_t> since_turn = {},
                       const std::string& since_chain = "",
                       const std::map<std::string, std::string>& headers = {}) {
    return call_with(http::verb::get,
                     down_target(save_id, since_turn, since_chain), "", bearer,
                     headers);
  }

  /// The save's head as the server lists it for `bearer`'s user.
  json listed_head(const std::string& bearer, const std::string& save_id) {
    auto res = call_with(http::verb::get, prefix + "/saves", "", bearer);
    for (const auto& s : res.body["saves"])
      if (s["save_id"] == save_id)
        return s["head"];
    return nullptr;
  }

  http_reply materialize(const std::string& bearer, const json& body) {
    return call_with(http::verb::post, prefix + "/save/materialize",
                     body.dump(), bearer);
  }

  http_reply verify(const std::string& bearer, const json& body) {
    return call_with(http::verb::post, prefix + "/save/verify", body.dump(),
                     bearer);
  }

  /// The admin audit trail with `query` (e.g. "save_id=…&limit=5").
  json audit(const std::string& admin_token, const std::string& query) {
    auto res = call_with(http::verb::get, prefix + "/admin/audit?" + query, "",
                         admin_token);
    if (res.status != 200)
      CAF_FAIL("admin/audit answered " << res.status << ": " << res.raw);
    return res.body["audit"];
  }

  /// Audit records are written by a group commit after the reply; waits
  /// (bounded) until `query` lists records satisfying `ready`, and returns
  /// the last listing.
  json audit_until(const std::string& admin_token, const std::string& query,
                   const std::function<bool(const json&)>& ready) {
    json records;
    for (int i = 0; i < 200; ++i) {
      records = audit(admin_token, query);
      if (ready(records))
        return records;
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    return records;
  }
};

/// How many records in an audit listing have operation `op`.
inline std::size_t count_op(const json& records, const std::string& op) {
  std::size_t n = 0;
  for (const auto& r : records)
    if (r["operation"] == op)
      ++n;
  return n;
}

/// True when `text` is a lowercase hyphenated UUID.
inline bool is_uuid_text(const std::string& text) {
  if (text.size() != 36)
    return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    char c = text[i];
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  }
  return true;
}

} // namespace awf::test::api
