#include "core/chain.hpp"

#include "core/sha256.hpp"

namespace awf::core {

std::string chain_genesis(std::string_view session_id) {
  std::string input = "awf-chain-v1:";
  input += session_id;
  return sha256_hex(input);
}

std::string chain_next(std::string_view previous_chain, std::int64_t turn_id,
                       std::string_view state_hash) {
  std::string input;
  input.reserve(previous_chain.size() + state_hash.size() + 24);
  input += previous_chain;
  input += ':';
  input += std::to_string(turn_id);
  input += ':';
  input += state_hash;
  return sha256_hex(input);
}

std::string state_hash(std::string_view canonical_bytes) {
  return sha256_hex(canonical_bytes);
}

} // namespace awf::core
