// awf-bench: measures the save engine on each storage backend: persist and
// materialize latency percentiles on one 500-turn save, stored bytes per
// turn, and persist throughput with many saves writing at once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <malloc.h>
#include <map>
#include <numeric>
#include <random>
#include <thread>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/actor_config.hpp"
#include "actors/save_errc.hpp"
#include "actors/save_service.hpp"
#include "core/canonical_json.hpp"
#include "persistence/database.hpp"
#include "tools/game_state_model.hpp"

using namespace awf;
using bench_clock = std::chrono::steady_clock;

namespace {

struct bench_options {
  int turns = 500;
  int state_kb = 16;
  double change_pct = 1.0;
  int snapshot_every = 25;
  int zstd_level = 10;
  int concurrent_saves = 32;
  int concurrent_turns = 100;
  int touch_saves = 0;
  int max_resident = 2000;
  std::string sqlite_sync = "full";
  std::vector<std::string> backends;
  std::string pg_url;
  bool json = false;
};

double ms_since(bench_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(bench_clock::now() - start)
    .count();
}

double percentile(std::vector<double> values, double p) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(p / 100.0 * values.size() + 0.5);
  return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

nlohmann::json summarize(const std::vector<double>& ms) {
  double total = 0;
  for (double x : ms)
    total += x;
  return {{"p50_ms", percentile(ms, 50)},
          {"p95_ms", percentile(ms, 95)},
          {"p99_ms", percentile(ms, 99)},
          {"max_ms", percentile(ms, 100)},
          {"mean_ms", ms.empty() ? 0 : total / ms.size()}};
}

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "awf-bench: " << what << std::endl;
  std::exit(1);
}

template<class T>
T need(caf::expected<T> x, const char* what) {
  if (!x)
    fail(std::string{what} + ": " + actors::error_message(x.error()));
  return std::move(*x);
}

/// A fresh database for one backend run; removed afterwards.
struct scratch_database {
  std::string url;
  std::string dir;
  std::string schema;
  std::string admin_url;

  scratch_database(const std::string& backend, const std::string& pg_url) {
    char pattern[] = "/tmp/awf-bench.XXXXXX";
    dir = ::mkdtemp(pattern);
    if (backend == "sqlite") {
      url = dir + "/bench.db";
      return;
    }
    admin_url = pg_url;
    schema = "bench_" + std::to_string(::getpid());
    admin("CREATE SCHEMA " + schema);
    url = pg_url + (pg_url.find('?') == std::string::npos ? "?" : "&") +
          "options=-csearch_path%3D" + schema;
  }

  ~scratch_database() {
    if (!schema.empty())
      admin("DROP SCHEMA " + schema + " CASCADE");
    std::filesystem::remove_all(dir);
  }

  void admin(const std::string& sql) {
    auto db = persistence::database::open({admin_url});
    if (!db)
      fail(db.error().message);
    if (auto ok = (*db)->execute(sql); !ok)
      fail(ok.error().message);
  }
};

actors::engine_context_ptr make_context(const bench_options& opts,
                                        const std::string& url) {
  auto ring = core::key_ring::make({{"bench", core::key_ring::random_key()}});
  auto ctx = std::make_shared<actors::engine_context>();
  ctx->keys = std::make_shared<core::key_ring>(std::move(*ring));
  ctx->options.database.url = url;
  ctx->options.database.sync = opts.sqlite_sync == "normal"
                                 ? persistence::sqlite_sync::normal
                                 : persistence::sqlite_sync::full;
  ctx->options.encode.zstd_level = opts.zstd_level;
  ctx->options.encode.snapshot_every = opts.snapshot_every;
  ctx->options.max_resident_saves = static_cast<std::size_t>(opts.max_resident);
  return ctx;
}

// One save, turn after turn: latency of persist and of materialize.
nlohmann::json measure_latency(actors::save_service& svc,
                               const bench_options& opts) {
  auto save_id =
    need(svc.create_or_attach_save("bench-latency", "bench-user"), "create")
      .save.save_id;
  tools::game_state_model model{1,
                                static_cast<std::size_t>(opts.state_kb) * 1024};
  std::vector<double> persist_ms;
  std::uint64_t stored_bytes = 0;
  std::uint64_t state_bytes = 0;
  std::map<std::string, int> kinds;
  for (int t = 1; t <= opts.turns; ++t) {
    model.advance(opts.change_pct / 100.0);
    auto state = model.state();
    state_bytes += core::canonicalize(state).size();
    auto t0 = bench_clock::now();
    auto ack = need(svc.persist_turn(save_id, t, std::move(state)), "persist");
    persist_ms.push_back(ms_since(t0));
    stored_bytes += ack.stored_bytes;
    ++kinds[ack.kind];
  }
  // Time inside persist calls only: the model's own work does not count.
  double persist_busy_ms =
    std::accumulate(persist_ms.begin(), persist_ms.end(), 0.0);
  std::vector<std::int64_t> order(opts.turns);
  std::iota(order.begin(), order.end(), 1);
  std::shuffle(order.begin(), order.end(), std::mt19937{7});
  std::vector<double> materialize_ms;
  for (auto t : order) {
    auto t0 = bench_clock::now();
    need(svc.materialize(save_id, t), "materialize");
    materialize_ms.push_back(ms_since(t0));
  }
  auto verify_start = bench_clock::now();
  auto report = need(svc.verify(save_id, true), "verify");
  if (!report.ok)
    fail("verify failed after the benchmark");
  return {
    {"persist", summarize(persist_ms)},
    {"materialize", summarize(materialize_ms)},
    {"persist_sequential_turns_per_s", opts.turns / (persist_busy_ms / 1000.0)},
    {"stored_bytes_per_turn", static_cast<double>(stored_bytes) / opts.turns},
    {"state_bytes", static_cast<double>(state_bytes) / opts.turns},
    {"turn_kinds", kinds},
    {"verify_full_ms", ms_since(verify_start)}};
}

// Many saves at once, one thread each: throughput with group commit.
double measure_throughput(caf::actor_system& sys, actors::save_service& svc,
                          const bench_options& opts) {
  std::vector<std::string> ids;
  for (int i = 0; i < opts.concurrent_saves; ++i)
    ids.push_back(need(svc.create_or_attach_save(
                         "bench-tp-" + std::to_string(i), "bench-user"),
                       "create")
                    .save.save_id);
  std::vector<std::vector<nlohmann::json>> states(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    tools::game_state_model model{static_cast<unsigned>(100 + i),
                                  static_cast<std::size_t>(opts.state_kb) *
                                    1024};
    for (int t = 0; t < opts.concurrent_turns; ++t) {
      model.advance(opts.change_pct / 100.0);
      states[i].push_back(model.state());
    }
  }
  auto registry = svc.registry();
  std::atomic<int> errors{0};
  auto started = bench_clock::now();
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    threads.emplace_back([&, i] {
      caf::scoped_actor self{sys};
      for (int t = 0; t < opts.concurrent_turns; ++t) {
        self
          ->request(registry, std::chrono::seconds{60}, actors::persist_atom_v,
                    actors::persist_request{ids[i], t + 1, states[i][t]})
          .receive([](const actors::persist_ack&) {},
                   [&](caf::error&) { ++errors; });
      }
    });
  }
  for (auto& th : threads)
    th.join();
  double seconds = ms_since(started) / 1000.0;
  if (errors > 0)
    fail(std::to_string(errors.load()) + " concurrent persists failed");
  return ids.size() * opts.concurrent_turns / seconds;
}

// Resident memory in MiB, after handing freed heap back to the system so
// earlier phases' garbage does not count.
double rss_mb() {
  ::malloc_trim(0);
  long pages = 0, resident = 0;
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr)
    return 0;
  if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = 0;
  std::fclose(f);
  return resident * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

// Touches many saves (create + one turn each) and reports how many save
// actors stayed in memory and how the process grew.
nlohmann::json measure_touch(caf::actor_system& sys, actors::save_service& svc,
                             const bench_options& opts) {
  auto registry = svc.registry();
  auto before = rss_mb();
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  auto started = bench_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&] {
      caf::scoped_actor self{sys};
      for (int i = next++; i < opts.touch_saves; i = next++) {
        std::string save_id;
        self
          ->request(registry, std::chrono::seconds{60}, actors::create_atom_v,
                    std::string{"touch-user"}, "touch-" + std::to_string(i),
                    std::string{"1.0.0"})
          .receive([&](actors::attach_reply& r) { save_id = r.save.save_id; },
                   [&](caf::error&) { ++errors; });
        if (save_id.empty())
          continue;
        nlohmann::json state{{"slot", i}, {"pad", std::string(512, 'x')}};
        self
          ->request(registry, std::chrono::seconds{60}, actors::persist_atom_v,
                    actors::persist_request{save_id, 1, std::move(state)})
          .receive([](const actors::persist_ack&) {},
                   [&](caf::error&) { ++errors; });
      }
    });
  }
  for (auto& th : threads)
    th.join();
  auto stats = need(svc.stats(), "stats");
  return {{"touched_saves", opts.touch_saves},
          {"errors", errors.load()},
          {"seconds", ms_since(started) / 1000.0},
          {"resident_saves", stats.resident},
          {"max_resident_saves", opts.max_resident},
          {"passivated_saves", stats.passivated},
          {"rss_mb_before", before},
          {"rss_mb_after", rss_mb()}};
}

nlohmann::json run_backend(const std::string& backend,
                           const bench_options& opts) {
  scratch_database db{backend, opts.pg_url};
  actors::actor_config cfg;
  caf::actor_system sys{cfg};
  actors::service_options svc_opts;
  svc_opts.periodic_verification = false;
  auto svc =
    need(actors::save_service::start(sys, make_context(opts, db.url), svc_opts),
         "start");
  auto result = measure_latency(*svc, opts);
  result["persist_turns_per_s"] = measure_throughput(sys, *svc, opts);
  if (opts.touch_saves > 0)
    result["touch"] = measure_touch(sys, *svc, opts);
  result["persist_p95_ms"] = result["persist"]["p95_ms"];
  result["materialize_p95_ms"] = result["materialize"]["p95_ms"];
  svc->stop();
  return result;
}

void print_human(const nlohmann::json& out) {
  for (const auto& [backend, r] : out["backends"].items()) {
    std::printf("%-10s persist p50 %.3f p95 %.3f p99 %.3f ms | materialize "
                "p50 %.3f p95 %.3f p99 %.3f ms\n",
                backend.c_str(), r["persist"]["p50_ms"].get<double>(),
                r["persist"]["p95_ms"].get<double>(),
                r["persist"]["p99_ms"].get<double>(),
                r["materialize"]["p50_ms"].get<double>(),
                r["materialize"]["p95_ms"].get<double>(),
                r["materialize"]["p99_ms"].get<double>());
    std::printf("%-10s %.0f turns/s concurrent, %.0f turns/s sequential, "
                "%.0f stored bytes/turn for %.0f-byte states (%.2f%%)\n",
                "", r["persist_turns_per_s"].get<double>(),
                r["persist_sequential_turns_per_s"].get<double>(),
                r["stored_bytes_per_turn"].get<double>(),
                r["state_bytes"].get<double>(),
                100.0 * r["stored_bytes_per_turn"].get<double>() /
                  r["state_bytes"].get<double>());
    if (r.contains("touch")) {
      const auto& t = r["touch"];
      std::printf(
        "%-10s touched %d saves: %d resident at most %d, RSS %.0f "
        "-> %.0f MiB\n",
        "", t["touched_saves"].get<int>(), t["resident_saves"].get<int>(),
        t["max_resident_saves"].get<int>(), t["rss_mb_before"].get<double>(),
        t["rss_mb_after"].get<double>());
    }
  }
}

} // namespace

int main(int argc, char** argv) {
  bench_options opts;
  CLI::App app{"awf-bench: save engine benchmarks (persist, materialize, "
               "stored bytes, throughput) per storage backend"};
  app.add_option("--turns", opts.turns, "turns in the latency save")
    ->check(CLI::Range(1, 1000000));
  app.add_option("--state-kb", opts.state_kb, "state size in KiB")
    ->check(CLI::Range(1, 100000));
  app
    .add_option("--change-pct", opts.change_pct,
                "percent of the state changed per turn")
    ->check(CLI::Range(0.0, 100.0));
  app.add_option("--snapshot-every", opts.snapshot_every)
    ->check(CLI::Range(1, 10000));
  app.add_option("--zstd-level", opts.zstd_level)->check(CLI::Range(1, 22));
  app
    .add_option("--concurrent-saves", opts.concurrent_saves,
                "saves writing at once in the throughput phase")
    ->check(CLI::Range(1, 10000));
  app
    .add_option("--concurrent-turns", opts.concurrent_turns,
                "turns per save in the throughput phase")
    ->check(CLI::Range(1, 100000));
  app
    .add_option("--touch-saves", opts.touch_saves,
                "afterwards, create this many saves with one turn each and "
                "report memory")
    ->check(CLI::Range(0, 10000000));
  app
    .add_option("--max-resident", opts.max_resident,
                "save actors kept in memory at most")
    ->check(CLI::Range(1, 10000000));
  app.add_option("--sqlite-sync", opts.sqlite_sync)
    ->check(CLI::IsMember({"full", "normal"}));
  app
    .add_option("--backend", opts.backends,
                "sqlite and/or postgresql (default: sqlite, plus postgresql "
                "when a URL is known)")
    ->check(CLI::IsMember({"sqlite", "postgresql"}));
  app.add_option("--pg-url", opts.pg_url,
                 "postgresql:// URL (default: $AWF_TEST_PG_URL)");
  app.add_flag("--json", opts.json, "print one JSON summary");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (opts.pg_url.empty())
    if (const char* env = std::getenv("AWF_TEST_PG_URL"))
      opts.pg_url = env;
  if (opts.backends.empty()) {
    opts.backends.push_back("sqlite");
    if (!opts.pg_url.empty())
      opts.backends.push_back("postgresql");
  }
  nlohmann::json out{
    {"config",
     {{"turns", opts.turns},
      {"state_kb", opts.state_kb},
      {"change_pct", opts.change_pct},
      {"snapshot_every", opts.snapshot_every},
      {"zstd_level", opts.zstd_level},
      {"sqlite_sync", opts.sqlite_sync},
      {"concurrent_saves", opts.concurrent_saves},
      {"concurrent_turns", opts.concurrent_turns}}},
    {"machine", {{"cores", std::thread::hardware_concurrency()}}}};
  for (const auto& backend : opts.backends) {
    if (backend == "postgresql" && opts.pg_url.empty())
      fail("--backend postgresql needs --pg-url or AWF_TEST_PG_URL");
    out["backends"][backend] = run_backend(backend, opts);
  }
  if (opts.json)
    std::cout << out.dump(2) << std::endl;
  else
    print_human(out);
  return 0;
}
