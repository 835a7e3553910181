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
  std::printf("seeds written to %s\n", root.c_str());
  return 0;
}
