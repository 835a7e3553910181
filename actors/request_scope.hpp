// What the edge hands the engine with a request it will wait for only so
// long: the deadline after which nobody hears the answer, and a hold on the
// caller's admission (net/expensive_work.hpp) that lasts while the engine
// still works on the request. Work checks the deadline between turns and
// right before it commits: past it, it stops and stores nothing.
#pragma once

#include <chrono>
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>

namespace awf::actors {

struct request_scope {
  using clock_type = std::chrono::steady_clock;

  /// No deadline (tools, tests, the verification sweep).
  static constexpr clock_type::time_point no_deadline =
    clock_type::time_point::max();

  clock_type::time_point deadline = no_deadline;
  /// Kept alive by the engine until it has dropped the request: the edge's
  /// admission slot is taken while any copy lives. Opaque to the engine.
  std::shared_ptr<const void> hold;

  /// True once `now` (engine_context::now()) is at or past the deadline.
  bool expired(clock_type::time_point now) const noexcept {
    return now >= deadline;
  }
};

/// The error of work stopped at its deadline (save_errc::deadline_exceeded):
/// `what` names the work; the message says that nothing was stored.
caf::error deadline_error(const char* what);

/// deadline_error(what) when `now` is at or past `deadline`, else no error.
caf::error check_deadline(request_scope::clock_type::time_point now,
                          request_scope::clock_type::time_point deadline,
                          const char* what);

} // namespace awf::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(awf::actors::request_scope)
