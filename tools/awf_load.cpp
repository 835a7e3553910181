// awf-load: load tester for awf-syncd (contract §9). Simulated devices share
// saves, sync game turns over WebSocket or REST and check every reply
// against the client-side hash chain; prints throughput, sync-up and push
// latency percentiles and errors (--json: one JSON object). Exit 0 without
// errors, 1 with errors, 2 on bad options.
#include <cstdio>
#include <iostream>
#include <sys/resource.h>
#include <thread>

#include "tools/load/load_options.hpp"
#include "tools/load/load_report.hpp"
#include "tools/load/load_runner.hpp"
#include "tools/load/token_secret.hpp"

using namespace awf;

namespace {

constexpr int exit_errors = 1;
constexpr int exit_bad_options = 2;

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "awf-load: %s\n", message.c_str());
  return code;
}

/// Thousands of devices need thousands of sockets: raise the soft limit of
/// open files to the hard one, and say so when even that is too low.
void raise_open_files_limit(const load::load_options& options) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
    return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
  // One connection per device (briefly two while a WebSocket device sets
  // up), plus slack.
  auto needed = static_cast<rlim_t>(options.devices) +
                static_cast<rlim_t>(options.setup_concurrency) * 4 + 64;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed)
    std::fprintf(stderr,
                 "awf-load: warning: %llu devices may need %llu open files, "
                 "the limit is %llu\n",
                 static_cast<unsigned long long>(options.devices),
                 static_cast<unsigned long long>(needed),
                 static_cast<unsigned long long>(limit.rlim_cur));
}

void print_error_samples(const load::load_summary& summary) {
  if (summary.errors == 0)
    return;
  std::fprintf(stderr, "awf-load: %lld errors; first distinct messages:\n",
               static_cast<long long>(summary.errors));
  for (const auto& [message, count] : summary.error_samples)
    std::fprintf(stderr, "  %lldx %s\n", static_cast<long long>(count),
                 message.c_str());
}

} // namespace

int main(int argc, char** argv) {
  auto options =
    load::parse_load_options(argc, argv, std::thread::hardware_concurrency());
  if (!options) {
    if (options.error().code == 0) {
      std::cout << options.error().text;
      return 0;
    }
    return fail(exit_bad_options, options.error().text);
  }
  auto secret = load::resolve_token_secret(*options);
  if (!secret)
    return fail(exit_bad_options, secret.error().message);
  raise_open_files_limit(*options);
  auto summary = load::run_load(*options, std::move(*secret));
  if (!summary)
    return fail(exit_errors, summary.error());
  print_error_samples(*summary);
  if (options->json)
    std::cout << load::summary_json(*summary).dump() << std::endl;
  else
    std::cout << load::summary_text(*summary);
  return summary->errors == 0 ? 0 : exit_errors;
}
