// Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/) with
// the real parser, patch builder and turn encoder. Run from the fuzz build:
//   build-fuzz/fuzz/fuzz_make_seeds fuzz/corpus
// The output is committed; rerun it when an input format changes.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/canonical_json.hpp"
#include "core/chain.hpp"
#include "core/json_patch.hpp"
#include "core/turn_codec.hpp"
#include "core/user_token.hpp"
#include "core/zstd_codec.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace awf;
using json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& dir, const std::string& name,
           const std::string& bytes) {
  fs::create_directories(dir);
  std::ofstream out(dir / name, std::ios::binary);
  out << bytes;
}

/// A chain of `depth` objects, each the "k" member of the one before.
json chain(int depth) {
  json value = json::object();
  for (int i = 1; i < depth; ++i)
    value = json{{"k", std::move(value)}};
  return value;
}

const std::vector<std::pair<std::string, std::string>> states = {
  {"game_state",
   R"({"player":{"name":"Ada","hp":10,"xp":1.5e3,"pos":[1.25,-3,0]},
    "inventory":[{"id":"sword","qty":1},{"id":"potion","qty":3}],
    "flags":{"tutorial_done":true,"npc_met":null}})"},
  {"numbers", R"([0,-0,1e21,1e-7,9007199254740992,36028797018963968,
    4424670594744384500,0.1,123456789012345680000,5e-324])"},
  {"unicode", "{\"\xc3\xa9t\xc3\xa9\":\"\\u00e9\\ud83d\\ude00\",\"\\u0000\":"
              "\"\\n\\t\\\"\",\"\xef\xbc\xa1\":1,\"\xf0\x9f\x98\x80\":2}"},
  {"nested", std::string(128, '[') + std::string(128, ']')},
  {"empty_objects", R"([{},{},[],[[]],{"":{}}])"},
  {"strings", R"({"long":")" + std::string(40, 'x') + R"(","short":"a"})"},
};

std::string patch_input(const json& doc, const json& patch) {
  return core::canonicalize(doc) + "\n" + patch.dump();
}

void json_patch_seeds(const fs::path& dir) {
  json doc = json::parse(R"({"a":{"b":[1,2,3]},"c":"d","e":[{"f":1}]})");
  std::vector<std::pair<std::string, json>> patches = {
    {"add", json::parse(R"([{"op":"add","path":"/a/b/1","value":9},
      {"op":"add","path":"/a/b/-","value":{"x":[null]}},
      {"op":"add","path":"/n","value":"v"}])")},
    {"remove_replace", json::parse(R"([{"op":"remove","path":"/c"},
      {"op":"replace","path":"/a/b/0","value":[1,{"y":2}]},
      {"op":"replace","path":"","value":{"r":1}}])")},
    {"move_copy", json::parse(R"([{"op":"move","from":"/a/b","path":"/m"},
      {"op":"copy","from":"/e/0","path":"/e/-"},
      {"op":"copy","from":"/m","path":"/m/0"}])")},
    {"test", json::parse(R"([{"op":"test","path":"/a/b","value":[1,2,3]},
      {"op":"test","path":"/e/0/f","value":1.0},
      {"op":"test","path":"/c","value":"x"}])")},
    {"escapes", json::parse(R"([{"op":"add","path":"/~0~1","value":1},
      {"op":"copy","from":"/~0~1","path":"/~1"}])")},
  };
  for (const auto& [name, patch] : patches)
    write(dir, name, patch_input(doc, patch));
  // Issue 10, finding 1: a chain copied into its own deepest child.
  json deep =
    json::array({{{"op", "add"}, {"path", "/c"}, {"value", chain(100)}}});
  std::string path = "/c";
  for (int i = 0; i < 100; ++i)
    path += "/k";
  for (int i = 0; i < 3; ++i)
    deep.push_back({{"op", "copy"}, {"from", "/c"}, {"path", path}});
  write(dir, "hostile_deep_copy", patch_input(json::object(), deep));
  // Finding 2: a value copied into itself 24 times.
  json doubling =
    json::array({{{"op", "add"}, {"path", "/d"}, {"value", json{{"", 0}}}}});
  for (int i = 0; i < 24; ++i)
    doubling.push_back(
      {{"op", "copy"}, {"from", "/d"}, {"path", "/d/" + std::to_string(i)}});
  write(dir, "hostile_doubling_copy", patch_input(json::object(), doubling));
}

/// A mode-0 record of the turn target: the turn as stored.
std::string stored_record(const core::stored_turn& turn) {
  std::string record;
  record += '\0';
  record += static_cast<char>(turn.kind);
  record += turn.blob.codec == "zstd" ? '\0' : '\1';
  return record + turn.blob.hash + turn.blob.bytes;
}

/// A mode-1 record: a payload the target seals itself.
std::string payload_record(core::turn_kind kind, bool zstd,
                           const std::string& payload) {
  std::string record;
  record += '\1';
  record += static_cast<char>(kind);
  record += zstd ? '\0' : '\1';
  return record + payload;
}

void turn_seeds(const fs::path& dir) {
  auto keys = fuzz::fixed_key_ring();
  core::state_image previous{std::string{fuzz::previous_state}, {}};
  auto next_value = json::parse(fuzz::previous_state);
  next_value["gold"] = 11.0;
  next_value["inventory"].push_back({{"id", "potion"}, {"qty", 2.0}});
  core::state_image next{core::canonicalize(next_value), {}};
  core::encode_options opts;
  // Turn 1: a snapshot.
  auto first = core::encode_turn({nullptr, 0, 0, core::chain_genesis("s")},
                                 previous, opts, keys);
  if (first)
    write(dir, "stored_snapshot", stored_record(*first));
  // Turn 2: a diff (patch or delta, whichever the encoder prefers).
  auto second = core::encode_turn({&previous, 1, 1, "c1"}, next, opts, keys);
  if (second)
    write(dir, "stored_diff", stored_record(*second));
  // The payloads of each kind, sealed by the target.
  auto patch = core::canonicalize(
    core::diff(json::parse(fuzz::previous_state), next_value));
  write(dir, "payload_patch_raw",
        payload_record(core::turn_kind::json_patch, false, patch));
  write(dir, "payload_patch_zstd",
        payload_record(core::turn_kind::json_patch, true,
                       core::zstd_compress(patch, 3)));
  write(dir, "payload_delta",
        payload_record(
          core::turn_kind::zstd_delta, false,
          core::zstd_delta_compress(next.canonical, previous.canonical, 3)));
  write(dir, "payload_snapshot_zstd",
        payload_record(core::turn_kind::snapshot, true,
                       core::zstd_compress(next.canonical, 3)));
  // A mode-2 record: an envelope and its associated data.
  std::string aad = "associated";
  auto sealed = keys.seal("plaintext", aad);
  if (sealed)
    write(dir, "envelope",
          std::string{'\2', static_cast<char>(aad.size())} + aad + *sealed);
}

/// The body of a sync up of `save_id` that starts the save (turn 1 whole,
/// turn 2 as a patch with its state hash), as a client sends it.
json sync_up_body(const std::string& save_id) {
  std::string session = "fuzz-session";
  json first = json::parse(R"({"hp":10,"pos":[1,2],"name":"Ada"})");
  json second = first;
  second["hp"] = 9.0;
  second["pos"].push_back(3.0);
  auto first_hash = core::state_hash(core::canonicalize(first));
  auto second_hash = core::state_hash(core::canonicalize(second));
  return {
    {"save_id", save_id},
    {"base", {{"turn_id", 0}, {"chain_hash", core::chain_genesis(session)}}},
    {"strategy", "longest_chain"},
    {"turns", json::array(
                {{{"turn_id", 1}, {"state", first}, {"state_hash", first_hash}},
                 {{"turn_id", 2},
                  {"patch", core::diff(first, second)},
                  {"state_hash", second_hash}}})}};
}

void sync_up_request_seeds(const fs::path& dir) {
  std::string save_id{fuzz::placeholder_save_id};
  auto valid = sync_up_body(save_id);
  write(dir, "valid", valid.dump());
  auto with_device = valid;
  with_device["device_id"] = "device-1";
  with_device["confirm_regression"] = true;
  with_device["meta"] = json::object();
  write(dir, "valid_device", with_device.dump());
  auto later = valid;
  later["base"]["turn_id"] = 7;
  later["turns"][0]["turn_id"] = 8;
  later["turns"][1]["turn_id"] = 9;
  write(dir, "valid_later_base", later.dump());
  auto bad_hash = valid;
  bad_hash["turns"][1]["state_hash"] = std::string(64, 'a');
  write(dir, "mismatched_hash", bad_hash.dump());
  auto bad_id = valid;
  bad_id["save_id"] = std::string(300, 'x');
  write(dir, "bad_save_id", bad_id.dump());
  auto bad_device = valid;
  bad_device["device_id"] = "not a device id";
  write(dir, "bad_device_id", bad_device.dump());
  auto no_turns = valid;
  no_turns["turns"] = json::array();
  write(dir, "no_turns", no_turns.dump());
  auto both = valid;
  both["turns"][0]["patch"] = json::array();
  write(dir, "state_and_patch", both.dump());
  auto strategy = valid;
  strategy["strategy"] = "mine";
  write(dir, "bad_strategy", strategy.dump());
  auto hostile = valid;
  hostile["turns"][1]["patch"] =
    json::array({{{"op", "add"}, {"path", "/d"}, {"value", json{{"", 0}}}}});
  for (int i = 0; i < 24; ++i)
    hostile["turns"][1]["patch"].push_back(
      {{"op", "copy"}, {"from", "/d"}, {"path", "/d/" + std::to_string(i)}});
  write(dir, "hostile_doubling_copy", hostile.dump());
}

/// The raw bytes of one HTTP/1.1 request.
std::string raw_request(const std::string& method, const std::string& target,
                        const std::string& token, const std::string& body,
                        const std::string& extra_headers = "") {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: fuzz\r\n";
  if (!token.empty())
    out += "Authorization: Bearer " + token + "\r\n";
  out += extra_headers;
  if (!body.empty() || method == "POST")
    out += "Content-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n";
  return out + "\r\n" + body;
}

void http_request_seeds(const fs::path& dir) {
  const std::string api = "/api/awf-cloud-sync";
  auto token =
    core::mint_user_token(fuzz::hmac_secret, {"fuzz-user", "user", 4102444800});
  auto admin = core::mint_user_token(fuzz::hmac_secret,
                                     {"fuzz-admin", "admin", 4102444800});
  std::string save_id{fuzz::placeholder_save_id};
  json save_body = {{"save_id", save_id}};
  write(dir, "healthz", raw_request("GET", "/healthz", "", ""));
  write(dir, "readyz", raw_request("GET", "/readyz", "", ""));
  write(dir, "metrics", raw_request("GET", "/metrics", "", ""));
  write(dir, "create_save",
        raw_request("POST", api + "/saves", token,
                    R"({"session_id":"fuzz-session","version":"1.0"})"));
  write(dir, "list_saves", raw_request("GET", api + "/saves", token, ""));
  write(dir, "register_device",
        raw_request("POST", api + "/devices", token,
                    R"({"device_id":"device-1","label":"fuzz phone"})"));
  write(
    dir, "sync_up",
    raw_request("POST", api + "/sync/up", token, sync_up_body(save_id).dump()));
  auto as_device = sync_up_body(save_id);
  as_device["device_id"] = "device-1";
  write(dir, "sync_up_named_device",
        raw_request("POST", api + "/sync/up", token, as_device.dump(),
                    "If-Match: \"" + std::string(64, '0') + "\"\r\n"));
  write(dir, "sync_down",
        raw_request(
          "GET",
          api + "/sync/down?save_id=" + save_id +
            "&since_turn=0&since_chain=" + core::chain_genesis("fuzz-session"),
          token, ""));
  write(
    dir, "materialize",
    raw_request("POST", api + "/save/materialize", token, save_body.dump()));
  auto old_turn = save_body;
  old_turn["turn_id"] = 1;
  write(dir, "materialize_turn",
        raw_request("POST", api + "/save/materialize", token, old_turn.dump()));
  write(dir, "verify",
        raw_request("POST", api + "/save/verify", token, save_body.dump()));
  write(
    dir, "conflicts",
    raw_request("GET", api + "/save/conflicts?save_id=" + save_id, token, ""));
  write(dir, "stats", raw_request("GET", api + "/save/stats", token, ""));
  write(dir, "admin_audit",
        raw_request("GET", api + "/admin/audit?limit=3&save_id=" + save_id,
                    admin, ""));
  write(dir, "admin_save",
        raw_request("GET", api + "/admin/save/" + save_id, admin, ""));
  // Refusals: no token, a forged token, a body that is not JSON, an unknown
  // path, a wrong method, a chunked body, a
  // WebSocket upgrade handed to the router.
  write(
    dir, "no_token",
    raw_request("POST", api + "/sync/up", "", sync_up_body(save_id).dump()));
  write(
    dir, "forged_token",
    raw_request("POST", api + "/saves", token + "x", R"({"session_id":"s"})"));
  write(dir, "not_json",
        raw_request("POST", api + "/sync/up", token, R"({"save_id":)"));
  write(dir, "unknown_path", raw_request("GET", api + "/nothing", token, ""));
  write(dir, "wrong_method",
        raw_request("DELETE", api + "/sync/up", token, ""));
  write(dir, "chunked",
        "POST " + api +
          "/save/verify HTTP/1.1\r\nHost: fuzz\r\n"
          "Authorization: Bearer " +
          token +
          "\r\n"
          "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"sav\r\n" +
          std::to_string(0) + "\r\n\r\n");
  write(dir, "websocket_upgrade",
        raw_request("GET", "/api/awf-cloud-sync/ws", "", "",
                    "Connection: Upgrade\r\nUpgrade: websocket\r\n"
                    "Sec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Protocol: awf.v1, bearer." +
                      token + "\r\n"));
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
    return 2;
  }
  fs::path root = argv[1];
  for (const auto& [name, text] : states) {
    fuzz::require(core::parse_json(text).ok(), "a seed state parses");
    write(root / "json_parse", name, text);
  }
  json_patch_seeds(root / "json_patch");
  turn_seeds(root / "turn_decode");
  sync_up_request_seeds(root / "sync_up_request");
  http_request_seeds(root / "http_request");
  std::printf("seeds written to %s\n", root.c_str());
  return 0;
}
