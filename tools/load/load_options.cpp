#include "tools/load/load_options.hpp"

#include <algorithm>

#include <CLI/CLI.hpp>

namespace awf::load {

namespace {

options_exit bad(std::string message) {
  for (auto& c : message)
    if (c == '\n' || c == '\r')
      c = ' ';
  return {2, std::move(message)};
}

void add_options(CLI::App& app, load_options& o, std::string& mode) {
  app.add_option("--url", o.url, "server base URL (default " + o.url + ")");
  app.add_option("--devices", o.devices, "simulated devices (default 100)")
    ->check(CLI::Range(1, 1000000));
  app
    .add_option("--saves", o.saves,
                "saves, one user each, shared by the devices (default "
                "devices/2: two devices of one user on one save)")
    ->check(CLI::Range(1, 1000000));
  auto* duration =
    app
      .add_option("--duration", o.duration_s,
                  "seconds to run (default 10 unless --turns is given)")
      ->check(CLI::Range(0.001, 1.0e7));
  app.add_option("--turns", o.turns, "total turns to sync, then stop")
    ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40))
    ->excludes(duration);
  app.add_option("--mode", mode, "ws (WebSocket, default) or rest")
    ->check(CLI::IsMember({"ws", "rest"}));
  app.add_option("--state-kb", o.state_kb, "state size in KiB (default 16)")
    ->check(CLI::Range(1, 100000));
  app
    .add_option("--change-pct", o.change_pct,
                "percent of the state a turn changes (default 1)")
    ->check(CLI::Range(0.0, 100.0));
  app
    .add_option("--full-every", o.full_every,
                "send a whole state every F turns, otherwise a JSON Patch "
                "with state_hash (default 20; saves take turns, so they do "
                "not all send whole states at once)")
    ->check(CLI::Range(1, 1000000));
  app
    .add_option("--rate", o.rate,
                "target total turns/s; 0 = as fast as possible (default 0)")
    ->check(CLI::Range(0.0, 1.0e9));
  app
    .add_option("--turns-per-sync", o.turns_per_sync,
                "turns in one sync up (default 1; the server takes 1000)")
    ->check(CLI::Range(1, 1000));
  app
    .add_option("--threads", o.threads,
                "I/O threads (default: the number of cores)")
    ->check(CLI::Range(1, 1024));
  auto* secret = app.add_option(
    "--hmac-secret", o.hmac_secret,
    "secret that signs user tokens (default: CLOUD_SYNC_HMAC_SECRET, else "
    "the one in the data directory, as awfsync token finds it)");
  app
    .add_option("--data-dir", o.data_dir,
                "the server's data directory, to read its generated "
                "hmac_secret (default: CLOUD_SYNC_DATA_DIR, else ./var)")
    ->excludes(secret);
  app
    .add_option("--setup-concurrency", o.setup_concurrency,
                "saves whose devices register and connect at once (default "
                "32)")
    ->check(CLI::Range(1, 100000));
  app
    .add_option("--timeout", o.timeout_s,
                "seconds to wait for any reply or push (default 30)")
    ->check(CLI::Range(0.1, 3600.0));
  app.add_flag("--verify-states", o.verify_states,
               "receivers also apply every pushed patch and hash the state "
               "(costs client CPU)");
  app
    .add_option("--conflict-rate", o.conflict_rate,
                "chance (0..1) that a device goes offline at its turn, while "
                "the other devices of its save play on, and comes back with "
                "1-3 turns of its own: a conflict (default 0)")
    ->check(CLI::Range(0.0, 1.0));
  app
    .add_option("--conflict-strategy", o.conflict_strategy,
                "the sync ups' strategy with --conflict-rate: server_wins, "
                "client_wins, longest_chain (default), three_way_merge or "
                "manual")
    ->check(CLI::IsMember(conflict_strategies));
  app.add_flag("--json", o.json, "print one JSON summary on stdout");
}

} // namespace

const char* to_string(sync_mode mode) noexcept {
  return mode == sync_mode::ws ? "ws" : "rest";
}

core::result<load_options, options_exit>
parse_load_options(int argc, const char* const* argv,
                   unsigned hardware_threads) {
  CLI::App app{"awf-load: load tester for awf-syncd. Simulated devices "
               "register, share saves two by two and sync game turns over "
               "WebSocket or REST; every reply is checked against the "
               "client-side hash chain. Exit 0 without errors, 1 with "
               "errors, 2 on bad options."};
  load_options o;
  std::string mode = "ws";
  add_options(app, o, mode);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0)
      return options_exit{0, app.help()};
    return bad(e.what());
  }
  auto url = parse_server_url(o.url);
  if (!url)
    return bad("--url " + o.url + ": " + url.error());
  o.server = std::move(*url);
  o.mode = mode == "rest" ? sync_mode::rest : sync_mode::ws;
  if (o.saves == 0)
    o.saves = std::max(1, o.devices / 2);
  if (o.saves > o.devices)
    return bad("--saves " + std::to_string(o.saves) +
               " is more than --devices " + std::to_string(o.devices) +
               "; every save needs a device");
  if (o.duration_s == 0 && o.turns == 0)
    o.duration_s = default_duration_s;
  if (o.threads == 0)
    o.threads = static_cast<int>(std::max(1u, hardware_threads));
  if (app.count("--hmac-secret") > 0 && o.hmac_secret.empty())
    return bad("--hmac-secret must not be empty");
  if (app.count("--data-dir") > 0 && o.data_dir.empty())
    return bad("--data-dir must not be empty");
  return o;
}

} // namespace awf::load
