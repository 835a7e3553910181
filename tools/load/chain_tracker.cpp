#include "tools/load/chain_tracker.hpp"

#include <string>

namespace awf::load {

chain_tracker::chain_tracker(core::chain_head head) : head_(std::move(head)) {}

chain_tracker chain_tracker::genesis(std::string_view session_id) {
  return chain_tracker{{0, core::chain_genesis(session_id)}};
}

check_result chain_tracker::append(std::int64_t turn_id,
                                   std::string_view state_hash,
                                   std::string_view server_chain) {
  if (turn_id != head_.turn_id + 1)
    return "turn " + std::to_string(turn_id) +
           " does not follow the known "
           "head turn " +
           std::to_string(head_.turn_id);
  auto chain = core::chain_next(head_.chain_hash, turn_id, state_hash);
  if (!server_chain.empty() && server_chain != chain)
    return "chain_hash of turn " + std::to_string(turn_id) + " is " +
           std::string{server_chain} + ", the client computes " + chain;
  head_ = {turn_id, std::move(chain)};
  return passed();
}

} // namespace awf::load
