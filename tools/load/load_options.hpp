// The command line of awf-load, parsed and validated into one struct. Pure:
// nothing is printed here, so tests can feed argument lists directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "tools/load/server_url.hpp"

namespace awf::load {

enum class sync_mode { ws, rest };

/// "ws" or "rest".
const char* to_string(sync_mode mode) noexcept;

struct load_options {
  std::string url = "http://127.0.0.1:8080";
  server_url server; ///< `url`, parsed.
  int devices = 100;
  int saves = 0;          ///< After parsing: --saves, else devices / 2.
  double duration_s = 0;  ///< 0: no time limit (then `turns` is set).
  std::int64_t turns = 0; ///< 0: no turn limit (then `duration_s` is set).
  sync_mode mode = sync_mode::ws;
  int state_kb = 16;
  double change_pct = 1.0; ///< Percent of a state a turn edits.
  int full_every = 20;
  double rate = 0; ///< Target turns/s of the whole run; 0: no limit.
  int turns_per_sync = 1;
  int threads = 0; ///< After parsing: --threads, else the core count.
  std::string hmac_secret;
  std::string data_dir;
  int setup_concurrency = 32; ///< Saves registering at once.
  double timeout_s = 30;      ///< Bound of every request and push wait.
  bool verify_states = false; ///< Receivers apply patches and hash states.
  /// Chance (0..1) that a device, at its turn, goes offline and comes back
  /// with a branch of its own; 0 keeps the devices of a save in step.
  double conflict_rate = 0;
  /// The sync ups' "strategy" (contract §5), sent only with a conflict rate.
  std::string conflict_strategy = "longest_chain";
  bool json = false;
};

/// The strategies of contract §6, as --conflict-strategy accepts them.
inline const std::vector<std::string> conflict_strategies = {
  "server_wins", "client_wins", "longest_chain", "three_way_merge", "manual"};

/// Time limit when neither --duration nor --turns is given.
inline constexpr double default_duration_s = 10;

/// How parsing ended without options: --help (code 0, help text for
/// stdout) or a bad command line (code 2, one line for stderr).
struct options_exit {
  int code;
  std::string text;
};

/// Parses and validates the command line. `hardware_threads` is the default
/// of --threads (0 counts as 1).
core::result<load_options, options_exit>
parse_load_options(int argc, const char* const* argv,
                   unsigned hardware_threads);

} // namespace awf::load
