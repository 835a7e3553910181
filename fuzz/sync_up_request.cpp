// Fuzzes the parsing of a sync up body (net/sync_up_request.hpp): the input
// is parsed as the server parses bodies, then checked by the sync up parser
// with the server's default limits, once for a user token and once for a
// device token. Whatever it accepts has ids of the right shape, a turn count
// within the limit and turns of the contract's form; whatever it refuses
// gets the contract's error body. Accepted turns that follow on from a new
// save's base are then rebuilt with the turn resolver under a small state
// limit, as the engine would.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/canonical_json.hpp"
#include "core/incoming_turns.hpp"
#include "core/json_document.hpp"
#include "fuzz/fuzz_support.hpp"
#include "net/client_ids.hpp"
#include "net/sync_up_request.hpp"

using namespace awf;

namespace {

const net::sync_limits limits{};

/// Rebuilds the turns of a sync up that starts a save (base turn 0), as
/// the engine would, under the fuzz state limit.
void resolve_from_start(const actors::sync_up_request& req) {
  if (req.base.turn_id != 0)
    return;
  for (std::size_t i = 0; i < req.turns.size(); ++i)
    if (req.turns[i].turn_id != static_cast<std::int64_t>(i) + 1)
      return; // the engine refuses turns that do not follow on
  core::turn_resolver resolver{req.base, nullptr, fuzz::max_state_bytes};
  for (const auto& turn : req.turns) {
    auto advanced = resolver.advance(turn);
    if (!advanced) {
      auto code = advanced.error().code;
      fuzz::require(code == core::errc::invalid_patch ||
                      code == core::errc::hash_mismatch ||
                      code == core::errc::payload_too_large ||
                      code == core::errc::unsupported_number ||
                      code == core::errc::invalid_json,
                    "a turn fails with a documented error");
      return;
    }
    fuzz::require(resolver.head().turn_id == turn.turn_id,
                  "the resolver reaches the turn it was given");
    fuzz::require(net::is_hex_hash(resolver.head().chain_hash) &&
                    net::is_hex_hash(resolver.state_hash()),
                  "a rebuilt turn has a chain hash and a state hash");
    fuzz::require(resolver.state() != nullptr &&
                    resolver.state()->canonical.size() <= fuzz::max_state_bytes,
                  "a rebuilt state is within the state limit");
  }
}

void check(const net::caller& who, const core::json_view& body) {
  actors::sync_up_request req;
  auto refused = net::parse_sync_up(limits, who, body, req);
  if (refused) {
    auto status = refused->status;
    fuzz::require(status == 400 || status == 403 || status == 413,
                  "a refused sync up is a 400, 403 or 413");
    fuzz::require(fuzz::is_error_body(refused->body),
                  "a refusal has the contract's error body");
    fuzz::require(req.save_id.empty() || net::uuid_shape.accepts(req.save_id),
                  "a refusal keeps no save id of the wrong shape");
    return;
  }
  fuzz::require(net::uuid_shape.accepts(req.save_id),
                "an accepted save id is a UUID");
  fuzz::require(req.device_id.empty() || net::is_device_id(req.device_id),
                "an accepted device id has the contract's shape");
  fuzz::require(who.device_id.empty() || req.device_id == who.device_id,
                "a device token syncs as its own device");
  fuzz::require(req.user_id_hash == who.user_id_hash,
                "the request is the caller's");
  fuzz::require(req.base.turn_id >= 0 && net::is_hex_hash(req.base.chain_hash),
                "the base is a turn id and a chain hash");
  fuzz::require(!req.turns.empty() &&
                  req.turns.size() <= limits.max_turns_per_sync,
                "the turn count is within the limit");
  for (const auto& turn : req.turns) {
    fuzz::require(turn.state.has_value() != turn.patch.has_value(),
                  "a turn carries a state or a patch");
    fuzz::require(!turn.patch ||
                    (turn.patch->starts_with('[') && !turn.state_hash.empty()),
                  "a patch turn is an array with its state hash");
    const auto& bytes = turn.patch ? *turn.patch : *turn.state;
    auto reparsed = core::parse_json(bytes);
    fuzz::require(reparsed && core::canonicalize(*reparsed) == bytes,
                  "a turn's state or patch is canonical bytes");
    fuzz::require(turn.state_hash.empty() || net::is_hex_hash(turn.state_hash),
                  "a state hash is 64 lowercase hex digits");
  }
  resolve_from_start(req);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  auto body = core::json_document::parse(fuzz::as_text(data, size));
  if (!body || !body->root().is_object()) // the route answers these itself
    return 0;
  check(net::caller{"user-hash", {}, false, 0}, body->root());
  check(net::caller{"user-hash", "device-1", false, 0}, body->root());
  return 0;
}
