// Per-user admission of expensive operations: the reads that rebuild many
// stored turns (a full verify, a materialize of a stored turn or an archive,
// a restore; an export when it comes). At most `max_concurrent` run at once
// per user, and a per-user token bucket bounds their rate, so one user
// cannot keep the storage readers busy for everyone else. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/rate_limiter.hpp"

namespace awf::net {

/// The per-user bounds (CLOUD_SYNC_USER_EXPENSIVE_*).
struct expensive_limits {
  std::size_t max_concurrent = 2; ///< at once per user; 0: unlimited
  double rate_per_s = 2.0;        ///< average per user; <= 0: unlimited
  double burst = 60.0;            ///< taken at once above the rate
};

class expensive_work_limiter;

/// Proof that one expensive operation was admitted. Copies share it; the
/// slot is given back by `release()` or when the last copy (or share())
/// goes, whichever comes first (and only once). Release when the engine
/// answered; when the wait for it ran out, let the engine's share go with
/// the work, so the bound holds on work that really runs.
class work_ticket {
public:
  work_ticket() = default;

  /// Gives the slot back now (an answer is ready); later calls do nothing.
  void release() noexcept;

  /// True while the slot is held.
  bool held() const noexcept;

  /// A share of the ticket for the work itself (the engine keeps it while
  /// it works): the slot is not given back while any share lives, unless
  /// release() is called. nullptr for an empty ticket.
  std::shared_ptr<const void> share() const noexcept { return hold_; }

private:
  friend class expensive_work_limiter;

  struct hold {
    expensive_work_limiter* owner;
    std::string user;
    std::atomic<bool> released{false};
    ~hold();
    void give_back() noexcept;
  };

  std::shared_ptr<hold> hold_;
};

/// The answer to an admission: a ticket, or how long to wait.
struct admission {
  work_ticket ticket;    ///< held when admitted
  int retry_after_s = 0; ///< > 0 when refused: seconds for Retry-After
  bool admitted() const noexcept { return retry_after_s == 0; }
};

class expensive_work_limiter {
public:
  using clock_type = rate_limiter::clock_type;

  explicit expensive_work_limiter(expensive_limits limits = {});

  /// Changes the limits (before serving).
  void configure(expensive_limits limits);

  /// Admits one expensive operation of `user`, or refuses it: over
  /// `max_concurrent` operations in flight (Retry-After 1, no token taken),
  /// or with the user's bucket empty (Retry-After until the next token).
  admission admit(const std::string& user,
                  clock_type::time_point now = clock_type::now());

  /// Operations of `user` admitted and not yet released.
  std::size_t in_flight(const std::string& user) const;

  expensive_limits limits() const;

private:
  friend struct work_ticket::hold;

  void release(const std::string& user) noexcept;

  mutable std::mutex mutex_;
  expensive_limits limits_;
  /// Users with operations in flight (an entry goes at zero).
  std::unordered_map<std::string, std::size_t> running_;
  rate_limiter bucket_;
};

} // namespace awf::net
