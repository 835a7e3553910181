// A running save engine on a fresh test database, with real threads and
// detached storage workers, driven through the blocking SaveService calls.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/actor_config.hpp"
#include "actors/save_errc.hpp"
#include "actors/save_service.hpp"
#include "actors/sync_messages.hpp"
#include "core/key_ring.hpp"
#include "tests/support/test_database.hpp"

namespace awf::test {

/// Returns the value of `x` by value, failing loudly on an error. Use it
/// inside CAF_CHECK_EQUAL, which binds its arguments by reference: a member
/// reached through expected::operator-> would dangle.
template<class T>
T value_of(caf::expected<T> x) {
  if (!x)
    throw std::runtime_error(actors::error_message(x.error()));
  return std::move(*x);
}

/// Builds engine options for tests: small limits so edge cases are cheap.
inline actors::engine_options test_options(const std::string& url) {
  actors::engine_options opts;
  opts.database.url = url;
  opts.database.sync = persistence::sqlite_sync::normal;
  opts.encode.zstd_level = 3;
  opts.max_state_bytes = 4 << 20;
  return opts;
}

/// A sync up of one turn by "device-1" of "user-1" on top of `base`.
inline actors::sync_up_request one_turn_sync_up(std::string save_id,
                                                core::chain_head base,
                                                core::incoming_turn turn) {
  actors::sync_up_request req;
  req.save_id = std::move(save_id);
  req.user_id_hash = "user-1";
  req.device_id = "device-1";
  req.base = std::move(base);
  req.turns.push_back(std::move(turn));
  return req;
}

inline std::shared_ptr<core::key_ring> test_keys(std::string id = "k1",
                                                 std::string key = {}) {
  if (key.empty())
    key = core::key_ring::random_key();
  auto ring = core::key_ring::make({{std::move(id), std::move(key)}});
  if (!ring)
    throw std::runtime_error(ring.error().message);
  return std::make_shared<core::key_ring>(std::move(*ring));
}

struct engine_fixture {
  test_database db;
  actors::actor_config cfg;
  caf::actor_system sys{cfg};
  std::string key_bytes = core::key_ring::random_key();
  std::shared_ptr<core::key_ring> keys = test_keys("k1", key_bytes);
  std::unique_ptr<actors::save_service> service;
  /// When set, the engine's clock (request deadlines, idle saves).
  std::function<std::chrono::steady_clock::time_point()> clock;

  engine_fixture() { start(test_options(db.url())); }

  ~engine_fixture() { stop(); }

  void start(actors::engine_options opts,
             std::shared_ptr<core::key_ring> ring = nullptr) {
    stop();
    auto ctx = std::make_shared<actors::engine_context>();
    ctx->keys = ring ? ring : keys;
    ctx->options = std::move(opts);
    if (clock)
      ctx->now = clock;
    actors::service_options svc;
    svc.periodic_verification = false;
    auto started = actors::save_service::start(sys, ctx, svc);
    if (!started)
      throw std::runtime_error("engine did not start: " +
                               actors::error_message(started.error()));
    service = std::move(*started);
  }

  void stop() {
    if (service) {
      service->stop();
      service.reset();
    }
  }

  std::string new_save(const std::string& user = "user-1") {
    static int counter = 0;
    auto reply = service->create_or_attach_save(
      "session-" + std::to_string(++counter), user);
    if (!reply)
      throw std::runtime_error(actors::error_message(reply.error()));
    return reply->save.save_id;
  }

  /// Sends `xs` to the registry and returns the answer, as the network edge
  /// does on behalf of a user.
  template<class Reply, class... Ts>
  caf::expected<Reply> ask(Ts&&... xs) {
    caf::scoped_actor self{sys};
    caf::expected<Reply> out = caf::error{};
    self
      ->request(service->registry(), std::chrono::seconds{60},
                std::forward<Ts>(xs)...)
      .receive([&](Reply& reply) { out = std::move(reply); },
               [&](caf::error& err) { out = std::move(err); });
    return out;
  }
};

} // namespace awf::test
