#include "net/engine_runtime.hpp"

#include <ctime>

#include "actors/save_errc.hpp"

namespace awf::net {

core::result<std::unique_ptr<engine_runtime>>
engine_runtime::start(const actors::engine_setup& setup,
                      std::string hmac_secret,
                      std::chrono::seconds ask_timeout) {
  std::unique_ptr<engine_runtime> runtime{new engine_runtime};
  auto service =
    actors::save_service::start(runtime->sys_, setup.context, setup.service);
  if (!service)
    return core::error{core::errc::io_failure,
                       "the save service did not start: " +
                         actors::error_message(service.error())};
  runtime->service_ = std::move(*service);
  const auto& s = setup.settings;
  runtime->bridge_ = std::make_unique<engine_bridge>(
    runtime->sys_, runtime->service_->registry(), runtime->service_->devices(),
    ask_timeout, s.max_pending, runtime->service_->seen());
  auto& ctx = runtime->ctx_;
  ctx.bridge = runtime->bridge_.get();
  ctx.hmac_secret = std::move(hmac_secret);
  ctx.now_unix = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  apply_settings(ctx, s, setup.context->options.max_state_bytes);
  return runtime;
}

engine_runtime::~engine_runtime() {
  stop();
}

void engine_runtime::stop() {
  if (!service_)
    return;
  bridge_->close_routes();
  service_->stop();
  service_.reset(); // its blocking helper actor must go too
  sys_.await_all_actors_done();
}

void apply_settings(api_context& ctx, const config::settings& s,
                    std::size_t max_state_bytes) {
  ctx.sync_enabled = s.enabled;
  ctx.limits.max_turns_per_sync =
    static_cast<std::size_t>(s.max_turns_per_sync);
  ctx.limits.max_state_bytes = max_state_bytes;
  ctx.limits.max_message_bytes = max_state_bytes + (std::size_t{1} << 20);
  ctx.limits.max_connections = static_cast<std::size_t>(s.max_connections);
  ctx.limits.max_connections_per_address =
    static_cast<std::size_t>(s.max_connections_per_ip);
  ctx.limits.ws_idle_timeout = std::chrono::seconds{s.ws_idle_s};
  ctx.limits.ws_max_total_queued_bytes =
    static_cast<std::size_t>(s.ws_queued_mb) << 20;
  ctx.device_rate.configure(s.device_rate, s.device_burst);
  ctx.expensive_work.configure(
    {static_cast<std::size_t>(s.user_expensive_concurrent),
     s.user_expensive_per_min / 60.0,
     static_cast<double>(s.user_expensive_burst)});
}

} // namespace awf::net
