#pragma once
// The protocol-neutral decisions of one client's session, sans-I/O: when its backend may go
// back to the pool, what a stop request or a tripped limit does, and how a leaving client's
// backend is settled. The I/O shell (the session coroutines) acts on the answers; the front
// end of each protocol describes the backend's state as a WorkState. Unit tests drive this
// with no sockets.
#include <memory>
#include <optional>

#include "sluice/config/proxy_config.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/pool/server_pool.hpp"
#include "sluice/session/session_clock.hpp"

namespace sluice::session {

// What the front end knows of the backend's state for this client.
struct WorkState {
  bool statement_running = false;  // a request sent whose response has not fully come back
  bool in_transaction = false;     // the backend is inside a transaction block
  bool partial = false;            // half a message relayed, or protocol state not yet synced
  // The client holds session state that cannot move to another backend (LISTEN, temporary
  // tables, ...): in transaction and statement mode it keeps this backend until it is gone.
  bool pinned = false;
  bool at_rest() const { return !statement_running && !in_transaction && !partial; }
};

// What to do with a leaving client's backend.
enum class SettlePlan {
  release,                  // clean: back to the pool (session mode runs server_reset_query first)
  roll_back_then_release,   // idle in a transaction: roll it back, then as release
  cancel_then_discard,      // a statement runs: cancel it, then close the backend
  discard,                  // state unknown (mid-message, or the server is gone): close it
};

struct TimeoutAction {
  enum class Kind { none, cancel_statement, stop } kind = Kind::none;
  std::optional<Failure> failure;  // for stop
};

class SessionCore {
 public:
  explicit SessionCore(config::PoolMode mode = config::PoolMode::transaction) : mode_(mode) {}

  void set_pool_mode(config::PoolMode mode) { mode_ = mode; }
  config::PoolMode pool_mode() const { return mode_; }

  // The backend this client holds, if any (release() or discard() it through lease()).
  void attach(pool::Lease lease) { lease_ = std::move(lease); }
  pool::Lease& lease() { return lease_; }
  const pool::Lease& lease() const { return lease_; }
  bool has_lease() const { return static_cast<bool>(lease_); }
  // A write to the backend is under way: the backend is not clean whatever the state says.
  void set_writing(bool writing) { writing_ = writing; }
  bool writing() const { return writing_; }

  // The session must end for `reason` (the first reason wins).
  void stop(Failure reason);
  const Failure* stop_reason() const { return stop_reason_.get(); }  // null until stop()
  bool stopping() const { return stop_reason_ != nullptr; }

  // Drain, KILL-after-transaction: true if the session should stop now; otherwise the stop
  // is kept until the backend is clean (see due_stop).
  bool request_stop(Failure reason, const WorkState& work);
  // A stop deferred by request_stop whose moment has come.
  std::optional<Failure> due_stop(const WorkState& work) const;

  // Idle, nothing in flight, no half-sent message, no stop pending: fit for another client.
  bool backend_clean(const WorkState& work) const { return work.at_rest() && !stop_reason_; }
  // The backend goes back to the pool now (never in session mode).
  bool may_release(const WorkState& work) const;
  // After a server response: what statement mode forbids.
  std::optional<Failure> check_pool_mode(const WorkState& work) const;

  // A limit the janitor found tripped, re-checked against the state now.
  TimeoutAction on_timeout(TimeoutKind kind, const WorkState& work) const;

  SettlePlan settle_plan(const WorkState& work) const;
  // In session mode a released backend runs server_reset_query first.
  bool reset_before_release() const { return mode_ == config::PoolMode::session; }

 private:
  // The client may be let go at once: no backend, or a session-mode backend at rest.
  bool idle_between_transactions(const WorkState& work) const;

  pool::Lease lease_;
  // Held by pointer: set once at the end of a session, and an idle client should cost little.
  std::unique_ptr<Failure> stop_reason_;
  std::unique_ptr<Failure> stop_after_transaction_;
  config::PoolMode mode_;  // after the pointers, with writing_: no padding between them
  bool writing_ = false;
};

}  // namespace sluice::session
