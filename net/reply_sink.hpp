// Where an engine request's answer goes when the asker is not an actor: an
// actor-shaped mailbox that is never scheduled. The engine answers it like
// any requester; its enqueue hands the answer to a callback on the
// answering thread. So a request from the edge costs no actor of its own:
// no spawn, no scheduling, no extra hop back. Unanswered requests wait in
// a `pending_asks` list, oldest first, until they are answered or overdue;
// a request the engine drops (every holder of the sink let go) answers at
// once from the sink's destructor.
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include <caf/actor_config.hpp>
#include <caf/actor_system.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/make_actor.hpp>
#include <caf/monitorable_actor.hpp>

#include "actors/save_errc.hpp"

namespace awf::net {

class reply_sink_base;

/// The requests asked but not answered yet, in the order they were asked
/// (so, with one timeout for all, by deadline). Thread-safe.
class pending_asks {
public:
  using clock_type = std::chrono::steady_clock;

  /// Lists `sink` until it is answered or `deadline` passes.
  void add(clock_type::time_point deadline, const caf::strong_actor_ptr& sink);

  /// Answers every request whose deadline passed with a timeout error.
  void expire(clock_type::time_point now);

  /// Forgets `sink` (answered); true if it was still pending.
  bool remove(reply_sink_base& sink);

private:
  struct entry {
    clock_type::time_point deadline;
    caf::weak_actor_ptr sink; ///< the request's holders keep it alive
  };
  std::mutex mutex_;
  std::list<entry> entries_;
  friend class reply_sink_base;
};

/// What pending_asks needs of a sink.
class reply_sink_base : public caf::monitorable_actor {
public:
  explicit reply_sink_base(caf::actor_config& cfg)
    : caf::monitorable_actor(cfg) {}

  /// Answers with a timeout error (the request stays in the engine).
  virtual void time_out() = 0;

private:
  friend class pending_asks;
  std::list<pending_asks::entry>::iterator position_;
  bool pending_ = false; ///< guarded by the pending_asks mutex
};

template<class Reply>
class reply_sink final : public reply_sink_base {
public:
  using callback = std::function<void(caf::expected<Reply>)>;

  reply_sink(caf::actor_config& cfg, std::shared_ptr<pending_asks> pending,
             callback done)
    : reply_sink_base(cfg), pending_(std::move(pending)),
      done_(std::move(done)) {}

  /// Every holder let go without an answer: the asker still hears once.
  ~reply_sink() override {
    finish(actors::make_save_error(actors::save_errc::unavailable,
                                   "the request was dropped; retry"));
  }

  /// The answer: the reply, or an error (also when the receiver was gone:
  /// CAF bounces a request to a closed mailbox with an error).
  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) override {
    if (!what)
      return;
    auto& content = what->content();
    if (content.match_elements<Reply>())
      finish(std::move(*static_cast<Reply*>(content.get_mutable(0))));
    else if (content.match_elements<caf::error>())
      finish(content.get_as<caf::error>(0));
    else
      finish(actors::make_save_error(actors::save_errc::unavailable,
                                     "the engine answered unexpectedly"));
  }

  void time_out() override {
    finish(actors::make_save_error(actors::save_errc::unavailable,
                                   "the engine did not answer in time; "
                                   "retry shortly"));
  }

  /// Makes a sink for `done`, pending in `pending` until `deadline`.
  static caf::strong_actor_ptr
  make(caf::actor_system& sys, std::shared_ptr<pending_asks> pending,
       pending_asks::clock_type::time_point deadline, callback done) {
    caf::actor_config cfg;
    auto sink = caf::make_actor<reply_sink, caf::strong_actor_ptr>(
      sys.next_actor_id(), sys.node(), &sys, cfg, pending, std::move(done));
    pending->add(deadline, sink);
    return sink;
  }

private:
  /// Calls `done_` once, whatever comes later.
  void finish(caf::expected<Reply> answer) {
    callback done;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      done = std::exchange(done_, nullptr);
    }
    if (!done)
      return;
    pending_->remove(*this);
    done(std::move(answer));
  }

  std::shared_ptr<pending_asks> pending_;
  std::mutex mutex_;
  callback done_;
};

} // namespace awf::net
