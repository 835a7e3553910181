// The save engine wired to the edge, as awf-syncd runs it: an actor system,
// the save service, the bridge to its actors, and the request context filled
// from the settings. awf-syncd, the in-process tests and the http_request
// fuzz target all start the engine through this one class.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <caf/actor_system.hpp>

#include "actors/actor_config.hpp"
#include "actors/engine_bootstrap.hpp"
#include "core/result.hpp"
#include "net/api_context.hpp"

namespace awf::net {

class engine_runtime {
public:
  /// Starts the save service of `setup` and fills the request context from
  /// its settings (limits, request rates, per-user admission) with
  /// `hmac_secret` as the token secret. Engine asks time out after
  /// `ask_timeout`.
  static core::result<std::unique_ptr<engine_runtime>>
  start(const actors::engine_setup& setup, std::string hmac_secret,
        std::chrono::seconds ask_timeout = std::chrono::seconds{30});

  /// Stops the engine (see stop()).
  ~engine_runtime();

  engine_runtime(const engine_runtime&) = delete;
  engine_runtime& operator=(const engine_runtime&) = delete;

  /// What request handlers serve with; callers may adjust it before the
  /// first request.
  api_context& context() noexcept { return ctx_; }

  /// Commits what is queued, stops every actor and waits until they are
  /// done, so no engine answer reaches the context afterwards. Stop the
  /// servers that use the context first. Idempotent.
  void stop();

private:
  engine_runtime() = default;

  actors::actor_config cfg_;
  caf::actor_system sys_{cfg_};
  std::unique_ptr<actors::save_service> service_;
  std::unique_ptr<engine_bridge> bridge_;
  api_context ctx_;
};

/// Sets the limits, request rates and per-user admission of `ctx` from
/// `settings`; `max_state_bytes` bounds a state (a sync up may carry that
/// plus 1 MiB of framing and patches).
void apply_settings(api_context& ctx, const config::settings& settings,
                    std::size_t max_state_bytes);

} // namespace awf::net
