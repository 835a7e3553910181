// The thin glue from Asio threads to the save engine's actors: a request
// becomes a one-shot actor that asks the registry and hands the answer to a
// callback, so no Asio thread ever blocks on an actor.
#pragma once

#include <chrono>
#include <functional>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>

#include "actors/save_registry.hpp"

namespace awf::net {

class engine_bridge {
public:
  engine_bridge(caf::actor_system& sys, actors::save_registry_actor registry,
                std::chrono::milliseconds timeout)
    : sys_(sys), registry_(std::move(registry)), timeout_(timeout) {}

  /// Sends `xs...` to the registry; calls `done` exactly once with the
  /// reply or an error, on an actor thread (post to your strand).
  template<class Reply, class... Ts>
  void ask(std::function<void(caf::expected<Reply>)> done, Ts... xs) {
    auto registry = registry_;
    auto timeout = timeout_;
    sys_.spawn([=](caf::event_based_actor* self) mutable {
      self->request(registry, timeout, std::move(xs)...)
        .then(
          [=](Reply& reply) {
            done(std::move(reply));
            self->quit();
          },
          [=](caf::error& err) {
            done(std::move(err));
            self->quit();
          });
    });
  }

private:
  caf::actor_system& sys_;
  actors::save_registry_actor registry_;
  std::chrono::milliseconds timeout_;
};

} // namespace awf::net
