#include "net/wire_json.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>

#include "core/canonical_json.hpp"
#include "net/client_ids.hpp"

namespace awf::net {

nlohmann::json head_json(const core::chain_head& head) {
  return {{"turn_id", head.turn_id}, {"chain_hash", head.chain_hash}};
}

nlohmann::json turn_json(const actors::sync_turn& turn) {
  // The engine produced the body as canonical JSON: it always parses.
  return {
    {"turn_id", turn.turn_id},
    {turn.full_state ? "state" : "patch", nlohmann::json::parse(turn.body)},
    {"state_hash", turn.state_hash},
    {"chain_hash", turn.chain_hash}};
}

void append_head_text(const core::chain_head& head, std::string& out) {
  out += "{\"chain_hash\":";
  core::append_canonical_string(head.chain_hash, out);
  out += ",\"turn_id\":";
  out += std::to_string(head.turn_id);
  out += '}';
}

void append_turn_text(const actors::sync_turn& turn, std::string& out) {
  out += "{\"chain_hash\":";
  core::append_canonical_string(turn.chain_hash, out);
  out += turn.full_state ? ",\"state\":" : ",\"patch\":";
  out += turn.body;
  out += ",\"state_hash\":";
  core::append_canonical_string(turn.state_hash, out);
  out += ",\"turn_id\":";
  out += std::to_string(turn.turn_id);
  out += '}';
}

nlohmann::json turns_json(const std::vector<actors::sync_turn>& turns) {
  auto out = nlohmann::json::array();
  for (const auto& turn : turns)
    out.push_back(turn_json(turn));
  return out;
}

nlohmann::json sync_down_json(const actors::sync_down_reply& reply) {
  nlohmann::json body{{"save_id", reply.save_id},
                      {"head", head_json(reply.head)},
                      {"turns", turns_json(reply.turns)},
                      {"more", reply.more}};
  if (reply.has_snapshot) {
    const auto& snap = reply.snapshot;
    bool empty = snap.turn_id == 0;
    body["snapshot"] = {{"turn_id", snap.turn_id},
                        {"state", empty
                                    ? nlohmann::json(nullptr)
                                    : nlohmann::json::parse(snap.canonical)},
                        {"state_hash", empty ? nlohmann::json(nullptr)
                                             : nlohmann::json(snap.state_hash)},
                        {"chain_hash", snap.chain_hash}};
  }
  return body;
}

std::optional<core::chain_head> head_from_json(const nlohmann::json& value) {
  if (!value.is_object())
    return std::nullopt;
  auto turn = value.find("turn_id");
  auto chain = value.find("chain_hash");
  if (turn == value.end() || chain == value.end() || !chain->is_string() ||
      !is_hex_hash(chain->get_ref<const std::string&>()))
    return std::nullopt;
  auto id = as_integer(*turn);
  if (!id || *id < 0)
    return std::nullopt;
  return core::chain_head{*id, chain->get<std::string>()};
}

std::optional<std::int64_t> as_integer(const nlohmann::json& value) {
  constexpr double limit = 9007199254740992.0; // 2^53
  if (value.is_number_integer())
    return value.get<std::int64_t>();
  if (!value.is_number_float())
    return std::nullopt;
  double d = value.get<double>();
  if (!(d >= -limit && d <= limit) || std::trunc(d) != d)
    return std::nullopt;
  return static_cast<std::int64_t>(d);
}

std::string iso8601(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  ::gmtime_r(&secs, &utc);
  char text[32];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                utc.tm_min, utc.tm_sec, static_cast<int>(unix_ms % 1000));
  return text;
}

} // namespace awf::net
