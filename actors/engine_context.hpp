// What every actor of the save engine shares: the blob key ring, the encoding
// options and the limits. Immutable after start-up except the key ring's
// thread-safe counters.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
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
  /// Bytes of states one sync up may rebuild (canonicalize and hash) in all,
  /// its own turns and the checks of a ruling's head chain together; 0:
  /// sync_rebuild_limit's default, max(64 MiB, 2 x max_state_bytes).
  std::size_t max_sync_rebuild_bytes = 0;
  /// Nonces the key ring reserves durably at a time before using them: one
  /// small commit per block of seals, and at most one block forgotten as
  /// spent per restart (2^16 of a key's 2^32).
  std::uint64_t nonce_reservation_block = std::uint64_t{1} << 16;
  persistence::database_options database;
};

struct engine_context {
  std::shared_ptr<core::key_ring> keys;
  engine_options options;
  /// The engine's clock: request deadlines (request_scope.hpp) and idle
  /// saves are checked against it; tests inject one to pass a deadline at a
  /// chosen step of the work or to make saves idle without waiting.
  std::function<std::chrono::steady_clock::time_point()> now = [] {
    return std::chrono::steady_clock::now();
  };
  /// Unix milliseconds, for the times a save reports (updated_at).
  std::function<std::int64_t()> wall_clock_ms = [] {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
      .count();
  };
};

using engine_context_ptr = std::shared_ptr<const engine_context>;

/// The rebuild budget of one sync up under `opts`: a device may send a
/// state and a thousand small patches on it in one body of a few MB, and
/// each turn costs the whole state's canonical bytes and hash. Twice the
/// state limit lets any one state be replaced and checked again; 64 MiB
/// keeps long runs of small states within one request.
inline std::size_t sync_rebuild_limit(const engine_options& opts) {
  if (opts.max_sync_rebuild_bytes > 0)
    return opts.max_sync_rebuild_bytes;
  return std::max(std::size_t{64} << 20, 2 * opts.max_state_bytes);
}

} // namespace awf::actors
