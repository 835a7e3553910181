// Test helper for the crash test: persists turns to one save forever through
// the real save engine, printing "ack N" after each acknowledged turn, until
// the parent kills it with SIGKILL.
//
//   awf_crash_writer DB_URL SESSION_ID BASE64_KEY
#include <iostream>
#include <memory>

#include <caf/actor_system.hpp>

#include "actors/actor_config.hpp"
#include "actors/save_errc.hpp"
#include "actors/save_service.hpp"
#include "core/base64.hpp"
#include "tests/support/crash_state.hpp"

using namespace awf;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: awf_crash_writer DB_URL SESSION_ID BASE64_KEY\n";
    return 2;
  }
  auto key = core::base64_decode(argv[3]);
  auto ring = key ? core::key_ring::make({{"k1", *key}})
                  : core::result<core::key_ring>{
                      core::error{core::errc::invalid_key, "bad key"}};
  if (!ring) {
    std::cerr << ring.error().message << "\n";
    return 2;
  }
  auto ctx = std::make_shared<actors::engine_context>();
  ctx->keys = std::make_shared<core::key_ring>(std::move(*ring));
  ctx->options.database.url = argv[1];
  ctx->options.encode.snapshot_every = 10;
  actors::actor_config cfg;
  caf::actor_system sys{cfg};
  actors::service_options opts;
  opts.periodic_verification = false;
  auto svc = actors::save_service::start(sys, ctx, opts);
  if (!svc) {
    std::cerr << actors::error_message(svc.error()) << "\n";
    return 1;
  }
  auto save = (*svc)->create_or_attach_save(argv[2], "crash-user");
  if (!save) {
    std::cerr << actors::error_message(save.error()) << "\n";
    return 1;
  }
  for (auto turn = save->save.head.turn_id + 1;; ++turn) {
    auto ack =
      (*svc)->persist_turn(save->save.save_id, turn, test::crash_state(turn));
    if (!ack) {
      std::cerr << actors::error_message(ack.error()) << "\n";
      return 1;
    }
    std::cout << "ack " << turn
              << std::endl; // flushed: the parent counts on it
  }
}
