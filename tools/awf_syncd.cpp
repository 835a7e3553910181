// awf-syncd: the awf-cloud-sync server. Reads CLOUD_SYNC_* settings (flags
// override them), starts the save engine and the HTTP edge, and stops
// cleanly on SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>

#include "actors/actor_config.hpp"
#include "actors/engine_bootstrap.hpp"
#include "actors/save_errc.hpp"
#include "config/hmac_secret.hpp"
#include "net/engine_bridge.hpp"
#include "net/http_server.hpp"

using namespace awf;

namespace {

int fail(const std::string& message) {
  std::cerr << "awf-syncd: " << message << std::endl;
  return 2;
}

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" ||
         address == "localhost";
}

std::string settings_help() {
  std::string text = "Settings (environment variables):\n";
  for (const auto& s : config::all_settings())
    text += "  " + s.env_name + " (default " + s.default_text + ")\n      " +
            s.description + "\n";
  return text;
}

/// Blocks SIGINT and SIGTERM in this thread and every thread it starts, so
/// that only `wait_for_stop` receives them.
sigset_t block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int wait_for_stop(const sigset_t& set) {
  int signal = 0;
  sigwait(&set, &signal);
  return signal;
}

} // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> overrides;
  CLI::App app{"awf-syncd: the awf-cloud-sync server"};
  app.add_option_function<std::string>(
    "--listen",
    [&](const std::string& v) { overrides["CLOUD_SYNC_LISTEN"] = v; },
    "address:port (overrides CLOUD_SYNC_LISTEN)");
  app.add_option_function<std::string>(
    "--db", [&](const std::string& v) { overrides["CLOUD_SYNC_DB"] = v; },
    "SQLite path or postgresql:// URL (overrides CLOUD_SYNC_DB)");
  app.add_option_function<std::string>(
    "--data-dir",
    [&](const std::string& v) { overrides["CLOUD_SYNC_DATA_DIR"] = v; },
    "data directory (overrides CLOUD_SYNC_DATA_DIR)");
  app.footer(settings_help());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  auto environment = config::process_environment();
  config::env_lookup env = [&](const char* name) {
    auto it = overrides.find(name);
    return it != overrides.end() ? std::optional{it->second}
                                 : environment(name);
  };
  auto setup = actors::bootstrap_engine(env);
  if (!setup)
    return fail(setup.error().message);
  for (const auto& warning : setup->warnings)
    std::cerr << "awf-syncd: WARNING: " << warning << std::endl;
  bool generated_secret = false;
  auto secret = config::resolve_hmac_secret(setup->settings, &generated_secret);
  if (!secret)
    return fail(secret.error().message);
  auto listen = net::parse_listen(setup->settings.listen);
  if (!listen)
    return fail(listen.error().message);
  if (generated_secret) {
    std::cerr << "awf-syncd: WARNING: CLOUD_SYNC_HMAC_SECRET is not set; "
                 "using a development secret from "
              << setup->settings.data_dir
              << "/hmac_secret. Set a real secret before exposing the server."
              << std::endl;
    if (!is_loopback(listen->address))
      return fail("refusing to listen on " + listen->address +
                  " with a development secret: set CLOUD_SYNC_HMAC_SECRET");
  }
  auto stop_signals = block_stop_signals();
  actors::actor_config cfg;
  caf::actor_system sys{cfg};
  auto service =
    actors::save_service::start(sys, setup->context, setup->service);
  if (!service)
    return fail(actors::error_message(service.error()));
  const auto& s = setup->settings;
  net::engine_bridge bridge{sys, (*service)->registry(), (*service)->devices(),
                            std::chrono::seconds{30}, s.max_pending};
  net::api_context ctx;
  ctx.bridge = &bridge;
  ctx.hmac_secret = *secret;
  ctx.sync_enabled = s.enabled;
  ctx.now_unix = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  auto message_bytes =
    setup->context->options.max_state_bytes + (std::size_t{1} << 20);
  ctx.limits.max_turns_per_sync =
    static_cast<std::size_t>(s.max_turns_per_sync);
  ctx.limits.max_message_bytes = message_bytes;
  ctx.limits.max_connections = static_cast<std::size_t>(s.max_connections);
  ctx.limits.max_connections_per_address =
    static_cast<std::size_t>(s.max_connections_per_ip);
  ctx.limits.ws_idle_timeout = std::chrono::seconds{s.ws_idle_s};
  ctx.device_rate.configure(s.device_rate, s.device_burst);
  ctx.expensive_work.configure(
    {static_cast<std::size_t>(s.user_expensive_concurrent),
     s.user_expensive_per_min / 60.0,
     static_cast<double>(s.user_expensive_burst)});
  listen->threads = std::max(1u, std::thread::hardware_concurrency());
  listen->limits.header_timeout = std::chrono::seconds{s.header_timeout_s};
  listen->limits.header_bytes = static_cast<std::size_t>(s.max_header_kb) << 10;
  auto server = net::http_server::start(*listen, ctx);
  if (!server)
    return fail(server.error().message);
  std::cout << "awf-syncd: listening on http://" << listen->address << ":"
            << (*server)->port() << " ("
            << (persistence::database::is_postgresql_url(
                  setup->settings.database_url())
                  ? "PostgreSQL"
                  : "SQLite " + setup->settings.database_url())
            << ")" << std::endl;
  int signal = wait_for_stop(stop_signals);
  std::cout << "awf-syncd: signal " << signal
            << ", finishing requests in flight" << std::endl;
  (*server)->stop(std::chrono::seconds{5});
  (*service)->stop();
  service->reset(); // its blocking helper actor must go too
  // No engine answer may reach the request context after this function.
  sys.await_all_actors_done();
  std::cout << "awf-syncd: stopped" << std::endl;
  return 0;
}
