#include "actors/storage_actor.hpp"

#include <optional>
#include <variant>

#include <caf/actor_cast.hpp>
#include <caf/expected.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <nlohmann/json.hpp>

#include "actors/save_errc.hpp"
#include "actors/turn_reads.hpp"
#include "core/chain_verifier.hpp"
#include "persistence/archive_store.hpp"
#include "persistence/audit_log.hpp"
#include "persistence/branch_writer.hpp"
#include "persistence/conflict_store.hpp"
#include "persistence/device_store.hpp"
#include "persistence/store_stats.hpp"

namespace awf::actors {

namespace {

/// A sync up the writer answers itself (append_request).
struct direct_answer {
  caf::typed_response_promise<sync_up_reply> promise;
  sync_up_reply reply;
  std::shared_ptr<commit_progress> progress;
};

struct pending_commit {
  persistence::turn_commit commit;
  /// The save actor waiting for the new head, or a sync up's sender.
  std::variant<caf::typed_response_promise<core::chain_head>, direct_answer>
    answer;

  /// Answers with the commit's outcome: the new head, or the error.
  void settle(caf::expected<core::chain_head> outcome) {
    if (auto* head = std::get_if<0>(&answer)) {
      if (outcome)
        head->deliver(std::move(*outcome));
      else
        head->deliver(std::move(outcome.error()));
      return;
    }
    auto& direct = std::get<1>(answer);
    // Counted first: once the device has its answer, the save actor must
    // find the commit settled.
    direct.progress->settled(static_cast<bool>(outcome));
    if (!outcome) {
      direct.promise.deliver(std::move(outcome.error()));
      return;
    }
    direct.reply.head = std::move(*outcome);
    direct.promise.deliver(std::move(direct.reply));
  }
};

struct storage_state {
  engine_context_ptr ctx;
  std::unique_ptr<persistence::database> db;
  std::optional<persistence::save_store> saves;
  std::optional<persistence::turn_writer> writer;
  std::optional<persistence::audit_log> audit;
  std::optional<persistence::archive_store> archives;
  std::optional<persistence::conflict_store> conflicts;
  std::optional<persistence::device_store> devices;
  caf::error open_error;
  std::vector<pending_commit> pending;
  std::vector<persistence::audit_entry> pending_audit;
  /// A flush message is queued in the mailbox.
  bool flush_queued = false;

  static inline const char* name = "storage_worker";

  const core::key_ring& keys() const { return *ctx->keys; }
};

// Verification reads this many turns (with blobs) per query.
constexpr std::int64_t verify_chunk = 256;

caf::expected<open_reply> open_save(storage_state& st,
                                    const std::string& save_id) {
  auto save = st.saves->find_save(save_id);
  if (!save)
    return from_storage_error(save.error());
  open_reply reply{*save, 0, {}};
  if (save->head.turn_id == 0)
    return reply;
  auto head = rebuild_turn(*st.saves, *st.ctx, save_id, save->head.turn_id,
                           &reply.base_turn);
  if (!head)
    return head.error();
  reply.head_canonical = std::move(head->canonical);
  return reply;
}

// Walks the stored turns of one save inside a consistent snapshot;
// `was_ok` receives the integrity flag the save had.
caf::expected<verify_report> walk_save(storage_state& st,
                                       const std::string& save_id, bool full,
                                       const request_scope& scope,
                                       bool& was_ok) {
  persistence::read_snapshot snapshot{*st.db};
  auto save = st.saves->find_save(save_id);
  if (!save)
    return from_storage_error(save.error());
  was_ok = save->integrity_ok;
  const auto head = save->head;
  core::chain_verifier verifier{core::chain_genesis(save->session_id),
                                st.keys(), st.ctx->options.max_state_bytes};
  // A quick check rebuilds only from the last snapshot; the chain of every
  // turn is still checked from the metadata.
  std::int64_t rebuild_from = 1;
  if (!full && head.turn_id > 0) {
    auto base = st.saves->base_turn_of(save_id, head.turn_id);
    rebuild_from = base ? *base : 1;
  }
  for (std::int64_t from = 1; from <= head.turn_id; from += verify_chunk) {
    auto to = std::min(head.turn_id, from + verify_chunk - 1);
    bool with_blobs = to >= rebuild_from;
    auto rows = st.saves->load_turns(save_id, from, to, with_blobs);
    if (!rows)
      return from_storage_error(rows.error());
    for (const auto& row : *rows) {
      // Nobody waits for the answer past the deadline: stop between turns.
      if (scope.expired(st.ctx->now()))
        return deadline_error("the verification");
      if (!verifier.feed(row, row.turn_id >= rebuild_from))
        break;
    }
    if (verifier.first_bad_turn())
      break;
    if (static_cast<std::int64_t>(rows->size()) != to - from + 1) {
      verifier.fail(verifier.head().turn_id + 1, "turn rows are missing");
      break;
    }
  }
  if (!verifier.first_bad_turn() && verifier.head() != head)
    verifier.fail(head.turn_id,
                  "the save's head does not match its last stored turn");
  verify_report report;
  report.save_id = save_id;
  report.ok = !verifier.first_bad_turn();
  report.checked_turns = verifier.checked_turns();
  report.head = head;
  report.first_bad_turn = verifier.first_bad_turn().value_or(0);
  report.errors = verifier.errors();
  return report;
}

// Records a verification's outcome. A failure clears integrity_ok and, when
// it newly fails, writes an audit record; only a full verification may set
// the flag back, because a quick one does not rebuild older turns.
void record_outcome(storage_state& st, const verify_report& report, bool was_ok,
                    bool full) {
  bool now_ok = report.ok ? (full || was_ok) : false;
  if (now_ok == was_ok)
    return;
  if (auto set = st.saves->set_integrity(report.save_id, now_ok); !set)
    return; // the next verification records it
  if (now_ok)
    return;
  nlohmann::json details{{"first_bad_turn", report.first_bad_turn},
                         {"errors", report.errors}};
  (void)st.audit->append(report.save_id, std::nullopt, "integrity_failure",
                         details.dump());
}

caf::expected<verify_report> verify_save(storage_state& st,
                                         const std::string& save_id, bool full,
                                         const request_scope& scope) {
  bool was_ok = true;
  auto report = walk_save(st, save_id, full, scope, was_ok);
  if (!report)
    return report.error();
  record_outcome(st, *report, was_ok, full);
  return report;
}

void flush_commits(storage_state& st) {
  if (st.pending.empty() && st.pending_audit.empty())
    return;
  auto queued = std::move(st.pending);
  st.pending.clear();
  // A commit whose request was given up is not started: its sender heard
  // (or will hear) that nothing was stored.
  std::vector<pending_commit> batch;
  batch.reserve(queued.size());
  auto now = st.ctx->now();
  for (auto& entry : queued) {
    if (now >= entry.commit.not_after)
      entry.settle(deadline_error("the commit"));
    else
      batch.push_back(std::move(entry));
  }
  auto audits = std::move(st.pending_audit);
  st.pending_audit.clear();
  std::vector<persistence::turn_commit> commits;
  commits.reserve(batch.size());
  for (auto& entry : batch)
    commits.push_back(std::move(entry.commit));
  auto outcomes = st.writer->commit(commits, audits);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& last = commits[i].turns.back();
    if (outcomes[i])
      batch[i].settle(core::chain_head{last.turn_id, last.chain_hash});
    else
      batch[i].settle(from_storage_error(outcomes[i].error()));
  }
}

using storage_pointer = storage_actor::stateful_pointer<storage_state>;

// Queues one flush behind what is in the mailbox now, unless one is queued.
void schedule_flush(storage_pointer self) {
  auto& st = self->state;
  if (st.flush_queued)
    return;
  st.flush_queued = true;
  caf::anon_send(caf::actor_cast<storage_actor>(self), flush_atom_v);
}

// Queues `entry` for the next group commit; past the batch limit, commits
// at once.
void queue_commit(storage_pointer self, pending_commit entry) {
  auto& st = self->state;
  // The flush message queues behind every commit already in the mailbox,
  // so all of them share the next transaction.
  schedule_flush(self);
  st.pending.push_back(std::move(entry));
  if (st.pending.size() >= st.ctx->options.max_commit_batch)
    flush_commits(st);
}

/// A storage call's value, or its error in the engine's terms.
template<class T>
caf::result<T> answer(persistence::stored<T> x) {
  if (!x)
    return from_storage_error(x.error());
  return std::move(*x);
}

caf::expected<std::vector<materialized_turn>>
turn_hashes(storage_state& st, const std::string& save_id, std::int64_t from,
            std::int64_t to) {
  auto rows = st.saves->load_turns(save_id, from, to, false);
  if (!rows)
    return from_storage_error(rows.error());
  std::vector<materialized_turn> out;
  out.reserve(rows->size());
  for (const auto& row : *rows)
    out.push_back({save_id, row.turn_id, {}, row.state_hash, row.chain_hash});
  return out;
}

storage_actor::behavior_type storage_worker(storage_pointer self,
                                            engine_context_ptr context) {
  auto& st = self->state;
  st.ctx = std::move(context);
  auto db = persistence::database::open(st.ctx->options.database);
  if (db) {
    st.db = std::move(*db);
    st.saves.emplace(*st.db);
    st.writer.emplace(*st.db);
    st.audit.emplace(*st.db);
    st.archives.emplace(*st.db);
    st.conflicts.emplace(*st.db);
    st.devices.emplace(*st.db);
  } else {
    st.open_error = from_storage_error(db.error());
  }
  // Every handler first answers the open error, if any.
  auto guard = [self]() -> caf::error { return self->state.open_error; };
  return {
    [=](create_atom, const std::string& user, const std::string& session,
        const std::string& version) -> caf::result<attach_reply> {
      if (auto err = guard())
        return err;
      auto res = self->state.saves->create_or_attach(user, session, version);
      if (!res)
        return from_storage_error(res.error());
      return attach_reply{res->save, res->created};
    },
    [=](open_atom, const std::string& save_id) -> caf::result<open_reply> {
      if (auto err = guard())
        return err;
      return open_save(self->state, save_id);
    },
    [=](commit_atom,
        persistence::turn_commit& commit) -> caf::result<core::chain_head> {
      if (auto err = guard())
        return err;
      if (commit.turns.empty())
        return make_save_error(save_errc::invalid_request, "no turns");
      auto promise = self->make_response_promise<core::chain_head>();
      queue_commit(self, {std::move(commit), promise});
      return promise;
    },
    [=](append_atom, append_request& req) -> caf::result<sync_up_reply> {
      auto refuse = [&req](caf::error err) {
        req.progress->settled(false);
        return err;
      };
      if (auto err = guard())
        return refuse(std::move(err));
      if (req.commit.turns.empty())
        return refuse(make_save_error(save_errc::invalid_request, "no turns"));
      auto promise = self->make_response_promise<sync_up_reply>();
      queue_commit(self, {std::move(req.commit),
                          direct_answer{promise, std::move(req.reply),
                                        std::move(req.progress)}});
      return promise;
    },
    [=](flush_atom) {
      self->state.flush_queued = false;
      flush_commits(self->state);
      return true;
    },
    [=](materialize_atom, const std::string& save_id, std::int64_t turn_id,
        const request_scope& scope) -> caf::result<materialized_turn> {
      if (auto err = guard())
        return err;
      if (scope.expired(self->state.ctx->now()))
        return deadline_error("rebuilding the turn");
      auto& s = self->state;
      return rebuild_turn(*s.saves, *s.ctx, save_id, turn_id);
    },
    [=](turn_hash_atom, const std::string& save_id,
        std::int64_t turn_id) -> caf::result<materialized_turn> {
      if (auto err = guard())
        return err;
      auto rows =
        self->state.saves->load_turns(save_id, turn_id, turn_id, false);
      if (!rows)
        return from_storage_error(rows.error());
      if (rows->empty())
        return make_save_error(save_errc::not_found,
                               "no turn " + std::to_string(turn_id));
      const auto& row = rows->front();
      return materialized_turn{
        save_id, turn_id, {}, row.state_hash, row.chain_hash};
    },
    [=](verify_atom, const std::string& save_id, bool full,
        const request_scope& scope) -> caf::result<verify_report> {
      if (auto err = guard())
        return err;
      return verify_save(self->state, save_id, full, scope);
    },
    [=](list_atom, const std::string& user)
      -> caf::result<std::vector<persistence::save_record>> {
      if (auto err = guard())
        return err;
      return answer(self->state.saves->list_saves(user));
    },
    [=](sample_atom, double percent) -> caf::result<std::vector<std::string>> {
      if (auto err = guard())
        return err;
      return answer(self->state.saves->sample_save_ids(
        percent, self->state.ctx->options.verify_batch_limit));
    },
    [=](turn_hash_atom, const std::string& save_id, std::int64_t from,
        std::int64_t to) -> caf::result<std::vector<materialized_turn>> {
      if (auto err = guard())
        return err;
      return turn_hashes(self->state, save_id, from, to);
    },
    [=](sync_down_atom, const sync_down_request& req,
        const core::chain_head& head) -> caf::result<sync_down_reply> {
      if (auto err = guard())
        return err;
      auto& s = self->state;
      // One snapshot: a concurrent commit must not show half a page.
      persistence::read_snapshot snapshot{*s.db};
      return read_sync_down(*s.saves, *s.ctx, req, head);
    },
    [=](copy_atom, const std::string& save_id, std::int64_t fork_turn,
        std::int64_t last_turn, bool reencode,
        const request_scope& scope) -> caf::result<branch_copy> {
      if (auto err = guard())
        return err;
      auto& s = self->state;
      persistence::read_snapshot snapshot{*s.db};
      return copy_branch(*s.saves, *s.ctx, save_id, fork_turn, last_turn,
                         reencode, scope.deadline);
    },
    [=](settle_atom, const persistence::branch_change& change)
      -> caf::result<core::chain_head> {
      if (auto err = guard())
        return err;
      // Queued appends of other saves and audits land first, in order.
      flush_commits(self->state);
      if (self->state.ctx->now() >= change.not_after)
        return deadline_error("the commit");
      return answer(persistence::apply_branch_change(*self->state.db, change));
    },
    [=](materialize_atom, const std::string& save_id,
        const std::string& archive_id, std::int64_t turn_id,
        const request_scope& scope) -> caf::result<materialized_turn> {
      if (auto err = guard())
        return err;
      if (scope.expired(self->state.ctx->now()))
        return deadline_error("rebuilding the archived turn");
      auto& s = self->state;
      persistence::read_snapshot snapshot{*s.db};
      return rebuild_archive_turn(*s.archives, *s.ctx, save_id, archive_id,
                                  turn_id);
    },
    [=](conflict_atom, const conflict_query& query)
      -> caf::result<std::vector<persistence::conflict_record>> {
      if (auto err = guard())
        return err;
      return answer(
        self->state.conflicts->list(query.save_id, std::string{}, query.limit));
    },
    [=](conflict_atom,
        const std::string& user) -> caf::result<persistence::conflict_totals> {
      if (auto err = guard())
        return err;
      return answer(self->state.conflicts->totals(user));
    },
    [=](audit_atom, std::vector<persistence::audit_entry>& entries) {
      if (self->state.open_error)
        return;
      // A sync up's own record travels with its turns; these (refusals,
      // reads) share the next flush with whatever else is queued.
      schedule_flush(self);
      auto& pending = self->state.pending_audit;
      pending.insert(pending.end(), std::make_move_iterator(entries.begin()),
                     std::make_move_iterator(entries.end()));
    },
    [=](seen_atom,
        const std::map<std::string, std::int64_t>& turns) -> caf::result<bool> {
      if (auto err = guard())
        return err;
      if (auto done = self->state.devices->note_turns_seen(turns); !done)
        return from_storage_error(done.error());
      return true;
    },
    [=](list_atom, const persistence::audit_filter& filter)
      -> caf::result<std::vector<persistence::audit_record>> {
      if (auto err = guard())
        return err;
      return answer(self->state.audit->list(filter));
    },
    [=](stats_atom,
        const std::string& user) -> caf::result<persistence::store_totals> {
      if (auto err = guard())
        return err;
      return answer(persistence::compute_store_totals(*self->state.db, user));
    },
    [=](lookup_atom,
        const std::string& save_id) -> caf::result<persistence::save_record> {
      if (auto err = guard())
        return err;
      return answer(self->state.saves->find_save(save_id));
    },
  };
}

} // namespace

storage_actor spawn_storage_worker(caf::actor_system& sys,
                                   engine_context_ptr context, bool detached) {
  if (detached)
    return sys.spawn<caf::detached>(storage_worker, std::move(context));
  return sys.spawn(storage_worker, std::move(context));
}

storage_writer_actor spawn_storage_writer(caf::actor_system& sys,
                                          engine_context_ptr context,
                                          bool detached) {
  return spawn_storage_worker(sys, std::move(context), detached);
}

storage_reader_actor spawn_storage_reader(caf::actor_system& sys,
                                          engine_context_ptr context,
                                          bool detached) {
  return spawn_storage_worker(sys, std::move(context), detached);
}

} // namespace awf::actors
