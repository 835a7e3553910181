// The thin glue from Asio threads to the save engine's actors: a request
// becomes a one-shot actor that asks the engine and hands the answer to a
// callback, so no Asio thread ever blocks on an actor. Admission control
// lives here too: past `max_in_flight` outstanding asks, new ones answer
// `unavailable` at once instead of queueing without bound.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/send.hpp>

#include "actors/device_directory.hpp"
#include "actors/request_scope.hpp"
#include "actors/save_errc.hpp"
#include "actors/save_registry.hpp"

namespace awf::net {

class engine_bridge {
public:
  engine_bridge(caf::actor_system& sys, actors::save_registry_actor registry,
                actors::device_directory_actor devices,
                std::chrono::milliseconds timeout,
                std::int64_t max_in_flight = 20000)
    : sys_(sys), registry_(std::move(registry)), devices_(std::move(devices)),
      timeout_(timeout), max_in_flight_(max_in_flight) {}

  /// Sends `xs...` to the save registry; calls `done` exactly once with the
  /// reply or an error, on an actor thread (post to your strand) or, when
  /// the engine is saturated, right away on the calling thread.
  template<class Reply, class... Ts>
  void ask(std::function<void(caf::expected<Reply>)> done, Ts... xs) {
    ask_actor<Reply>(registry_, std::move(done), std::move(xs)...);
  }

  /// The same, to the device directory.
  template<class Reply, class... Ts>
  void ask_devices(std::function<void(caf::expected<Reply>)> done, Ts... xs) {
    ask_actor<Reply>(devices_, std::move(done), std::move(xs)...);
  }

  /// Sends without waiting for an answer (e.g. audit records).
  template<class... Ts>
  void tell(Ts... xs) {
    caf::anon_send(registry_, std::move(xs)...);
  }

  /// The same, to the device directory.
  template<class... Ts>
  void tell_devices(Ts... xs) {
    caf::anon_send(devices_, std::move(xs)...);
  }

  /// The scope of a request asked now: the engine's deadline comes a tenth
  /// of the ask timeout before the edge stops waiting, so the engine stops
  /// the work (storing nothing) and answers that before the edge gives up.
  /// `hold` stays alive while the engine works on the request.
  actors::request_scope scope(std::shared_ptr<const void> hold = {}) const {
    auto margin = timeout_ / 10;
    return {actors::request_scope::clock_type::now() + timeout_ - margin,
            std::move(hold)};
  }

  /// Asks waiting for their answer now.
  std::int64_t in_flight() const noexcept { return in_flight_.load(); }

private:
  template<class Reply, class Handle, class... Ts>
  void ask_actor(const Handle& dest,
                 std::function<void(caf::expected<Reply>)> done, Ts... xs) {
    if (in_flight_.fetch_add(1) >= max_in_flight_) {
      --in_flight_;
      done(actors::make_save_error(actors::save_errc::unavailable,
                                   "the server is busy; retry shortly"));
      return;
    }
    auto timeout = timeout_;
    auto* counter = &in_flight_;
    sys_.spawn([=](caf::event_based_actor* self) mutable {
      self->request(dest, timeout, std::move(xs)...)
        .then(
          [=](Reply& reply) {
            --*counter;
            done(std::move(reply));
            self->quit();
          },
          [=](caf::error& err) {
            --*counter;
            done(std::move(err));
            self->quit();
          });
    });
  }

  caf::actor_system& sys_;
  actors::save_registry_actor registry_;
  actors::device_directory_actor devices_;
  std::chrono::milliseconds timeout_;
  std::int64_t max_in_flight_;
  std::atomic<std::int64_t> in_flight_{0};
};

} // namespace awf::net
