// The hash chain of contract §1 that makes a save's history verifiable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace awf::core {

/// A position in a save's history: the turn and the chain hash through it.
struct chain_head {
  std::int64_t turn_id = 0;
  std::string chain_hash;

  friend bool operator==(const chain_head&, const chain_head&) = default;
};

/// chain(0) = sha256_hex("awf-chain-v1:" + session_id).
std::string chain_genesis(std::string_view session_id);

/// chain(t) = sha256_hex(chain(t-1) + ":" + decimal(t) + ":" + h(t)).
std::string chain_next(std::string_view previous_chain, std::int64_t turn_id,
                       std::string_view state_hash);

/// The state hash h = sha256_hex(canonical bytes).
std::string state_hash(std::string_view canonical_bytes);

} // namespace awf::core
