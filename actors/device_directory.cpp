#include "actors/device_directory.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <unordered_map>
#include <utility>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/save_errc.hpp"
#include "core/sync_token.hpp"
#include "core/uuid.hpp"
#include "persistence/audit_log.hpp"

namespace awf::actors {

namespace {

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

struct directory_state {
  device_directory_options opts;
  std::unique_ptr<persistence::database> db;
  std::optional<persistence::device_store> devices;
  std::optional<persistence::audit_log> audit;
  caf::error open_error;
  /// Valid tokens seen recently, by token hash; dropped on rotate/revoke.
  std::unordered_map<std::string, device_identity> by_token_hash;
  /// Writes the last turns seen.
  storage_writer_actor notes_writer;
  /// Where the edge notes the last turns seen.
  std::shared_ptr<seen_board> board;
  /// A tick is due: the board's notes are taken then.
  bool tick_due = false;
  /// Last turns seen taken from the board and not handed to the writer yet
  /// (a batch that failed, or that waits for the one in flight).
  std::map<std::string, std::int64_t> seen_pending;
  /// Notes with the writer, not yet durable (empty: none); nothing else is
  /// sent meanwhile.
  std::map<std::string, std::int64_t> seen_sending;

  /// Notes that `device_id` synced `turn_id`, keeping the later turn.
  void note_seen(const std::string& device_id, std::int64_t turn_id) {
    auto& turn = seen_pending[device_id];
    turn = std::max(turn, turn_id);
  }

  static inline const char* name = "device_directory";

  void forget_device(const std::string& device_id) {
    std::erase_if(by_token_hash, [&](const auto& entry) {
      return entry.second.device_id == device_id;
    });
  }

  void remember(const std::string& token_hash, device_identity entry) {
    if (by_token_hash.size() >= opts.cache_entries)
      by_token_hash.clear(); // simple and bounded; refills from the store
    by_token_hash.emplace(token_hash, std::move(entry));
  }

  void record(const std::string& device_id, const std::string& operation,
              const nlohmann::json& details) {
    // The audit trail must never stop a device operation that succeeded.
    (void)audit->append(std::nullopt, device_id, operation, details.dump());
  }
};

using directory_pointer =
  device_directory_actor::stateful_pointer<directory_state>;

bool valid_device_id(const std::string& id) {
  static const std::regex pattern{"[A-Za-z0-9._-]{1,64}"};
  return std::regex_match(id, pattern);
}

caf::result<device_grant> register_device(directory_pointer self,
                                          const std::string& user,
                                          std::string device_id,
                                          const std::string& label) {
  auto& st = self->state;
  if (device_id.empty())
    device_id = core::random_uuid();
  else if (!valid_device_id(device_id))
    return make_save_error(save_errc::invalid_request,
                           "device_id must match [A-Za-z0-9._-]{1,64}");
  auto token = core::mint_sync_token();
  auto expires =
    now_ms() +
    std::chrono::duration_cast<std::chrono::milliseconds>(st.opts.token_ttl)
      .count();
  auto stored = st.devices->register_device(
    user, device_id, label, core::sync_token_hash(token), expires);
  if (!stored) {
    if (stored.error().code == persistence::storage_errc::conflict)
      return make_save_error(save_errc::device_taken,
                             "device_id " + device_id +
                               " is registered to another user");
    return from_storage_error(stored.error());
  }
  st.forget_device(device_id);
  st.record(device_id, "device_register", {{"label", label}});
  return device_grant{device_id, std::move(token), expires};
}

caf::result<device_grant> rotate_token(directory_pointer self,
                                       const std::string& token_hash,
                                       const std::string& device_id) {
  auto& st = self->state;
  auto token = core::mint_sync_token();
  auto expires =
    now_ms() +
    std::chrono::duration_cast<std::chrono::milliseconds>(st.opts.token_ttl)
      .count();
  auto rotated = st.devices->rotate(device_id, token_hash,
                                    core::sync_token_hash(token), expires);
  if (!rotated) {
    if (rotated.error().code == persistence::storage_errc::not_found)
      return make_save_error(save_errc::unauthorized,
                             "send the device's current sync token");
    return from_storage_error(rotated.error());
  }
  st.forget_device(device_id);
  st.record(device_id, "device_rotate", nlohmann::json::object());
  return device_grant{device_id, std::move(token), expires};
}

caf::result<bool> revoke_device(directory_pointer self,
                                const std::string& device_id,
                                const std::string& user, bool admin) {
  auto& st = self->state;
  auto found = st.devices->find_device(device_id);
  // Another user's device answers exactly like a missing one.
  if (!found || (!admin && found->user_id_hash != user)) {
    if (found || found.error().code == persistence::storage_errc::not_found)
      return make_save_error(save_errc::not_found, "no such device");
    return from_storage_error(found.error());
  }
  if (auto done = st.devices->revoke(device_id); !done)
    return from_storage_error(done.error());
  st.forget_device(device_id);
  st.record(device_id, "device_revoke", {{"by_admin", admin}});
  return true;
}

caf::result<device_identity> authenticate(directory_pointer self,
                                          const std::string& token_hash) {
  auto& st = self->state;
  auto expired = [] {
    return make_save_error(save_errc::token_expired,
                           "the sync token has expired; register the device "
                           "again");
  };
  if (auto it = st.by_token_hash.find(token_hash);
      it != st.by_token_hash.end()) {
    if (it->second.expires_at_ms <= now_ms())
      return expired();
    return it->second;
  }
  auto found = st.devices->find_by_token_hash(token_hash);
  if (!found) {
    if (found.error().code == persistence::storage_errc::not_found)
      return make_save_error(save_errc::unauthorized, "unknown sync token");
    return from_storage_error(found.error());
  }
  if (found->revoked)
    return make_save_error(save_errc::unauthorized,
                           "the device's sync token was revoked");
  if (found->expires_at_ms <= now_ms())
    return expired();
  device_identity identity{found->device_id, found->user_id_hash,
                           found->expires_at_ms};
  st.remember(token_hash, identity);
  return identity;
}

// Takes the board's notes after seen_flush, unless a tick is due already.
void schedule_tick(directory_pointer self) {
  auto& st = self->state;
  if (st.tick_due)
    return;
  st.tick_due = true;
  self->delayed_send(self, st.opts.seen_flush, tick_atom_v);
}

/// Hands the gathered last-turn notes to the writer, one batch at a time.
/// Informational: a failed write is retried with the next notes.
void hand_off_seen(directory_pointer self) {
  auto& st = self->state;
  st.tick_due = false;
  for (const auto& [device_id, turn_id] : st.board->take())
    st.note_seen(device_id, turn_id);
  if (st.seen_pending.empty())
    return;
  if (!st.seen_sending.empty()) {
    schedule_tick(self);
    return;
  }
  st.seen_sending = std::exchange(st.seen_pending, {});
  self->request(st.notes_writer, caf::infinite, seen_atom_v, st.seen_sending)
    .then([self](bool) { self->state.seen_sending.clear(); },
          [self](caf::error&) {
            auto& s = self->state;
            for (const auto& [device_id, turn_id] : s.seen_sending)
              s.note_seen(device_id, turn_id);
            s.seen_sending.clear();
            schedule_tick(self);
          });
}

device_directory_actor::behavior_type
directory_behavior(directory_pointer self, engine_context_ptr context,
                   device_directory_options opts,
                   storage_writer_actor notes_writer,
                   std::shared_ptr<seen_board> board) {
  auto& st = self->state;
  st.opts = opts;
  st.notes_writer = std::move(notes_writer);
  st.board = std::move(board);
  auto db = persistence::database::open(context->options.database);
  if (db) {
    st.db = std::move(*db);
    st.devices.emplace(*st.db);
    st.audit.emplace(*st.db);
  } else {
    st.open_error = from_storage_error(db.error());
  }
  auto guard = [self]() -> caf::error { return self->state.open_error; };
  return {
    [=](register_atom, const std::string& user, std::string& device_id,
        const std::string& label) -> caf::result<device_grant> {
      if (auto err = guard())
        return err;
      return register_device(self, user, std::move(device_id), label);
    },
    [=](rotate_atom, const std::string& token_hash,
        const std::string& device_id) -> caf::result<device_grant> {
      if (auto err = guard())
        return err;
      return rotate_token(self, token_hash, device_id);
    },
    [=](revoke_atom, const std::string& device_id, const std::string& user,
        bool admin) -> caf::result<bool> {
      if (auto err = guard())
        return err;
      return revoke_device(self, device_id, user, admin);
    },
    [=](authenticate_atom,
        const std::string& token_hash) -> caf::result<device_identity> {
      if (auto err = guard())
        return err;
      return authenticate(self, token_hash);
    },
    [=](lookup_atom, const std::string& device_id)
      -> caf::result<persistence::device_record> {
      if (auto err = guard())
        return err;
      auto& st = self->state;
      auto found = st.devices->find_device(device_id);
      if (!found)
        return from_storage_error(found.error());
      auto& seen = found->last_turn_seen;
      for (const auto* notes : {&st.seen_pending, &st.seen_sending})
        if (auto it = notes->find(device_id); it != notes->end())
          seen = std::max(seen, it->second);
      seen = std::max(seen, st.board->find(device_id).value_or(seen));
      return std::move(*found);
    },
    [=](seen_atom) {
      if (!self->state.open_error)
        schedule_tick(self);
    },
    [=](tick_atom) { hand_off_seen(self); },
  };
}

} // namespace

device_directory_actor
spawn_device_directory(caf::actor_system& sys, engine_context_ptr context,
                       device_directory_options opts,
                       storage_writer_actor notes_writer,
                       std::shared_ptr<seen_board> seen) {
  if (opts.detached)
    return sys.spawn<caf::detached>(directory_behavior, std::move(context),
                                    opts, std::move(notes_writer),
                                    std::move(seen));
  return sys.spawn(directory_behavior, std::move(context), opts,
                   std::move(notes_writer), std::move(seen));
}

} // namespace awf::actors
