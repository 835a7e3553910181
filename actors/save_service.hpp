// The SaveService of the spec: starts the save engine's actors on a schema it
// migrates, and offers createOrAttachSave, persistTurn, materialize and
// verify. The actor handles serve asynchronous callers (the network edge);
// the blocking methods serve tools and tests only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/device_directory.hpp"
#include "actors/engine_context.hpp"
#include "actors/save_registry.hpp"
#include "actors/verification_supervisor.hpp"

namespace awf::actors {

struct service_options {
  /// Storage workers on their own threads (false only under the
  /// deterministic test scheduler).
  bool detached = true;
  /// Sweep every options.verify_interval.
  bool periodic_verification = true;
  std::size_t readers = 2;
  /// Writers for PostgreSQL; SQLite always gets exactly one.
  std::size_t writers = 2;
  /// How long a device's sync token lives.
  std::chrono::seconds device_token_ttl{std::chrono::hours{24 * 90}};
  /// How long a blocking call waits for its answer.
  std::chrono::milliseconds call_timeout{std::chrono::seconds{60}};
};

class save_service {
public:
  /// Migrates the schema, loads the key ring's past usage, and spawns the
  /// storage workers, the registry and the verification supervisor.
  static caf::expected<std::unique_ptr<save_service>>
  start(caf::actor_system& sys, engine_context_ptr context,
        const service_options& opts = {});

  ~save_service();

  save_registry_actor registry() const { return registry_; }

  verification_actor verifier() const { return verifier_; }

  device_directory_actor devices() const { return devices_; }

  /// Where callers note the last turn each device synced (device_directory).
  const std::shared_ptr<seen_board>& seen() const { return seen_; }

  // -- blocking calls (never from an actor or Asio thread) -------------------

  caf::expected<attach_reply>
  create_or_attach_save(const std::string& session_id,
                        const std::string& user_id_hash,
                        const std::string& version = "1.0.0");

  caf::expected<persist_ack> persist_turn(const std::string& save_id,
                                          std::int64_t turn_id,
                                          nlohmann::json state);

  caf::expected<materialized_turn>
  materialize(const std::string& save_id, std::int64_t turn_id = head_turn);

  caf::expected<verify_report> verify(const std::string& save_id,
                                      bool full = true);

  caf::expected<std::vector<persistence::save_record>>
  list_saves(const std::string& user_id_hash);

  caf::expected<sweep_report> sweep(double percent);

  caf::expected<registry_stats> stats();

  /// Stops accepting work, commits what is queued, and stops every actor.
  void stop();

private:
  save_service(caf::actor_system& sys, engine_context_ptr context,
               service_options opts);

  template<class Reply, class Handle, class... Ts>
  caf::expected<Reply> call(const Handle& dest, Ts&&... xs);

  engine_context_ptr context_;
  service_options opts_;
  caf::scoped_actor self_;
  std::vector<storage_writer_actor> writers_;
  std::vector<storage_reader_actor> readers_;
  conflict_arbiter arbiter_;
  save_registry_actor registry_;
  verification_actor verifier_;
  device_directory_actor devices_;
  std::shared_ptr<seen_board> seen_ = std::make_shared<seen_board>();
  bool stopped_ = false;
};

} // namespace awf::actors
