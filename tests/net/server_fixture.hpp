// Starts the real awf-syncd binary on a free port against a fresh test
// database, and speaks HTTP to it over a real socket.
#pragma once

#include <csignal>
#include <cstdio>
#include <spawn.h>
#include <string>
#include <string_view>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "caf/test/unit_test.hpp"

#include "core/user_token.hpp"
#include "tests/support/test_database.hpp"

extern char** environ;

namespace awf::test {

namespace http = boost::beast::http;

inline const std::string test_secret = "0123456789abcdef0123456789abcdef-test";

/// Servers started by this process. A failed CAF_REQUIRE calls abort(),
/// which skips every destructor: the SIGABRT handler kills them so no
/// server outlives its test binary (and holds its output pipe open).
struct spawned_servers {
  static constexpr int capacity = 64;
  static inline volatile sig_atomic_t pids[capacity] = {};

  static void on_abort(int) {
    for (int i = 0; i < capacity; ++i)
      if (pids[i] > 0)
        ::kill(static_cast<pid_t>(pids[i]), SIGKILL);
    std::signal(SIGABRT, SIG_DFL);
    std::raise(SIGABRT);
  }

  static void add(pid_t pid) {
    static const bool installed = [] {
      std::signal(SIGABRT, on_abort);
      return true;
    }();
    (void)installed;
    for (int i = 0; i < capacity; ++i)
      if (pids[i] == 0) {
        pids[i] = pid;
        return;
      }
  }

  static void remove(pid_t pid) {
    for (int i = 0; i < capacity; ++i)
      if (pids[i] == pid)
        pids[i] = 0;
  }
};

struct http_reply {
  int status = 0;
  nlohmann::json body;
  std::string raw;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::map<std::string, std::string> headers;
};

/// The status, headers and body of a response read in full.
inline http_reply reply_of(const http::response<http::string_body>& res) {
  http_reply out;
  out.status = static_cast<int>(res.result_int());
  out.raw = res.body();
  for (const auto& field : res)
    out.headers[std::string{field.name_string()}] = std::string{field.value()};
  out.body = nlohmann::json::parse(out.raw, nullptr, false);
  return out;
}

/// Reads one response; status 0 when none came.
inline http_reply read_reply(boost::beast::tcp_stream& stream) {
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> res;
  boost::beast::error_code ec;
  http::read(stream, buffer, res, ec);
  return ec ? http_reply{} : reply_of(res);
}

class server_fixture {
public:
  test_database db;

  explicit server_fixture(std::vector<std::string> extra_env = {}) {
    std::vector<std::string> env{
      "CLOUD_SYNC_DB=" + db.url(),
      "CLOUD_SYNC_DATA_DIR=" + (db.scratch_dir() / "data").string(),
      "CLOUD_SYNC_HMAC_SECRET=" + test_secret, "CLOUD_SYNC_LISTEN=127.0.0.1:0",
      "CLOUD_SYNC_SQLITE_SYNC=normal"};
    for (auto& e : extra_env)
      env.push_back(std::move(e));
    start(env);
  }

  ~server_fixture() {
    if (pid_ > 0) {
      [[maybe_unused]] int status = stop();
#ifdef AWF_SANITIZED
      // A sanitizer finding in the server makes it exit non-zero (its
      // report is on this test's stderr): that fails the test.
      CAF_CHECK_EQUAL(status, 0);
#endif
    }
    if (out_)
      std::fclose(out_);
  }

  /// Sends SIGTERM and returns the exit status; -1 if the server did not
  /// exit within 20 s (it is then killed, so a hang fails fast).
  int stop() {
    spawned_servers::remove(pid_);
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 400; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        if (WIFSIGNALED(status))
          CAF_MESSAGE("the server died of signal " << WTERMSIG(status));
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      ::usleep(50000);
    }
    CAF_MESSAGE("the server did not stop within 20 s: killed");
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

  /// The port the server listens on.
  unsigned short port() const {
    return port_;
  }

  std::string token(const std::string& user, const std::string& role = "user",
                    std::int64_t ttl = 3600) const {
    return core::mint_user_token(
      test_secret,
      {user, role, static_cast<std::int64_t>(::time(nullptr)) + ttl});
  }

  /// Sends only the header of a request announcing `length` body bytes, and
  /// reads the answer.
  http_reply call_announcing(http::verb method, const std::string& target,
                             std::size_t length, const std::string& bearer) {
    boost::asio::io_context ioc;
    auto stream = connect(ioc);
    std::string head =
      std::string{http::to_string(method)} + " " + target +
      " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
      "Bearer " +
      bearer + "\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
    boost::asio::write(stream, boost::asio::buffer(head));
    return read_reply(stream);
  }

  http_reply call(http::verb method, const std::string& target,
                  const std::string& body = "",
                  const std::string& bearer = "") {
    boost::asio::io_context ioc;
    auto stream = connect(ioc);
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!bearer.empty())
      req.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    // A server may answer before the whole body is sent; then writing
    // fails, but reading its answer does not.
    boost::beast::error_code write_ec;
    http::write(stream, req, write_ec);
    return read_reply(stream);
  }

protected:
  boost::beast::tcp_stream connect(boost::asio::io_context& ioc) {
    boost::beast::tcp_stream stream{ioc};
    stream.connect(boost::asio::ip::tcp::endpoint{
      boost::asio::ip::make_address("127.0.0.1"), port_});
    return stream;
  }

private:
  void start(const std::vector<std::string>& env) {
    std::string path = std::string{AWF_BINARY_DIR} + "/tools/awf-syncd";
    std::vector<std::string> storage = env;
    if (const char* p = std::getenv("PATH"))
      storage.push_back(std::string{"PATH="} + p);
    // ASAN_OPTIONS, TSAN_OPTIONS...: a sanitized server uses the settings
    // of tools/test.sh --sanitize, as the test binary does.
    for (char** e = environ; *e != nullptr; ++e)
      if (std::string_view entry{*e};
          entry.substr(0, entry.find('=')).ends_with("SAN_OPTIONS"))
        storage.emplace_back(entry);
    // Pointers are taken only once the strings no longer move.
    std::vector<char*> envp;
    for (auto& e : storage)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    int out[2];
    if (::pipe(out) != 0)
      throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    char* args[] = {path.data(), nullptr};
    if (posix_spawn(&pid_, path.c_str(), &actions, nullptr, args,
                    envp.data()) != 0)
      throw std::runtime_error("cannot start " + path);
    posix_spawn_file_actions_destroy(&actions);
    spawned_servers::add(pid_);
    ::close(out[1]);
    out_ = ::fdopen(out[0], "r");
    char line[512];
    while (std::fgets(line, sizeof(line), out_) != nullptr) {
      unsigned port = 0;
      if (std::sscanf(line, "awf-syncd: listening on http://127.0.0.1:%u",
                      &port) == 1) {
        port_ = static_cast<unsigned short>(port);
        return;
      }
    }
    throw std::runtime_error("awf-syncd did not start");
  }

  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  unsigned short port_ = 0;
};

} // namespace awf::test
