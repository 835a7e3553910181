// What every actor of the save engine shares: the blob key ring, the encoding
// options and the limits. Immutable after start-up except the key ring's
// thread-safe counters.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/key_ring.hpp"
#include "core/turn_codec.hpp"
#include "persistence/database.hpp"

namespace awf::actors {

struct engine_options {
  core::encode_options encode;
  std::size_t max_state_bytes = std::size_t{200} << 20;
  double verify_sample_pct = 1.0;
  std::chrono::milliseconds verify_interval{std::chrono::minutes{5}};
  std::size_t verify_batch_limit = 10000; ///< saves per sweep at most
  std::size_t max_resident_saves = 2000;
  std::chrono::milliseconds save_idle{std::chrono::minutes{2}};
  std::size_t max_commit_batch = 256; ///< turns per group commit at most
  /// Nonces the key ring reserves durably at a time before using them: one
  /// small commit per block of seals, and at most one block forgotten as
  /// spent per restart (2^16 of a key's 2^32).
  std::uint64_t nonce_reservation_block = std::uint64_t{1} << 16;
  persistence::database_options database;
};

struct engine_context {
  std::shared_ptr<core::key_ring> keys;
  engine_options options;
};

using engine_context_ptr = std::shared_ptr<const engine_context>;

} // namespace awf::actors
