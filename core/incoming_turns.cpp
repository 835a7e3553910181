#include "core/incoming_turns.hpp"

#include "core/canonical_json.hpp"
#include "core/canonical_patch.hpp"
#include "core/json_patch.hpp"

namespace awf::core {

turn_resolver::turn_resolver(chain_head base, state_image* base_state,
                             std::size_t max_state_bytes,
                             rebuild_budget* budget)
  : head_(std::move(base)), max_state_bytes_(max_state_bytes),
    patch_budget_(json_budget::for_state(max_state_bytes)),
    rebuild_budget_(budget), current_(base_state) {}

result<nlohmann::json> turn_resolver::patched(std::string_view patch) {
  // The patch text is parsed under parse_json's own budget; the applier
  // keeps the nesting depth within the limit and charges what it copies to
  // the request's budget; writing the canonical bytes checks the depth
  // again. A normalized patch on a normalized state leaves every leaf valid.
  auto ops = parse_json(patch);
  if (!ops)
    return ops.error();
  // The state before is moved, not copied: its canonical bytes stay, and
  // its value is parsed again from them if anyone asks later.
  nlohmann::json value;
  if (current_ != nullptr) {
    auto parsed = current_->parsed();
    if (!parsed)
      return parsed.error();
    value = std::move(*current_->value);
    current_->value.reset();
  }
  if (auto applied = apply_patch_in_place(value, std::move(*ops),
                                          max_state_bytes_, patch_budget_);
      !applied)
    return applied.error();
  return value;
}

result<std::monostate> turn_resolver::advance(incoming_turn turn) {
  auto failed = [&turn](const error& err) {
    return error{err.code,
                 "turn " + std::to_string(turn.turn_id) + ": " + err.message};
  };
  state_image next;
  if (turn.state) {
    next.canonical = std::move(*turn.state);
  } else if (!turn.patch) {
    return error{errc::invalid_patch, "turn " + std::to_string(turn.turn_id) +
                                        " carries neither state nor patch"};
  } else {
    // The fast path: the patch spliced into the canonical bytes, with no
    // parsed state and no whole canonicalization. It decides only what it
    // can decide exactly; the rest goes to the parsed state.
    // The state before hands its index on (a failed splice loses it; the
    // next patch then indexes the bytes again).
    if (current_ != nullptr)
      if (auto spliced = patch_canonical(
            current_->canonical, *turn.patch,
            std::exchange(current_->brackets, std::nullopt), &patch_budget_)) {
        next.canonical = std::move(spliced->canonical);
        next.brackets = std::move(spliced->brackets);
      }
    if (next.canonical.empty()) {
      auto value = patched(*turn.patch);
      if (!value)
        return failed(value.error());
      // Writing stops as soon as the bytes pass the limit.
      bool written =
        canonicalize_within_depth(*value, next.canonical, max_state_bytes_);
      if (written && next.canonical.size() <= max_state_bytes_)
        next.value = std::move(*value);
      else if (next.canonical.size() <= max_state_bytes_)
        return error{errc::invalid_json,
                     "turn " + std::to_string(turn.turn_id) +
                       ": the patched state is nested deeper than " +
                       std::to_string(max_json_depth) + " levels"};
    }
  }
  if (next.canonical.size() > max_state_bytes_)
    return error{errc::payload_too_large,
                 "turn " + std::to_string(turn.turn_id) +
                   ": the state is more than " +
                   std::to_string(max_state_bytes_) + " bytes, the limit"};
  // Charged before the hash: the budget bounds what one request makes the
  // server canonicalize and hash, and stops at the first state past it.
  if (rebuild_budget_ != nullptr &&
      !rebuild_budget_->charge(next.canonical.size()))
    return error{errc::payload_too_large,
                 "turn " + std::to_string(turn.turn_id) +
                   ": the turns of this request rebuild more than " +
                   std::to_string(rebuild_budget_->limit()) +
                   " bytes of states in all, the limit; split them into "
                   "smaller batches (fewer turns per request)"};
  auto hash = core::state_hash(next.canonical);
  if (!turn.state_hash.empty() && turn.state_hash != hash)
    return error{errc::hash_mismatch,
                 "turn " + std::to_string(turn.turn_id) +
                   ": state_hash does not match the resulting state (it is " +
                   hash + ")"};
  head_.chain_hash = chain_next(head_.chain_hash, turn.turn_id, hash);
  head_.turn_id = turn.turn_id;
  state_hash_ = std::move(hash);
  // The slot not holding the current state holds the one before it, which
  // is no longer needed.
  int slot = current_slot_ == 0 ? 1 : 0;
  owned_[slot] = std::move(next);
  previous_ = current_;
  current_ = &*owned_[slot];
  current_slot_ = slot;
  return std::monostate{};
}

} // namespace awf::core
