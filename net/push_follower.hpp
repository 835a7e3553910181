// What one WebSocket connection knows about each save it follows: the head
// its client holds, the pushes that wait while a sync down runs, and when to
// catch up from the store instead of pushing. A plain class, driven by the
// session's events and answering through a port, so that its rules are
// tested without a socket; the session is the transport.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/chain.hpp"
#include "net/outgoing_frames.hpp"
#include "net/sync_api.hpp"

namespace awf::net {

struct push_event;

/// What a push_follower asks of its connection.
class follower_port {
public:
  virtual ~follower_port() = default;

  /// Nothing more can go out: a close has begun.
  virtual bool closing() const = 0;
  /// Messages still go out (open, and no close waits for the queue).
  virtual bool can_send() const = 0;
  /// Queues a push frame (shared with every subscriber of the save).
  virtual void send_push(const shared_frame& frame) = 0;
  /// Queues a catch-up: the sync down answer `out` as a "turns" message.
  virtual void send_catch_up(const std::string& save_id,
                             const api_outcome& out) = 0;
  /// Tells the client its subscription of `save_id` ended with `failure`.
  virtual void send_failure(const std::string& save_id,
                            api_outcome failure) = 0;
  /// Starts a sync down of `save_id` from `since`; its answer comes back
  /// through push_follower::fetched with `generation`. False when the
  /// connection no longer starts work (closing or shutting down).
  virtual bool fetch(const std::string& save_id, const core::chain_head& since,
                     std::uint64_t generation) = 0;
  /// A catch-up page (as large as a message) fits in the queue now.
  virtual bool room_for_page() const = 0;
  /// Calls push_follower::retry_stale in about `seconds` (once while armed).
  virtual void retry_later(int seconds) = 0;
  /// Starts or stops receiving pushes of `save_id`.
  virtual void follow(const std::string& save_id) = 0;
  virtual void unfollow(const std::string& save_id) = 0;
};

class push_follower {
public:
  /// Pushes kept per save while a sync down for it runs; past that they are
  /// dropped and one more sync down catches up instead.
  static constexpr std::size_t max_waiting_pushes = 32;
  /// Chain hashes remembered per save (see subscription::recent).
  static constexpr std::size_t max_recent = 64;

  explicit push_follower(follower_port& port) : port_(port) {}

  /// Starts (or restarts) following `save_id`; the caller runs the sync
  /// down the client asked for and reports it with `answered` or `refused`
  /// under the returned generation. Pushes that come meanwhile wait and are
  /// checked against its answer, so none is lost.
  std::uint64_t subscribe(const std::string& save_id);

  /// The subscribe's sync down answered `body`. False when the body names
  /// no head: the subscription is dropped and the caller says so.
  bool answered(const std::string& save_id, std::uint64_t generation,
                const nlohmann::json& body);

  /// The subscribe's sync down failed with `status`. A refused (429, 5xx)
  /// re-subscribe leaves a working subscription as it was; anything else
  /// ends the subscription.
  void refused(const std::string& save_id, std::uint64_t generation, int status,
               int retry_after_s);

  /// Stops following `save_id` (nothing when not followed).
  void unsubscribe(const std::string& save_id);

  /// A push of another connection's change.
  void push(std::shared_ptr<const push_event> event);

  /// This connection's own sync up of `save_id` did `effect` (it gets no
  /// push of it).
  void own_sync(const std::string& save_id, const sync_up_effect& effect);

  /// A catch-up sync down answered `out`.
  void fetched(const std::string& save_id, std::uint64_t generation,
               const api_outcome& out);

  /// Runs the catch-ups that failed for want of capacity (see retry_later).
  void retry_stale();

  /// Catch-up pages wait for room in the queue.
  bool has_deferred_pages() const noexcept { return !deferred_pages_.empty(); }
  /// Fetches the pages that waited for room.
  void run_deferred_pages();

  /// The saves followed.
  std::vector<std::string> saves() const;

  /// The head the client of `save_id` holds as far as this follower knows
  /// (turn 0 and an empty hash when not followed).
  core::chain_head known(const std::string& save_id) const;

private:
  struct subscription {
    core::chain_head known;       ///< the head the client holds
    std::uint64_t generation = 0; ///< which (re)subscribe this state is from
    bool fetching = false;        ///< a sync down for it is running
    bool refetch = false;         ///< run one more sync down after it
    bool stale = false;           ///< a sync down failed; retry_stale runs it
    /// The first subscribe's sync down answered: the subscription works.
    bool answered = false;
    /// A re-subscribe dropped work (a running fetch, waiting pushes): if it
    /// is refused, one catch-up makes up for it.
    bool catch_up_if_refused = false;
    /// Its next page waits for room in the queue (see fetch_next_page).
    bool deferred = false;
    /// Pushes that came while a sync down ran.
    std::deque<std::shared_ptr<const push_event>> waiting;
    /// Chain hashes of the last turns the client was given: a push whose
    /// head is one of them was already delivered (by a catch-up).
    std::deque<std::string> recent;
  };
  using subscription_map = std::map<std::string, subscription, std::less<>>;

  void apply_push(const std::string& save_id, subscription& sub,
                  const push_event& event);
  void check_waiting(const std::string& save_id);
  void fetch(const std::string& save_id, subscription& sub);
  void fetch_next_page(const std::string& save_id, subscription& sub);
  bool adopt(subscription& sub, const nlohmann::json& body);
  void drop(subscription_map::iterator it);

  follower_port& port_;
  subscription_map subs_;
  std::uint64_t next_generation_ = 0;
  /// Saves whose next catch-up page waits for room.
  std::vector<std::string> deferred_pages_;
};

} // namespace awf::net
