// A divergent sync up (contract §6), settled in steps that keep every other
// request of the save waiting: rebuild and check the server's branch from
// the fork (its integrity score), ask the arbiter for a ruling, re-encode
// the server branch for its archive if the client's branch replaces it,
// verify the head chain the ruling produces, and commit it with the losing
// branch's archive and the conflict report in one transaction.
#include <memory>

#include <nlohmann/json.hpp>

#include "actors/save_state.hpp"
#include "actors/sync_audit.hpp"
#include "core/canonical_json.hpp"
#include "core/chain_verifier.hpp"
#include "core/conflict_report.hpp"
#include "core/json_patch.hpp"
#include "core/uuid.hpp"

namespace awf::actors {

namespace {

/// Everything known about one divergence, shared by its steps.
struct divergence {
  std::vector<std::int64_t> matched; ///< sent turns already on the chain
  std::string device_id;
  std::string user_id_hash;
  std::string strategy;
  bool confirm_regression = false;
  core::chain_head fork;
  std::string fork_state; ///< canonical; empty at turn 0
  core::chain_head server_head;
  encoded_branch client;
  branch_copy server;
  conflict_ruling ruling;
  std::string conflict_id = core::random_uuid();
  std::string archive_id = core::random_uuid();
  sync_work work; ///< the request's deadline and rebuild budget
};

using divergence_ptr = std::shared_ptr<divergence>;

/// Percent of a branch's turns that rebuilt with every hash right (see
/// docs/conflicts.md); an empty branch has nothing wrong with it.
std::int64_t integrity_score(std::int64_t verified, std::int64_t total) {
  return total <= 0 ? 100 : verified * 100 / total;
}

bool server_intact(const divergence& d) {
  return d.server.verified_turns == d.server.branch_turns;
}

core::conflict_report report_of(const divergence& d,
                                const std::string& save_id) {
  const auto& r = d.ruling;
  core::conflict_report report;
  report.conflict_id = d.conflict_id;
  report.save_id = save_id;
  report.fork_turn = d.fork.turn_id;
  report.strategy = d.strategy;
  report.server = {
    d.server_head.turn_id, d.server_head.chain_hash, d.server.device_id,
    integrity_score(d.server.verified_turns, d.server.branch_turns)};
  // Every client turn was rebuilt and its hashes checked on arrival: a bad
  // one fails the whole request before it gets here.
  report.client = {
    d.client.head.turn_id, d.client.head.chain_hash, d.device_id,
    integrity_score(static_cast<std::int64_t>(d.client.stored.size()),
                    d.client.head.turn_id - d.fork.turn_id)};
  report.chosen = r.chosen;
  report.archive_id = d.archive_id;
  report.reason = r.reason;
  report.conflicting_paths = r.conflicting_paths;
  report.conflicting_paths_total = r.conflicting_paths_total;
  return report;
}

/// The merged state as one turn on the head, or nothing when the merge
/// changed nothing of the head.
caf::expected<std::optional<encoded_branch>>
merged_turn(save_state& st, const std::string& merged, const sync_work& work) {
  if (st.head_state && merged == st.head_state->canonical)
    return std::optional<encoded_branch>{};
  auto value = nlohmann::json::parse(merged, nullptr, false);
  if (value.is_discarded())
    return make_save_error(save_errc::integrity_failure,
                           "the merged state does not parse");
  std::string patch;
  if (st.head_state)
    if (auto before = st.head_state->parsed(); before)
      patch = core::canonicalize(core::diff(**before, value));
  core::incoming_turn turn;
  turn.turn_id = st.info.head.turn_id + 1;
  turn.state = merged;
  std::vector<core::incoming_turn> turns;
  turns.push_back(std::move(turn));
  auto base = st.head_state;
  // The server made the merged turn: it names no device.
  auto branch = encode_branch(st, st.info.head, base ? &*base : nullptr,
                              st.base_turn, std::move(turns), false, work, {});
  if (!branch)
    return branch.error();
  // Pushed as a patch where that is smaller than the state.
  auto& wire = branch->wire.front();
  if (!patch.empty() && patch.size() < wire.body.size()) {
    wire.full_state = false;
    wire.body = std::move(patch);
  }
  return std::optional<encoded_branch>{std::move(*branch)};
}

/// Rebuilds `turns` from `start` (state `start_state`) and checks every
/// hash: the head chain a ruling produces is verified before it commits.
/// Each state rebuilt is charged to `work`'s budget; past its deadline the
/// next turn is not started.
caf::error verify_segment(const save_state& st, const core::chain_head& start,
                          std::optional<core::state_image> start_state,
                          const std::vector<core::stored_turn>& turns,
                          const char* what, const sync_work& work) {
  core::chain_verifier verifier{start, std::move(start_state), *st.ctx->keys,
                                st.ctx->options.max_state_bytes};
  for (const auto& turn : turns) {
    if (auto late = work.check())
      return late;
    if (!verifier.feed(turn, true))
      return make_save_error(
        save_errc::integrity_failure,
        std::string{what} + " does not verify: " + verifier.errors().front());
    const auto* rebuilt = verifier.last_state();
    if (auto* budget = work.rebuild();
        budget != nullptr && rebuilt != nullptr &&
        !budget->charge(rebuilt->canonical.size()))
      return make_save_error(
        save_errc::payload_too_large,
        "checking " + std::string{what} + " would rebuild more than " +
          std::to_string(budget->limit()) +
          " bytes of states for this request, the limit; split the sync up "
          "into smaller batches (fewer turns per request)");
  }
  return {};
}

std::optional<core::state_image> image_of(const std::string& canonical) {
  if (canonical.empty())
    return std::nullopt;
  return core::state_image{canonical, {}};
}

/// Commits the ruling and answers.
void commit_ruling(save_pointer self, divergence_ptr d, sync_up_promise rp) {
  auto& st = self->state;
  const auto& r = d->ruling;
  persistence::branch_change change;
  change.save_id = st.save_id;
  change.expected_head = st.info.head;
  change.keep_through = st.info.head.turn_id;
  sync_up_reply reply;
  // Without a decision made here, the device hears 409 conflict_manual.
  auto report = report_of(*d, st.save_id);
  reply.status = report.needs_decision() ? sync_up_status::conflict_manual
                                         : sync_up_status::resolved;
  reply.base = st.info.head;
  reply.accepted = d->matched;
  std::optional<head_adoption> adopt;
  auto* archived = &d->client.stored;
  if (r.chosen == core::branch_choice::client) {
    // Both the new head chain and the archive of the turns it replaces
    // are rebuilt and checked before anything is written.
    auto err = verify_segment(st, d->fork, image_of(d->fork_state),
                              d->client.stored, "the new head chain", d->work);
    if (!err)
      // The server branch is the save's, not this request's: only the
      // deadline bounds its check (a smaller request would not help).
      err = verify_segment(st, d->fork, image_of(d->fork_state),
                           d->server.turns, "the archive of the server branch",
                           sync_work{d->work.now, d->work.deadline, nullptr});
    if (err) {
      rp.deliver(std::move(err));
      return;
    }
    change.keep_through = d->fork.turn_id;
    change.new_turns = d->client.stored;
    archived = &d->server.turns;
    reply.base = d->fork;
    reply.appended = d->client.wire;
    for (const auto& t : d->client.wire)
      reply.accepted.push_back(t.turn_id);
    adopt = head_adoption{std::move(*d->client.state), d->client.state_hash,
                          change.new_turns.back().base_turn};
  } else if (r.chosen == core::branch_choice::merged) {
    auto merged = merged_turn(st, r.merged_state, d->work);
    if (!merged) {
      rp.deliver(std::move(merged.error()));
      return;
    }
    if (*merged) {
      auto& turn = **merged;
      if (auto err = verify_segment(
            st, st.info.head,
            image_of(st.head_state ? st.head_state->canonical : std::string{}),
            turn.stored, "the merged turn", d->work)) {
        rp.deliver(std::move(err));
        return;
      }
      change.new_turns = turn.stored;
      reply.appended = std::move(turn.wire);
      adopt = head_adoption{std::move(*turn.state), turn.state_hash,
                            change.new_turns.back().base_turn};
    }
  }
  nlohmann::json meta{{"conflict_id", d->conflict_id},
                      {"branch", report.archived_branch()},
                      {"device_id", d->device_id.empty()
                                      ? nlohmann::json(nullptr)
                                      : nlohmann::json(d->device_id)},
                      {"strategy", d->strategy}};
  change.archive =
    persistence::archive_record{d->archive_id,
                                st.save_id,
                                "conflict",
                                meta.dump(),
                                d->fork.turn_id,
                                static_cast<std::int64_t>(archived->size()),
                                0};
  change.archive_turns = std::move(*archived);
  change.not_after = d->work.deadline;
  change.conflict =
    persistence::conflict_record{d->conflict_id,
                                 st.save_id,
                                 d->fork.turn_id,
                                 d->strategy,
                                 r.reason,
                                 std::string{core::to_string(r.chosen)},
                                 d->archive_id,
                                 r.conflicting_paths_total,
                                 d->device_id,
                                 core::to_json(report).dump(),
                                 0};
  sync_caller who{d->user_id_hash, d->device_id};
  change.audits.push_back(conflict_audit(who, report));
  if (reply.status == sync_up_status::resolved)
    change.audits.push_back(sync_up_audit(
      st.save_id, who, reply.status, reply.accepted.size(),
      change.new_turns.empty() ? change.keep_through
                               : change.new_turns.back().turn_id));
  reply.conflict = std::move(report);
  settle_head(self, std::move(change), std::move(adopt),
              answer_with_head(rp, std::move(reply)));
}

/// Re-reads the server branch encoded for its archive (only a winning client
/// branch needs it), then commits.
void archive_server_branch(save_pointer self, divergence_ptr d,
                           sync_up_promise rp) {
  auto& st = self->state;
  self
    ->request(st.reader, caf::infinite, copy_atom_v, st.save_id,
              d->fork.turn_id, d->server_head.turn_id, true,
              request_scope{d->work.deadline, {}})
    .await(
      [=](branch_copy& copy) mutable {
        if (copy.verified_turns != d->server.branch_turns) {
          rp.deliver(make_save_error(
            save_errc::integrity_failure,
            "the server branch no longer verifies when read for its archive"));
          return;
        }
        d->server = std::move(copy);
        commit_ruling(self, d, rp);
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

/// Asks the arbiter, then commits its ruling.
void arbitrate(save_pointer self, divergence_ptr d, sync_up_promise rp) {
  auto& st = self->state;
  conflict_case c{st.save_id,
                  d->strategy,
                  d->confirm_regression,
                  d->fork.turn_id,
                  d->fork_state,
                  d->server_head.turn_id,
                  st.head_state ? st.head_state->canonical : std::string{},
                  d->client.head.turn_id,
                  d->client.state ? d->client.state->canonical
                                  : std::string{"null"}};
  self->request(st.arbiter, caf::infinite, arbitrate_atom_v, std::move(c))
    .await(
      [=](conflict_ruling& ruling) mutable {
        d->ruling = std::move(ruling);
        if (d->ruling.chosen != core::branch_choice::client) {
          commit_ruling(self, d, rp);
          return;
        }
        // A damaged server branch is never thrown out of the head chain:
        // nothing could rebuild it from its archive. A person decides.
        if (!server_intact(*d)) {
          d->ruling = {
            core::branch_choice::server, "integrity_guard", {}, {}, 0};
          commit_ruling(self, d, rp);
          return;
        }
        archive_server_branch(self, d, rp);
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

} // namespace

void settle_divergence(save_pointer self, const sync_up_request& req,
                       const core::chain_head& fork,
                       const core::state_image* fork_state,
                       std::vector<core::incoming_turn> turns,
                       sync_up_promise rp, sync_work work) {
  auto& st = self->state;
  auto d = std::make_shared<divergence>();
  d->work = std::move(work);
  for (auto id = req.base.turn_id + 1; id <= fork.turn_id; ++id)
    d->matched.push_back(id);
  d->device_id = req.device_id;
  d->user_id_hash = req.user_id_hash;
  d->strategy = req.strategy;
  d->confirm_regression = req.confirm_regression;
  d->fork = fork;
  d->server_head = st.info.head;
  std::optional<core::state_image> start;
  if (fork_state != nullptr) {
    d->fork_state = fork_state->canonical;
    start = core::state_image{fork_state->canonical, {}};
  }
  // Stored whole from its first turn, the client's branch can be archived
  // or become the head chain as it is.
  auto client = encode_branch(st, fork, start ? &*start : nullptr, 0,
                              std::move(turns), true, d->work, req.device_id);
  if (!client) {
    rp.deliver(std::move(client.error()));
    return;
  }
  d->client = std::move(*client);
  self
    ->request(st.reader, caf::infinite, copy_atom_v, st.save_id, fork.turn_id,
              st.info.head.turn_id, false, request_scope{d->work.deadline, {}})
    .await(
      [=](branch_copy& copy) mutable {
        d->server = std::move(copy);
        arbitrate(self, d, rp);
      },
      [=](caf::error& err) mutable { rp.deliver(std::move(err)); });
}

} // namespace awf::actors
