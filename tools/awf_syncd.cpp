// awf-syncd: the awf-cloud-sync server. Reads CLOUD_SYNC_* settings (flags
// override them), starts the save engine and the HTTP edge, and stops
// cleanly on SIGINT or SIGTERM.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <future>
#include <iostream>
#include <map>
#include <pthread.h>
#include <thread>

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

/// Receives SIGINT and SIGTERM for the whole process. Its constructor blocks
/// them in the calling thread, so it must run first in `main`: every thread
/// started later (CAF's, the SQLite checkpointer's) inherits the mask, and a
/// signal can never take its default action in one of them. Until `serving`
/// a signal ends the process at once, as it would by default, so a start-up
/// stuck on a database can still be interrupted; afterwards `wait` returns it.
class stop_signals {
public:
  stop_signals() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    std::thread{[this] {
      int signal = 0;
      sigwait(&set_, &signal);
      if (!serving_.load())
        std::_Exit(128 + signal);
      received_.set_value(signal);
    }}.detach();
  }

  /// From now on a signal stops the server through `wait`.
  void serving() { serving_.store(true); }

  int wait() { return received_.get_future().get(); }

private:
  sigset_t set_;
  std::atomic<bool> serving_{false};
  std::promise<int> received_;
};

} // namespace

int main(int argc, char** argv) {
  // Never destroyed: its thread may still wait for a signal while the
  // process exits.
  static auto& signals = *new stop_signals;
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
  // Before the line that tells callers the server is up: from then on a
  // signal must stop it cleanly.
  signals.serving();
  std::cout << "awf-syncd: listening on http://" << listen->address << ":"
            << (*server)->port() << " ("
            << (persistence::database::is_postgresql_url(
                  setup->settings.database_url())
                  ? "PostgreSQL"
                  : "SQLite " + setup->settings.database_url())
            << ")" << std::endl;
  int signal = signals.wait();
  std::cout << "awf-syncd: signal " << signal
            << ", finishing requests in flight" << std::endl;
  (*server)->stop(std::chrono::seconds{5});
  (*runtime)->stop();
  std::cout << "awf-syncd: stopped" << std::endl;
  return 0;
}
