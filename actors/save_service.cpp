#include "actors/save_service.hpp"

#include "actors/save_errc.hpp"
#include "persistence/migrations.hpp"
#include "persistence/nonce_reservations.hpp"
#include "persistence/save_store.hpp"

namespace awf::actors {

namespace {

// Has the key ring reserve its nonces durably before it uses them, on a
// connection of its own. `stored_use` is what the database already counts
// for the active key; seals this ring made without a reservation (a ring
// reused across engine starts) are reserved first.
caf::error reserve_nonces(const engine_context& ctx,
                          std::unique_ptr<persistence::database> db,
                          std::uint64_t stored_use) {
  auto store = std::make_shared<persistence::nonce_reservations>(std::move(db));
  auto& keys = *ctx.keys;
  auto in_memory = keys.encryptions(keys.active_key_id());
  if (in_memory > stored_use)
    if (auto gap = store->reserve(keys.active_key_id(), in_memory - stored_use);
        !gap)
      return from_storage_error(gap.error());
  keys.reserve_nonces_with(
    [store](const std::string& key_id, std::uint64_t count) {
      return static_cast<bool>(store->reserve(key_id, count));
    },
    ctx.options.nonce_reservation_block);
  return caf::none;
}

// Brings the schema up to date, teaches the key ring how many nonces its
// keys already spent in earlier runs, and makes it reserve before it spends.
caf::error prepare_database(const engine_context& ctx) {
  auto db = persistence::database::open(ctx.options.database);
  if (!db)
    return from_storage_error(db.error());
  if (auto applied = persistence::migrate(**db); !applied)
    return from_storage_error(applied.error());
  persistence::save_store store{**db};
  auto usage = store.key_usage();
  if (!usage)
    return from_storage_error(usage.error());
  for (const auto& [key_id, count] : *usage)
    if (ctx.keys->encryptions(key_id) < count)
      ctx.keys->record_prior_use(key_id, count - ctx.keys->encryptions(key_id));
  auto active = usage->find(ctx.keys->active_key_id());
  return reserve_nonces(ctx, std::move(*db),
                        active == usage->end() ? 0 : active->second);
}

} // namespace

save_service::save_service(caf::actor_system& sys, engine_context_ptr context,
                           service_options opts)
  : context_(std::move(context)), opts_(opts), self_(sys) {}

caf::expected<std::unique_ptr<save_service>>
save_service::start(caf::actor_system& sys, engine_context_ptr context,
                    const service_options& opts) {
  if (auto err = prepare_database(*context))
    return err;
  std::unique_ptr<save_service> svc{new save_service(sys, context, opts)};
  bool sqlite =
    !persistence::database::is_postgresql_url(context->options.database.url);
  auto writers =
    sqlite ? std::size_t{1} : std::max<std::size_t>(1, opts.writers);
  for (std::size_t i = 0; i < writers; ++i)
    svc->writers_.push_back(spawn_storage_writer(sys, context, opts.detached));
  for (std::size_t i = 0; i < std::max<std::size_t>(1, opts.readers); ++i)
    svc->readers_.push_back(spawn_storage_reader(sys, context, opts.detached));
  svc->arbiter_ = spawn_conflict_arbiter(sys);
  svc->registry_ = spawn_save_registry(sys, context, svc->writers_,
                                       svc->readers_, svc->arbiter_);
  svc->verifier_ = spawn_verification_supervisor(sys, context, svc->readers_,
                                                 opts.periodic_verification);
  svc->devices_ = spawn_device_directory(
    sys, context, {opts.device_token_ttl, 100000, opts.detached},
    svc->writers_.front(), svc->seen_);
  return svc;
}

save_service::~save_service() {
  stop();
}

template<class Reply, class Handle, class... Ts>
caf::expected<Reply> save_service::call(const Handle& dest, Ts&&... xs) {
  caf::expected<Reply> out =
    make_save_error(save_errc::unavailable, "no answer");
  self_->request(dest, opts_.call_timeout, std::forward<Ts>(xs)...)
    .receive([&](Reply& reply) { out = std::move(reply); },
             [&](caf::error& err) { out = std::move(err); });
  return out;
}

caf::expected<attach_reply>
save_service::create_or_attach_save(const std::string& session_id,
                                    const std::string& user_id_hash,
                                    const std::string& version) {
  return call<attach_reply>(registry_, create_atom_v, user_id_hash, session_id,
                            version);
}

caf::expected<persist_ack>
save_service::persist_turn(const std::string& save_id, std::int64_t turn_id,
                           nlohmann::json state) {
  return call<persist_ack>(registry_, persist_atom_v,
                           persist_request{save_id, turn_id, std::move(state)});
}

caf::expected<materialized_turn>
save_service::materialize(const std::string& save_id, std::int64_t turn_id) {
  return call<materialized_turn>(registry_, materialize_atom_v, save_id,
                                 turn_id, any_owner, request_scope{});
}

caf::expected<verify_report> save_service::verify(const std::string& save_id,
                                                  bool full) {
  return call<verify_report>(registry_, verify_atom_v, save_id, full, any_owner,
                             request_scope{});
}

caf::expected<std::vector<persistence::save_record>>
save_service::list_saves(const std::string& user_id_hash) {
  return call<std::vector<persistence::save_record>>(registry_, list_atom_v,
                                                     user_id_hash);
}

caf::expected<sweep_report> save_service::sweep(double percent) {
  return call<sweep_report>(verifier_, sweep_atom_v, percent);
}

caf::expected<registry_stats> save_service::stats() {
  return call<registry_stats>(registry_, stats_atom_v);
}

void save_service::stop() {
  if (stopped_)
    return;
  stopped_ = true;
  self_->send_exit(verifier_, caf::exit_reason::user_shutdown);
  self_->send_exit(registry_, caf::exit_reason::user_shutdown);
  self_->send_exit(devices_, caf::exit_reason::user_shutdown);
  // Drain every writer: a flush answers only after queued commits landed.
  for (const auto& writer : writers_)
    (void)call<bool>(writer, flush_atom_v);
  // A divergence still waiting for a ruling gets an error rather than one.
  self_->send_exit(arbiter_, caf::exit_reason::user_shutdown);
  for (const auto& worker : writers_)
    self_->send_exit(worker, caf::exit_reason::user_shutdown);
  for (const auto& worker : readers_)
    self_->send_exit(worker, caf::exit_reason::user_shutdown);
}

} // namespace awf::actors
