#include "core/chain_verifier.hpp"

namespace awf::core {

chain_verifier::chain_verifier(std::string genesis_chain, const key_ring& keys,
                               std::size_t max_state_bytes)
  : keys_(&keys), max_state_bytes_(max_state_bytes) {
  head_.chain_hash = std::move(genesis_chain);
}

chain_verifier::chain_verifier(chain_head start,
                               std::optional<state_image> start_state,
                               const key_ring& keys,
                               std::size_t max_state_bytes)
  : keys_(&keys), max_state_bytes_(max_state_bytes), head_(std::move(start)),
    state_(std::move(start_state)) {}

void chain_verifier::fail(std::int64_t turn_id, std::string message) {
  if (!first_bad_turn_)
    first_bad_turn_ = turn_id;
  errors_.push_back("turn " + std::to_string(turn_id) + ": " +
                    std::move(message));
}

bool chain_verifier::feed(const stored_turn& turn, bool rebuild) {
  if (first_bad_turn_)
    return false;
  ++checked_turns_;
  auto expected_turn = head_.turn_id + 1;
  if (turn.turn_id != expected_turn) {
    fail(expected_turn,
         "missing; next stored turn is " + std::to_string(turn.turn_id));
    return false;
  }
  if (chain_next(head_.chain_hash, turn.turn_id, turn.state_hash) !=
      turn.chain_hash) {
    fail(turn.turn_id, "chain hash does not follow from the turn before");
    return false;
  }
  if (rebuild) {
    auto* previous = state_ ? &*state_ : nullptr;
    if (turn.kind != turn_kind::snapshot && previous == nullptr) {
      fail(turn.turn_id, "diff without a rebuilt state before it");
      return false;
    }
    auto image = decode_turn(turn, previous, *keys_, max_state_bytes_);
    if (!image) {
      // decode_turn already names the turn.
      if (!first_bad_turn_)
        first_bad_turn_ = turn.turn_id;
      errors_.push_back(image.error().message);
      return false;
    }
    state_ = std::move(*image);
  } else {
    state_.reset();
  }
  head_ = {turn.turn_id, turn.chain_hash};
  return true;
}

result<state_image> rebuild_state(const std::vector<stored_turn>& turns,
                                  const key_ring& keys,
                                  std::size_t max_state_bytes) {
  if (turns.empty() || turns.front().kind != turn_kind::snapshot)
    return error{errc::corrupt_data, "no snapshot to rebuild from"};
  std::optional<state_image> state;
  for (const auto& turn : turns) {
    auto image =
      decode_turn(turn, state ? &*state : nullptr, keys, max_state_bytes);
    if (!image)
      return image.error();
    state = std::move(*image);
  }
  return std::move(*state);
}

} // namespace awf::core
