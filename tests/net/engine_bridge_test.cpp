#define CAF_SUITE engine_bridge
// In the network suite, not net_unit: it runs a real actor system, and
// ThreadSanitizer cannot follow CAF's uninstrumented mailboxes
// (tools/sanitizers.sh).

#include "net/engine_bridge.hpp"

#include "caf/test/unit_test.hpp"

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/typed_event_based_actor.hpp>

using namespace awf;
using namespace awf::net;
using namespace std::chrono_literals;

namespace {

// Stands in for the registry: answers, answers late, or never answers.
using answer_atom = caf::atom_constant<caf::atom("answer")>;
using echo_actor =
  caf::typed_actor<caf::replies_to<answer_atom, std::string>::with<int>>;

echo_actor::behavior_type echo(echo_actor::pointer self) {
  auto held = std::make_shared<std::vector<caf::typed_response_promise<int>>>();
  return {[=](answer_atom, const std::string& how) -> caf::result<int> {
    if (how == "size")
      return static_cast<int>(how.size());
    if (how == "fail")
      return actors::make_save_error(actors::save_errc::not_found, "none");
    if (how == "drop") {
      // A promise let go without an answer.
      auto rp = self->make_response_promise<int>();
      return rp;
    }
    // "hold": keeps the promise, so only the timeout answers.
    auto rp = self->make_response_promise<int>();
    held->push_back(rp);
    return rp;
  }};
}

struct fixture {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};

  /// What `bridge` answers for `how`; nothing when no answer came within
  /// 10 s (the bridges below wait longer, unless a test is about that).
  std::optional<caf::expected<int>>
  ask(engine_bridge& bridge, const echo_actor& dest, std::string how) {
    auto answer = std::make_shared<std::promise<caf::expected<int>>>();
    auto future = answer->get_future();
    bridge.ask_actor<int>(
      dest, [answer](caf::expected<int> x) { answer->set_value(std::move(x)); },
      answer_atom::value, std::move(how));
    if (future.wait_for(10s) != std::future_status::ready)
      return std::nullopt;
    return future.get();
  }

  static std::uint8_t code_of(const caf::expected<int>& answer) {
    return answer ? 0 : answer.error().code();
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(engine_bridge_tests, fixture)

CAF_TEST(an answer reaches the callback without an actor of its own) {
  engine_bridge bridge{sys, {}, {}, 60s};
  auto dest = sys.spawn(echo);
  auto got = ask(bridge, dest, "size");
  CAF_REQUIRE(got && *got);
  CAF_CHECK_EQUAL(**got, 4);
  auto failed = ask(bridge, dest, "fail");
  CAF_REQUIRE(failed);
  CAF_CHECK_EQUAL(code_of(*failed),
                  static_cast<std::uint8_t>(actors::save_errc::not_found));
  CAF_CHECK_EQUAL(bridge.in_flight(), 0);
  caf::anon_send_exit(dest, caf::exit_reason::user_shutdown);
}

CAF_TEST(a receiver that is gone or drops the request still answers once) {
  // Long before the timeout could answer.
  engine_bridge bridge{sys, {}, {}, 60s};
  auto dest = sys.spawn(echo);
  auto dropped = ask(bridge, dest, "drop");
  CAF_REQUIRE(dropped);
  CAF_CHECK_EQUAL(code_of(*dropped),
                  static_cast<std::uint8_t>(actors::save_errc::unavailable));
  caf::anon_send_exit(dest, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  auto gone = ask(bridge, dest, "size");
  CAF_REQUIRE(gone);
  CAF_CHECK(!*gone &&
            gone->error() == caf::make_error(caf::sec::request_receiver_down));
  CAF_CHECK_EQUAL(bridge.in_flight(), 0);
}

CAF_TEST(an unanswered request answers unavailable after the timeout) {
  engine_bridge bridge{sys, {}, {}, 200ms};
  auto dest = sys.spawn(echo);
  auto held = ask(bridge, dest, "hold");
  CAF_REQUIRE(held);
  CAF_CHECK_EQUAL(code_of(*held),
                  static_cast<std::uint8_t>(actors::save_errc::unavailable));
  CAF_CHECK_EQUAL(bridge.in_flight(), 0);
  caf::anon_send_exit(dest, caf::exit_reason::user_shutdown);
}

CAF_TEST_FIXTURE_SCOPE_END()
