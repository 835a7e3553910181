// Fuzzes one HTTP request through the router in process, against a real
// save engine on a temporary SQLite file (awf-syncd's wiring, as
// tests/net/expensive_admission_test.cpp runs it). The input is the raw
// bytes of a request: parsed with Beast's request parser under the
// session's header limit, then served with handle_request (route lookup,
// per-route body limit, authentication, the route). Every parsed request is
// answered exactly once, in bounded time, with a status in 100..599, and
// every error status has the contract's error body.
//
// Seeds carry user tokens minted with fuzz::hmac_secret, and may name the
// save created at start through fuzz::placeholder_save_id.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>

#include <unistd.h>

#include "actors/engine_bootstrap.hpp"
#include "actors/save_errc.hpp"
#include "core/user_token.hpp"
#include "fuzz/fuzz_support.hpp"
#include "net/api_router.hpp"
#include "net/engine_runtime.hpp"
#include "net/http_limits.hpp"

using namespace awf;
namespace http = net::http;

namespace {

/// The longest a request may take to be answered before it counts as hung.
constexpr auto answer_deadline = std::chrono::seconds{20};

/// The server's engine and context, made once and never torn down
/// (libFuzzer ends the process).
struct in_process_engine {
  std::filesystem::path dir;
  std::map<std::string, std::string> env;
  std::unique_ptr<net::engine_runtime> runtime;
  std::string save_id; ///< replaces fuzz::placeholder_save_id

  explicit in_process_engine(std::filesystem::path scratch)
    : dir(std::move(scratch)) {
    env = {{"CLOUD_SYNC_DB", (dir / "store.db").string()},
           {"CLOUD_SYNC_DATA_DIR", (dir / "data").string()},
           {"CLOUD_SYNC_HMAC_SECRET", std::string{fuzz::hmac_secret}},
           {"CLOUD_SYNC_SQLITE_SYNC", "normal"},
           {"CLOUD_SYNC_MAX_SAVE_BYTES_MB", "1"}};
    auto setup = actors::bootstrap_engine(config::environment_of(env));
    if (!setup)
      std::fprintf(stderr, "bootstrap: %s\n", setup.error().message.c_str());
    fuzz::require(setup.ok(), "the engine bootstraps");
    auto started = net::engine_runtime::start(
      *setup, std::string{fuzz::hmac_secret}, std::chrono::seconds{10});
    fuzz::require(started.ok(), "the save service starts");
    runtime = std::move(*started);
    // awf-syncd's defaults, except the request rates: the fuzzer sends
    // thousands of requests a second as one user.
    auto& ctx = runtime->context();
    ctx.device_rate.configure(0.0, 0.0);
    ctx.expensive_work.configure({2, 0.0, 1.0});
  }
};

in_process_engine* engine = nullptr;

/// The user of the seeds' tokens.
std::string user_token() {
  return core::mint_user_token(fuzz::hmac_secret,
                               {"fuzz-user", "user", 4102444800});
}

/// Serves `req` in process and waits for its one answer.
http::response<http::string_body> serve(net::http_request req) {
  auto promise =
    std::make_shared<std::promise<http::response<http::string_body>>>();
  auto answered = promise->get_future();
  auto replies = std::make_shared<std::atomic<int>>(0);
  net::handle_request(engine->runtime->context(), std::move(req),
                      [promise, replies](http::response<http::string_body> r) {
                        fuzz::require(replies->fetch_add(1) == 0,
                                      "a request is answered exactly once");
                        promise->set_value(std::move(r));
                      });
  fuzz::require(answered.wait_for(answer_deadline) == std::future_status::ready,
                "a request is answered in bounded time");
  return answered.get();
}

/// Creates the save the placeholder id stands for.
std::string create_save() {
  net::http_request req{http::verb::post, "/api/awf-cloud-sync/saves", 11};
  req.set(http::field::authorization, "Bearer " + user_token());
  req.set(http::field::content_type, "application/json");
  req.body() = R"({"session_id":"fuzz-session"})";
  req.prepare_payload();
  auto res = serve(std::move(req));
  fuzz::require(res.result_int() == 201, "the fuzz save is created");
  auto body = nlohmann::json::parse(res.body(), nullptr, false);
  fuzz::require(body.contains("save_id") && body["save_id"].is_string(),
                "a created save has an id");
  auto id = body["save_id"].get<std::string>();
  fuzz::require(id.size() == fuzz::placeholder_save_id.size(),
                "a save id is as long as the placeholder");
  return id;
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  auto scratch = std::filesystem::temp_directory_path() /
                 ("awf-fuzz-http-" + std::to_string(::getpid()));
  std::filesystem::remove_all(scratch);
  std::filesystem::create_directories(scratch);
  engine = new in_process_engine(scratch);
  engine->save_id = create_save();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string bytes{fuzz::as_text(data, size)};
  for (auto at = bytes.find(fuzz::placeholder_save_id); at != std::string::npos;
       at = bytes.find(fuzz::placeholder_save_id, at + 1))
    bytes.replace(at, engine->save_id.size(), engine->save_id);
  // The session's parser: the header limit of http_limits, the largest
  // body any route takes (the route's own limit is checked after).
  http::request_parser<http::string_body> parser;
  parser.header_limit(
    static_cast<std::uint32_t>(net::http_limits{}.header_bytes));
  parser.body_limit(engine->runtime->context().limits.max_message_bytes);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t used = 0;
  while (!parser.is_done() && used < bytes.size()) {
    auto n = parser.put(
      boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    if (ec || n == 0)
      break;
    used += n;
  }
  if (!parser.is_done() || ec)
    return 0;
  auto res = serve(parser.release());
  auto status = res.result_int();
  fuzz::require(status >= 100 && status <= 599, "a status is in 100..599");
  if (status >= 400)
    fuzz::require(
      fuzz::is_error_body(nlohmann::json::parse(res.body(), nullptr, false)),
      "an error status has the contract's error body");
  return 0;
}
