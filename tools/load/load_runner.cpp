#include "tools/load/load_runner.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <optional>
#include <random>
#include <thread>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "tools/load/load_context.hpp"
#include "tools/load/server_sample.hpp"
#include "tools/load/simulated_save.hpp"

namespace awf::load {

namespace {

std::string make_run_id() {
  std::random_device entropy;
  char text[9];
  std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(entropy()));
  return text;
}

/// One run: owns the I/O context, the saves and the run-level timers.
/// Run-level state is touched only on `strand_`.
class load_runner {
public:
  load_runner(const load_options& options, endpoint_list endpoints,
              std::string secret, net::io_context& ioc)
    : options_(options), ioc_(ioc),
      ctx_(options, std::move(endpoints), std::move(secret), make_run_id()),
      strand_(net::make_strand(ioc)), progress_timer_(strand_),
      deadline_timer_(strand_), signals_(strand_, SIGINT, SIGTERM),
      tty_(::isatty(STDERR_FILENO) == 1) {}

  load_summary run() {
    ctx_.setup_done = [this](bool) {
      if (--setting_up_ == 0)
        net::post(strand_, [this] { start_all(); });
    };
    ctx_.save_done = [this](bool clean) {
      if (!clean)
        ++failed_saves_;
      if (--running_ == 0)
        net::post(strand_, [this] { finish(); });
    };
    std::vector<std::vector<int>> plan(
      static_cast<std::size_t>(options_.saves));
    for (int device = 0; device < options_.devices; ++device)
      plan[static_cast<std::size_t>(device % options_.saves)].push_back(device);
    setting_up_ = options_.saves;
    running_ = options_.saves;
    for (int i = 0; i < options_.saves; ++i)
      saves_.push_back(std::make_shared<simulated_save>(
        ctx_, ioc_, i, std::move(plan[static_cast<std::size_t>(i)])));
    net::post(strand_, [this] {
      wait_for_signal();
      tick();
    });
    for (auto& save : saves_)
      save->spawn();
    std::vector<std::thread> pool;
    for (int i = 1; i < options_.threads; ++i)
      pool.emplace_back([this] { ioc_.run(); });
    ioc_.run();
    for (auto& thread : pool)
      thread.join();
    return summary();
  }

private:
  void start_all() {
    // A blocking request, once: the devices have not started yet.
    server_before_ = sample_server(options_.server);
    own_cpu_before_ = own_cpu_seconds();
    started_ = load_clock::now();
    ctx_.deadline =
      options_.duration_s > 0
        ? started_ + std::chrono::duration_cast<load_clock::duration>(
                       std::chrono::duration<double>(options_.duration_s))
        : no_deadline();
    ctx_.pacer.start(started_);
    last_tick_ = started_;
    if (options_.duration_s > 0) {
      deadline_timer_.expires_at(ctx_.deadline);
      deadline_timer_.async_wait([this](error_code ec) {
        if (!ec)
          request_stop();
      });
    }
    for (auto& save : saves_)
      save->start();
  }

  void request_stop() {
    if (ctx_.stopping.exchange(true))
      return;
    for (auto& save : saves_)
      save->stop();
  }

  /// First signal: stop after the sync ups in flight. Second: stop now.
  void wait_for_signal() {
    signals_.async_wait([this](error_code ec, int) {
      if (ec)
        return;
      if (ctx_.stopping.load()) {
        ioc_.stop();
        return;
      }
      request_stop();
      wait_for_signal();
    });
  }

  void tick() {
    if (done_)
      return;
    if (tty_)
      print_progress();
    progress_timer_.expires_after(std::chrono::seconds{1});
    progress_timer_.async_wait([this](error_code ec) {
      if (!ec)
        tick();
    });
  }

  void print_progress() {
    std::string line;
    if (started_ == load_clock::time_point{}) {
      line =
        "setting up: " + std::to_string(options_.saves - setting_up_.load()) +
        "/" + std::to_string(options_.saves) + " saves | errors " +
        std::to_string(ctx_.stats.errors());
    } else {
      auto now = load_clock::now();
      auto turns = ctx_.stats.turns();
      double seconds = ms_between(last_tick_, now) / 1000.0;
      double rate = seconds > 0 ? (turns - last_turns_) / seconds : 0;
      line = progress_line(turns, rate, ctx_.stats.take_interval_sync_up_p95(),
                           ctx_.stats.errors());
      last_tick_ = now;
      last_turns_ = turns;
    }
    std::fprintf(stderr, "\r%-78s", line.c_str());
    std::fflush(stderr);
    printed_progress_ = true;
  }

  void finish() {
    finished_ = load_clock::now();
    own_cpu_s_ = own_cpu_seconds() - own_cpu_before_;
    if (server_before_)
      server_after_ = sample_server(options_.server);
    done_ = true;
    progress_timer_.cancel();
    deadline_timer_.cancel();
    signals_.cancel();
    if (printed_progress_) {
      std::fputc('\n', stderr);
      std::fflush(stderr);
    }
  }

  load_summary summary() const {
    load_summary s;
    s.turns = ctx_.stats.turns();
    if (started_ != load_clock::time_point{}) {
      // Without a finish (a second signal stopped the run), up to now.
      auto end =
        finished_ != load_clock::time_point{} ? finished_ : load_clock::now();
      s.duration_s = ms_between(started_, end) / 1000.0;
    }
    s.sync_up = ctx_.stats.sync_up();
    s.push = ctx_.stats.push();
    s.errors = ctx_.stats.errors();
    s.error_samples = ctx_.stats.error_samples();
    s.devices = options_.devices;
    s.saves = options_.saves;
    s.failed_saves = failed_saves_.load();
    s.mode = to_string(options_.mode);
    s.conflict_rate = options_.conflict_rate;
    s.conflict_strategy = options_.conflict_strategy;
    s.conflict_resolve = ctx_.stats.conflict_resolve();
    s.conflict_winners = ctx_.stats.conflict_winners();
    s.manual_conflicts = ctx_.stats.manual_conflicts();
    s.load_cpu_s = own_cpu_s_;
    if (server_before_ && server_after_) {
      s.server_cpu_s = server_after_->cpu_seconds - server_before_->cpu_seconds;
      s.server_resident_bytes = server_after_->resident_bytes;
    }
    return s;
  }

  const load_options& options_;
  net::io_context& ioc_;
  load_context ctx_;
  net::strand<net::io_context::executor_type> strand_;
  net::steady_timer progress_timer_;
  net::steady_timer deadline_timer_;
  net::signal_set signals_;
  std::vector<std::shared_ptr<simulated_save>> saves_;
  std::atomic<int> setting_up_{0};
  std::atomic<int> running_{0};
  std::atomic<int> failed_saves_{0};
  load_clock::time_point started_{};
  load_clock::time_point finished_{};
  load_clock::time_point last_tick_{};
  std::int64_t last_turns_ = 0;
  std::optional<server_sample> server_before_, server_after_;
  double own_cpu_before_ = 0;
  double own_cpu_s_ = 0;
  bool tty_;
  bool printed_progress_ = false;
  bool done_ = false;
};

} // namespace

core::result<load_summary, std::string> run_load(const load_options& options,
                                                 std::string secret) {
  net::io_context ioc{options.threads};
  tcp::resolver resolver{ioc};
  error_code ec;
  auto endpoints =
    resolver.resolve(options.server.host, options.server.port, ec);
  if (ec)
    return "cannot resolve " + options.server.host + ": " + ec.message();
  load_runner runner{options, std::move(endpoints), std::move(secret), ioc};
  return runner.run();
}

} // namespace awf::load
