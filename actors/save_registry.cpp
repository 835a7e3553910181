#include "actors/save_registry.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/save_errc.hpp"
#include "core/uuid.hpp"

namespace awf::actors {

namespace {

using clock_type = std::chrono::steady_clock;

struct resident_save {
  save_actor actor;
  std::list<std::string>::iterator lru_position;
  /// The last request the registry routed to the actor; requests that go
  /// to the actor directly show in `actor_use` only.
  clock_type::time_point last_use;
  last_use_ticks actor_use;
  bool passivating = false;
  /// Requests that arrived while the old actor was leaving; they go to the
  /// next actor once the old one is gone, so its last write lands first.
  std::vector<std::function<void(const save_actor&)>> waiting;
};

/// A request on behalf of `owner` (empty: a trusted caller), waiting for the
/// owner of a save that is not in memory to be read.
struct owner_bound_request {
  std::string owner;
  std::function<void(const save_actor&)> deliver;
  std::function<void(caf::error)> reject;
};

struct registry_state {
  engine_context_ptr ctx;
  std::vector<storage_writer_actor> writers;
  std::vector<storage_reader_actor> readers;
  conflict_arbiter arbiter;
  std::unordered_map<std::string, resident_save> saves;
  std::unordered_map<caf::actor_addr, std::string> ids_by_address;
  std::list<std::string> lru; ///< most recently used first, active only
  /// When resync_lru last ran (at most once per resync_every).
  clock_type::time_point last_resync{};
  /// Saves not in memory whose owner is being read, with the requests that
  /// wait for it, in arrival order.
  std::unordered_map<std::string, std::vector<owner_bound_request>>
    owner_checks;
  registry_stats stats;

  static inline const char* name = "save_registry";

  template<class Pool>
  const auto& pick(const Pool& pool, const std::string& key) const {
    return pool[std::hash<std::string>{}(key) % pool.size()];
  }
};

using registry_pointer = save_registry_actor::stateful_pointer<registry_state>;

void passivate(registry_pointer self, const std::string& save_id) {
  auto& st = self->state;
  auto& entry = st.saves.at(save_id);
  entry.passivating = true;
  st.lru.erase(entry.lru_position);
  self->send(entry.actor, passivate_atom_v);
  --st.stats.resident;
  ++st.stats.passivating;
}

resident_save& spawn_entry(registry_pointer self, const std::string& save_id) {
  auto& st = self->state;
  auto now = st.ctx->now();
  auto use =
    std::make_shared<std::atomic<std::int64_t>>(now.time_since_epoch().count());
  auto actor = spawn_save_actor(self->system(), st.ctx, save_id,
                                {st.pick(st.writers, save_id),
                                 st.pick(st.readers, save_id), st.arbiter,
                                 caf::actor_cast<save_departures>(self),
                                 caf::actor_cast<save_actor>(self), use});
  self->monitor(actor);
  st.ids_by_address.emplace(actor.address(), save_id);
  st.lru.push_front(save_id);
  auto& entry = st.saves[save_id];
  entry.actor = std::move(actor);
  entry.lru_position = st.lru.begin();
  entry.last_use = now;
  entry.actor_use = std::move(use);
  ++st.stats.resident;
  ++st.stats.spawned;
  return entry;
}

// The later of the registry's record of the save's last use and the
// actor's own (requests that go to the actor directly show only there).
clock_type::time_point effective_use(const resident_save& entry) {
  clock_type::time_point own{
    clock_type::duration{entry.actor_use->load(std::memory_order_relaxed)}};
  return std::max(entry.last_use, own);
}

/// How often the order may be sorted again: between sorts, churn at
/// capacity evicts by the order as it stands.
constexpr std::chrono::seconds resync_every{1};

// True when the least recently used save (by the registry's record) was
// used directly since, so the order is stale, and it may be sorted now.
bool should_resync(const registry_state& st) {
  const auto& entry = st.saves.at(st.lru.back());
  return effective_use(entry) > entry.last_use &&
         st.ctx->now() - st.last_resync >= resync_every;
}

// Brings every record up to its actor's own and sorts the order by it:
// O(n log n) on a vector of times, needed only when the tail was used
// directly since the last time (after a sort the tail is the save truly
// used least recently).
void resync_lru(registry_state& st) {
  st.last_resync = st.ctx->now();
  using position = std::list<std::string>::iterator;
  std::vector<std::pair<clock_type::time_point, position>> order;
  order.reserve(st.lru.size());
  for (auto it = st.lru.begin(); it != st.lru.end(); ++it) {
    auto& entry = st.saves.at(*it);
    entry.last_use = effective_use(entry);
    order.emplace_back(entry.last_use, it);
  }
  std::stable_sort(
    order.begin(), order.end(),
    [](const auto& a, const auto& b) { return a.first > b.first; });
  // Splicing relinks the nodes: every entry's lru_position stays valid.
  for (const auto& [used, it] : order)
    st.lru.splice(st.lru.end(), st.lru, it);
}

void evict_over_capacity(registry_pointer self) {
  auto& st = self->state;
  while (st.lru.size() > st.ctx->options.max_resident_saves) {
    if (should_resync(st))
      resync_lru(st);
    passivate(self, st.lru.back());
  }
}

// Runs `deliver` with the save's actor now, or once its predecessor is gone.
void with_save_actor(registry_pointer self, const std::string& save_id,
                     std::function<void(const save_actor&)> deliver) {
  auto& st = self->state;
  auto it = st.saves.find(save_id);
  if (it == st.saves.end()) {
    deliver(spawn_entry(self, save_id).actor);
    evict_over_capacity(self);
    return;
  }
  auto& entry = it->second;
  if (entry.passivating) {
    entry.waiting.push_back(std::move(deliver));
    return;
  }
  entry.last_use = st.ctx->now();
  st.lru.splice(st.lru.begin(), st.lru, entry.lru_position);
  deliver(entry.actor);
}

/// The one answer for a save the caller may not see: a missing save, a junk
/// id and another user's save answer alike.
caf::error no_such_save() {
  return make_save_error(save_errc::not_found, "no such save");
}

// Hands the requests that waited for the owner of `save_id` on: the owner's
// (and trusted ones) to the save's actor, every other one not_found.
// `stored_owner` is null when the lookup failed with `err`.
void settle_owner_check(registry_pointer self, const std::string& save_id,
                        const std::string* stored_owner,
                        const caf::error& err) {
  auto& checks = self->state.owner_checks;
  auto it = checks.find(save_id);
  if (it == checks.end())
    return;
  auto waiting = std::move(it->second);
  checks.erase(it);
  bool missing = !stored_owner && error_code(err) == save_errc::not_found;
  for (auto& req : waiting) {
    if (req.owner.empty() || (stored_owner && *stored_owner == req.owner))
      with_save_actor(self, save_id, std::move(req.deliver));
    else if (stored_owner || missing)
      req.reject(no_such_save());
    else
      req.reject(err); // the database failed: the owner is unknown
  }
}

// Owner checks come before any load of a save's data: a save in memory
// checks its callers itself; for one that is not, the registry first reads
// the save's owner (one row, no turn) and spawns its actor, which loads and
// decrypts the head, only for the owner. So another user's save answers
// exactly like a missing one, as fast, and costs no load.
void dispatch(registry_pointer self, const std::string& save_id,
              owner_bound_request req) {
  auto& st = self->state;
  if (auto it = st.owner_checks.find(save_id); it != st.owner_checks.end()) {
    // Behind the requests already waiting, so one caller's order holds.
    it->second.push_back(std::move(req));
    return;
  }
  // A leaving actor's requests go to the next one, which loads the save:
  // only an active actor checks the owner without a load.
  auto resident = st.saves.find(save_id);
  if (req.owner.empty() ||
      (resident != st.saves.end() && !resident->second.passivating)) {
    with_save_actor(self, save_id, std::move(req.deliver));
    return;
  }
  st.owner_checks[save_id].push_back(std::move(req));
  self
    ->request(st.pick(st.readers, save_id), caf::infinite, lookup_atom_v,
              save_id)
    .then(
      [self, save_id](const persistence::save_record& record) {
        settle_owner_check(self, save_id, &record.user_id_hash, caf::error{});
      },
      [self, save_id](caf::error& err) {
        settle_owner_check(self, save_id, nullptr, err);
      });
}

/// Routes a request to the actor of `save_id` on behalf of `owner` (empty:
/// a trusted caller, no check).
template<class Reply, class... Ts>
caf::result<Reply> route(registry_pointer self, const std::string& save_id,
                         const std::string& owner, Ts... xs) {
  // Junk ids never get an actor: answer exactly as for a missing save.
  if (!core::is_uuid(save_id))
    return no_such_save();
  auto rp = self->make_response_promise<Reply>();
  // Moved, not copied: a request may carry a large parsed state.
  auto deliver = [rp, ... xs = std::move(xs)](const save_actor& actor) mutable {
    rp.delegate(actor, std::move(xs)...);
  };
  auto reject = [rp](caf::error err) mutable { rp.deliver(std::move(err)); };
  dispatch(self, save_id, {owner, std::move(deliver), std::move(reject)});
  return rp;
}

// The actor at `address` left memory (it said so, or it stopped): the
// save's waiting requests go to a new actor.
void forget_save_actor(registry_pointer self, const caf::actor_addr& address) {
  auto& st = self->state;
  auto id_it = st.ids_by_address.find(address);
  if (id_it == st.ids_by_address.end())
    return;
  auto save_id = std::move(id_it->second);
  st.ids_by_address.erase(id_it);
  auto& entry = st.saves.at(save_id);
  if (entry.passivating) {
    --st.stats.passivating;
    ++st.stats.passivated;
  } else {
    // It stopped on its own (e.g. after a storage failure).
    st.lru.erase(entry.lru_position);
    --st.stats.resident;
  }
  auto waiting = std::move(entry.waiting);
  st.saves.erase(save_id);
  if (waiting.empty())
    return;
  auto& next = spawn_entry(self, save_id);
  for (auto& deliver : waiting)
    deliver(next.actor);
  evict_over_capacity(self);
}

void passivate_idle(registry_pointer self) {
  auto& st = self->state;
  // The engine's clock: tests move it instead of waiting.
  auto cutoff = st.ctx->now() - st.ctx->options.save_idle;
  while (!st.lru.empty() && st.saves.at(st.lru.back()).last_use < cutoff) {
    if (should_resync(st)) {
      resync_lru(st);
      continue;
    }
    passivate(self, st.lru.back());
  }
}

std::chrono::milliseconds tick_interval(const engine_options& opts) {
  return std::max(std::chrono::milliseconds{100}, opts.save_idle / 2);
}

save_registry_actor::behavior_type
registry_behavior(registry_pointer self, engine_context_ptr context,
                  std::vector<storage_writer_actor> writers,
                  std::vector<storage_reader_actor> readers,
                  conflict_arbiter arbiter) {
  auto& st = self->state;
  st.ctx = std::move(context);
  st.writers = std::move(writers);
  st.readers = std::move(readers);
  st.arbiter = std::move(arbiter);
  // A save actor that stopped without saying it left (it failed).
  self->set_down_handler(
    [self](caf::down_msg& msg) { forget_save_actor(self, msg.source); });
  self->delayed_send(self, tick_interval(st.ctx->options), tick_atom_v);
  return {
    [=](create_atom, const std::string& user, const std::string& session,
        const std::string& version) {
      auto& s = self->state;
      return self->delegate(s.pick(s.writers, user + '\n' + session),
                            create_atom_v, user, session, version);
    },
    [=](persist_atom, persist_request& req) {
      auto save_id = req.save_id;
      return route<persist_ack>(self, save_id, any_owner, persist_atom_v,
                                std::move(req));
    },
    [=](materialize_atom, const std::string& save_id, std::int64_t turn_id,
        const std::string& owner, const request_scope& scope) {
      return route<materialized_turn>(self, save_id, owner, materialize_atom_v,
                                      save_id, turn_id, owner, scope);
    },
    [=](materialize_atom, const std::string& save_id,
        const std::string& archive_id, std::int64_t turn_id,
        const std::string& owner, const request_scope& scope) {
      return route<materialized_turn>(self, save_id, owner, materialize_atom_v,
                                      save_id, archive_id, turn_id, owner,
                                      scope);
    },
    [=](restore_atom, restore_request& req) {
      auto save_id = req.save_id;
      auto owner = req.user_id_hash;
      return route<restore_reply>(self, save_id, owner, restore_atom_v,
                                  std::move(req));
    },
    [=](verify_atom, const std::string& save_id, bool full,
        const std::string& owner, const request_scope& scope) {
      return route<verify_report>(self, save_id, owner, verify_atom_v, save_id,
                                  full, owner, scope);
    },
    [=](lookup_atom, const std::string& save_id, const std::string& owner) {
      return route<persistence::save_record>(self, save_id, owner,
                                             lookup_atom_v, save_id, owner);
    },
    [=](sync_up_atom, sync_up_request& req) {
      auto save_id = req.save_id;
      auto owner = req.user_id_hash;
      return route<sync_up_reply>(self, save_id, owner, sync_up_atom_v,
                                  std::move(req));
    },
    [=](sync_down_atom, sync_down_request& req) {
      auto save_id = req.save_id;
      auto owner = req.user_id_hash;
      return route<sync_down_reply>(self, save_id, owner, sync_down_atom_v,
                                    std::move(req));
    },
    [=](audit_atom, std::vector<persistence::audit_entry>& entries) {
      // Spread over the writers; a record's save decides, so one save's
      // records keep their order.
      auto& s = self->state;
      const auto& key = entries.empty() || !entries.front().save_id
                          ? std::string{}
                          : *entries.front().save_id;
      self->send(s.pick(s.writers, key), audit_atom_v, std::move(entries));
    },
    [=](list_atom, persistence::audit_filter& filter) {
      auto& s = self->state;
      return self->delegate(s.readers.front(), list_atom_v, std::move(filter));
    },
    [=](stats_atom, const std::string& user) {
      auto& s = self->state;
      return self->delegate(s.readers.front(), stats_atom_v, user);
    },
    [=](list_atom, const std::string& user) {
      auto& s = self->state;
      return self->delegate(s.pick(s.readers, user), list_atom_v, user);
    },
    [=](stats_atom) { return self->state.stats; },
    [=](conflict_atom, conflict_query& query) {
      auto& s = self->state;
      return self->delegate(s.readers.front(), conflict_atom_v,
                            std::move(query));
    },
    [=](conflict_atom, const std::string& user) {
      auto& s = self->state;
      return self->delegate(s.readers.front(), conflict_atom_v, user);
    },
    [=](left_atom, const std::string&) {
      // The actor stays a forwarder while anyone holds its handle; its stop
      // later means nothing to the registry.
      auto address = self->current_sender()->address();
      self->demonitor(address);
      forget_save_actor(self, address);
    },
    [=](tick_atom) {
      passivate_idle(self);
      self->delayed_send(self, tick_interval(self->state.ctx->options),
                         tick_atom_v);
    },
  };
}

} // namespace

save_registry_actor
spawn_save_registry(caf::actor_system& sys, engine_context_ptr context,
                    std::vector<storage_writer_actor> writers,
                    std::vector<storage_reader_actor> readers,
                    conflict_arbiter arbiter) {
  return sys.spawn(registry_behavior, std::move(context), std::move(writers),
                   std::move(readers), std::move(arbiter));
}

} // namespace awf::actors
