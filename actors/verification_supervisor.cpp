#include "actors/verification_supervisor.hpp"

#include <memory>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace awf::actors {

namespace {

struct verification_state {
  engine_context_ptr ctx;
  std::vector<storage_reader_actor> readers;
  bool sweeping = false;

  static inline const char* name = "verification_supervisor";
};

using verification_pointer =
  verification_actor::stateful_pointer<verification_state>;

// Verifies the sampled saves one after another (spread over the readers),
// then hands the report to `done`.
struct sweep_run : std::enable_shared_from_this<sweep_run> {
  verification_pointer self;
  std::vector<std::string> ids;
  std::size_t next = 0;
  sweep_report report;
  std::function<void(sweep_report)> done;

  void step() {
    if (next == ids.size()) {
      done(std::move(report));
      return;
    }
    auto& readers = self->state.readers;
    const auto& save_id = ids[next];
    const auto& reader = readers[next % readers.size()];
    ++next;
    auto run = shared_from_this();
    self
      ->request(reader, caf::infinite, verify_atom_v, save_id, true,
                request_scope{})
      .then(
        [run](const verify_report& r) {
          if (r.ok)
            ++run->report.verified_ok;
          else
            run->report.failed_save_ids.push_back(r.save_id);
          run->step();
        },
        [run](caf::error&) {
          ++run->report.errors;
          run->step();
        });
  }
};

void start_sweep(verification_pointer self, double percent,
                 std::function<void(sweep_report)> done) {
  const auto& reader = self->state.readers.front();
  self->request(reader, caf::infinite, sample_atom_v, percent)
    .then(
      [self, done](std::vector<std::string>& ids) {
        auto run = std::make_shared<sweep_run>();
        run->self = self;
        run->report.sampled = ids.size();
        run->ids = std::move(ids);
        run->done = done;
        run->step();
      },
      [done](caf::error&) {
        sweep_report failed;
        failed.errors = 1;
        done(std::move(failed));
      });
}

verification_actor::behavior_type
verification_behavior(verification_pointer self, engine_context_ptr context,
                      std::vector<storage_reader_actor> readers,
                      bool periodic) {
  self->state.ctx = std::move(context);
  self->state.readers = std::move(readers);
  auto interval = self->state.ctx->options.verify_interval;
  if (periodic)
    self->delayed_send(self, interval, tick_atom_v);
  return {
    [=](sweep_atom, double percent) -> caf::result<sweep_report> {
      auto rp = self->make_response_promise<sweep_report>();
      start_sweep(self, percent,
                  [rp](sweep_report r) mutable { rp.deliver(std::move(r)); });
      return rp;
    },
    [=](tick_atom) {
      // One sweep at a time: a slow sweep delays the next, never piles up.
      if (self->state.sweeping)
        return;
      self->state.sweeping = true;
      start_sweep(self, self->state.ctx->options.verify_sample_pct,
                  [self, interval](const sweep_report&) {
                    self->state.sweeping = false;
                    self->delayed_send(self, interval, tick_atom_v);
                  });
    },
  };
}

} // namespace

verification_actor spawn_verification_supervisor(
  caf::actor_system& sys, engine_context_ptr context,
  std::vector<storage_reader_actor> readers, bool periodic) {
  return sys.spawn(verification_behavior, std::move(context),
                   std::move(readers), periodic);
}

} // namespace awf::actors
