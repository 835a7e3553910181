// A client's own copy of a save's hash chain (contract §1): it recomputes
// every chain hash from the state hashes it sees and refuses a turn that
// does not continue what it knows.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/chain.hpp"
#include "tools/load/check_result.hpp"

namespace awf::load {

class chain_tracker {
public:
  /// A tracker positioned at `head`.
  explicit chain_tracker(core::chain_head head = {});

  /// A tracker at the head of a new save: {0, chain(0)}.
  static chain_tracker genesis(std::string_view session_id);

  /// The last turn known and the chain hash through it.
  const core::chain_head& head() const { return head_; }

  /// Extends the chain by `turn_id`, whose state hash is `state_hash`. The
  /// turn must be the one after the head, and `server_chain`, when not
  /// empty, must equal the recomputed chain(turn_id). On failure the head
  /// does not move.
  check_result append(std::int64_t turn_id, std::string_view state_hash,
                      std::string_view server_chain = {});

  /// Moves to `head` without checks (after a verified snapshot).
  void reset(core::chain_head head) { head_ = std::move(head); }

private:
  core::chain_head head_;
};

} // namespace awf::load
