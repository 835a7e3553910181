#define CAF_SUITE crash

#include "caf/test/unit_test.hpp"

#include <csignal>
#include <cstdio>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base64.hpp"
#include "core/canonical_json.hpp"
#include "tests/actors/engine_fixture.hpp"
#include "tests/support/crash_state.hpp"

extern char** environ;

using namespace awf;

namespace {

/// Runs the writer child until it acknowledged at least `min_acks` more
/// turns, then kills it with SIGKILL mid-write. Returns the last turn it
/// acknowledged (0 if it failed to start).
std::int64_t run_and_kill(const std::string& url, const std::string& session,
                          const std::string& key, std::int64_t min_acks) {
  std::string path = std::string{AWF_BINARY_DIR} + "/tests/awf_crash_writer";
  std::string key_text = core::base64_encode(key);
  int out[2];
  if (::pipe(out) != 0)
    return 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  char* args[] = {path.data(), const_cast<char*>(url.c_str()),
                  const_cast<char*>(session.c_str()), key_text.data(), nullptr};
  pid_t pid = 0;
  int spawned =
    posix_spawn(&pid, path.c_str(), &actions, nullptr, args, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    return 0;
  }
  FILE* lines = ::fdopen(out[0], "r");
  std::int64_t first = 0, last = 0;
  char buf[64];
  while (std::fgets(buf, sizeof(buf), lines) != nullptr) {
    long long turn = 0;
    if (std::sscanf(buf, "ack %lld", &turn) == 1) {
      if (first == 0)
        first = turn;
      last = turn;
      if (last - first + 1 >= min_acks)
        break;
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::fclose(lines);
  return last;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(crash_tests, test::engine_fixture)

CAF_TEST(a killed writer leaves every acknowledged turn and a valid chain) {
  stop(); // the child writes; this process only checks afterwards
  const std::string session = "crash-session";
  std::int64_t acknowledged = 0;
  for (int round = 0; round < 3; ++round) {
    auto last = run_and_kill(db.url(), session, key_bytes, 60);
    CAF_REQUIRE_GREATER(last, acknowledged);
    acknowledged = last;
    CAF_MESSAGE("round " << round << ": killed after turn " << last);
  }
  start(test::test_options(db.url()));
  auto save = service->create_or_attach_save(session, "crash-user");
  CAF_REQUIRE(save);
  CAF_CHECK(!save->created);
  auto report = service->verify(save->save.save_id, true);
  CAF_REQUIRE(report);
  CAF_CHECK(report->ok);
  for (const auto& e : report->errors)
    CAF_MESSAGE(e);
  // A turn may have committed after its ack was cut off, never before.
  CAF_CHECK_GREATER_OR_EQUAL(report->head.turn_id, acknowledged);
  int wrong = 0;
  for (std::int64_t t = 1; t <= report->head.turn_id; ++t) {
    auto got = service->materialize(save->save.save_id, t);
    if (!got || got->canonical != core::canonicalize(test::crash_state(t)))
      ++wrong;
  }
  CAF_CHECK_EQUAL(wrong, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
