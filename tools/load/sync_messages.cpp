#include "tools/load/sync_messages.hpp"

namespace awf::load {

nlohmann::json head_json(const core::chain_head& head) {
  return {{"turn_id", head.turn_id}, {"chain_hash", head.chain_hash}};
}

nlohmann::json device_registration_body(std::string_view device_id,
                                        std::string_view label) {
  return {{"device_id", device_id}, {"label", label}};
}

nlohmann::json create_save_body(std::string_view session_id) {
  return {{"session_id", session_id}};
}

std::string sync_up_text(std::string_view req_id, std::string_view save_id,
                         std::string_view device_id,
                         const core::chain_head& base,
                         std::string_view strategy, std::string_view turns) {
  auto quoted = [](std::string_view text) {
    return nlohmann::json(text).dump();
  };
  std::string out;
  out.reserve(turns.size() + save_id.size() + device_id.size() +
              base.chain_hash.size() + req_id.size() + strategy.size() + 144);
  out += '{';
  if (!req_id.empty()) {
    out += "\"type\":\"sync_up\",\"req_id\":";
    out += quoted(req_id);
    out += ',';
  }
  out += "\"save_id\":";
  out += quoted(save_id);
  out += ",\"device_id\":";
  out += quoted(device_id);
  out += ",\"base\":";
  out += head_json(base).dump();
  if (!strategy.empty()) {
    out += ",\"strategy\":";
    out += quoted(strategy);
  }
  out += ",\"turns\":";
  out += turns;
  out += '}';
  return out;
}

nlohmann::json subscribe_frame(std::string_view save_id,
                               const core::chain_head& since) {
  return {{"type", "subscribe"},
          {"save_id", save_id},
          {"since_turn", since.turn_id},
          {"since_chain", since.chain_hash}};
}

nlohmann::json unsubscribe_frame(std::string_view save_id) {
  return {{"type", "unsubscribe"}, {"save_id", save_id}};
}

std::string sync_down_target(std::string_view base_path,
                             std::string_view save_id,
                             const core::chain_head& since) {
  return std::string{base_path} + std::string{sync_down_path} +
         "?save_id=" + url_encode(save_id) +
         "&since_turn=" + std::to_string(since.turn_id) +
         "&since_chain=" + url_encode(since.chain_hash);
}

std::string url_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                      c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += '%';
      out += hex[byte >> 4];
      out += hex[byte & 0xF];
    }
  }
  return out;
}

} // namespace awf::load
