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

#include "actors/engine_bootstrap.hpp"
#include "config/hmac_secret.hpp"
#include "config/usable_cpus.hpp"
#include "net/engine_runtime.hpp"
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
  auto runtime = net::engine_runtime::start(*setup, *secret);
  if (!runtime)
    return fail(runtime.error().message);
  const auto& s = setup->settings;
  listen->threads = config::usable_cpus();
  listen->limits.header_timeout = std::chrono::seconds{s.header_timeout_s};
  listen->limits.header_bytes = static_cast<std::size_t>(s.max_header_kb) << 10;
  auto server = net::http_server::start(*listen, (*runtime)->context());
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
  (*runtime)->stop();
  std::cout << "awf-syncd: stopped" << std::endl;
  return 0;
}
