// The thin glue from Asio threads to the save engine's actors: a request is
// sent with a reply sink as its sender (net/reply_sink.hpp), whose answer
// goes straight to a callback, so no Asio thread ever blocks on an actor and
// no request needs an actor of its own. Admission control lives here too:
// past `max_in_flight` outstanding asks, new ones answer `unavailable` at
// once instead of queueing without bound; an ask unanswered after the
// timeout answers `unavailable`.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>
#include <caf/response_type.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>

#include "actors/device_directory.hpp"
#include "actors/request_scope.hpp"
#include "actors/save_errc.hpp"
#include "actors/save_registry.hpp"
#include "net/reply_sink.hpp"
#include "net/save_routes.hpp"

namespace awf::net {

class engine_bridge {
public:
  engine_bridge(caf::actor_system& sys, actors::save_registry_actor registry,
                actors::device_directory_actor devices,
                std::chrono::milliseconds timeout,
                std::int64_t max_in_flight = 20000,
                std::shared_ptr<actors::seen_board> seen = nullptr)
    : sys_(sys), registry_(std::move(registry)), devices_(std::move(devices)),
      timeout_(timeout), max_in_flight_(max_in_flight),
      pending_(std::make_shared<pending_asks>()), seen_(std::move(seen)) {
    start_expiry();
  }

  ~engine_bridge() {
    routes_->close();
    caf::anon_send_exit(expiry_, caf::exit_reason::user_shutdown);
  }

  engine_bridge(const engine_bridge&) = delete;
  engine_bridge& operator=(const engine_bridge&) = delete;

  /// Sends `xs...` to the save registry; calls `done` exactly once with the
  /// reply or an error, on an actor thread (post to your strand) or, when
  /// the engine is saturated, right away on the calling thread. The sink
  /// is the request's sender, so the answer (also one delegated by the
  /// registry to a save actor) comes straight back.
  template<class Reply, class... Ts>
  void ask(std::function<void(caf::expected<Reply>)> done, Ts... xs) {
    ask_actor<Reply>(registry_, std::move(done), std::move(xs)...);
  }

  /// The same for a request about `save_id` that the save's actor answers
  /// (sync up, sync down): it goes to that actor directly once a reply
  /// named it (`served_by`), and through the registry until then.
  template<class Reply, class... Ts>
  void ask_save(const std::string& save_id,
                std::function<void(caf::expected<Reply>)> done, Ts... xs) {
    auto learn = [routes = routes_, save_id,
                  done = std::move(done)](caf::expected<Reply> answer) {
      if (answer && answer->served_by)
        routes->remember(save_id, answer->served_by);
      else if (!answer && answer.error() == caf::sec::request_receiver_down)
        routes->forget(save_id); // stopped (the engine is stopping)
      done(std::move(answer));
    };
    if (auto actor = routes_->find(save_id))
      ask_actor<Reply>(caf::actor_cast<actors::save_actor>(std::move(actor)),
                       std::move(learn), std::move(xs)...);
    else
      ask<Reply>(std::move(learn), std::move(xs)...);
  }

  /// Stops routing to save actors directly and lets go of their handles,
  /// so the engine can stop.
  void close_routes() { routes_->close(); }

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

  /// Notes that `device_id` synced up to `turn_id` (its last turn seen):
  /// no message per sync; the directory hears once that notes wait.
  void note_seen(const std::string& device_id, std::int64_t turn_id) {
    if (seen_ && seen_->note(device_id, turn_id))
      caf::anon_send(devices_, actors::seen_atom_v);
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
  std::int64_t in_flight() const noexcept { return in_flight_->load(); }

  /// The same, to any actor `dest` that answers `xs...` with a Reply.
  template<class Reply, class Handle, class... Ts>
  void ask_actor(const Handle& dest,
                 std::function<void(caf::expected<Reply>)> done, Ts... xs) {
    using answer = caf::response_type_t<typename Handle::signatures, Ts...>;
    static_assert(std::is_same_v<answer, caf::detail::type_list<Reply>>,
                  "the receiver answers this message with another type");
    if (in_flight_->fetch_add(1) >= max_in_flight_) {
      --*in_flight_;
      done(actors::make_save_error(actors::save_errc::unavailable,
                                   "the server is busy; retry shortly"));
      return;
    }
    // Shared: a sink may answer while the bridge is being torn down.
    auto sink = reply_sink<Reply>::make(
      sys_, pending_, pending_asks::clock_type::now() + timeout_,
      [counter = in_flight_,
       done = std::move(done)](caf::expected<Reply> answer) {
        --*counter;
        done(std::move(answer));
      });
    // Any non-zero id makes it a request; the sink answers only this one.
    auto id = caf::make_message_id(1);
    auto target = caf::actor_cast<caf::strong_actor_ptr>(dest);
    target->enqueue(
      caf::make_mailbox_element(std::move(sink), id, {}, std::move(xs)...),
      nullptr);
  }

private:
  using expire_atom = caf::atom_constant<caf::atom("expire")>;

  /// Answers overdue asks even when no new ones come to trigger it. Hidden:
  /// the process waits for the engine's actors to finish, not for this one.
  void start_expiry() {
    auto pending = pending_;
    auto every = std::max(timeout_ / 10, std::chrono::milliseconds{10});
    expiry_ =
      sys_.spawn<caf::hidden>([pending, every](caf::event_based_actor* self) {
        self->delayed_send(self, every, expire_atom::value);
        return caf::behavior{[=](expire_atom) {
          pending->expire(pending_asks::clock_type::now());
          self->delayed_send(self, every, expire_atom::value);
        }};
      });
  }

  caf::actor_system& sys_;
  actors::save_registry_actor registry_;
  actors::device_directory_actor devices_;
  std::chrono::milliseconds timeout_;
  std::int64_t max_in_flight_;
  std::shared_ptr<std::atomic<std::int64_t>> in_flight_ =
    std::make_shared<std::atomic<std::int64_t>>(0);
  std::shared_ptr<pending_asks> pending_;
  std::shared_ptr<save_routes> routes_ = std::make_shared<save_routes>(100000);
  std::shared_ptr<actors::seen_board> seen_;
  caf::actor expiry_;
};

} // namespace awf::net
