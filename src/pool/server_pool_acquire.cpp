// ServerPool, the way in: a client's lease. The fast path (an idle backend, nobody queued),
// the queue and its wait, and opening a new backend when a slot is free.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <tuple>

#include "server_pool_waiter.hpp"
#include "sluice/pool/server_pool.hpp"

namespace sluice::pool {

void ServerPool::WaitTicket::abandon() {
  if (waiter_) {
    waiter_->abandoned = true;
    waiter_->timer.cancel();
  }
}

// The ticket's entry again when nothing else holds it (not queued, no wake-up in flight from
// another worker), else a fresh one.
std::shared_ptr<ServerPool::Waiter> ServerPool::waiter_for(const WorkerExecutor& session_executor, WaitTicket* ticket) {
  if (ticket == nullptr) return std::make_shared<Waiter>(session_executor);
  auto& kept = ticket->waiter_;
  if (kept && kept.use_count() == 1 && kept->timer.get_executor() == session_executor) {
    kept->reuse();
  } else {
    kept = std::make_shared<Waiter>(session_executor);
  }
  return kept;
}

awaitable<Expected<Lease>> ServerPool::acquire(WorkerExecutor session_executor, WaitTicket* ticket, bool tried_now) {
  if (!tried_now) {
    if (auto lease = try_acquire_now(session_executor)) co_return std::move(*lease);
  }
  const auto waiter = waiter_for(session_executor, ticket);
  TimePoint deadline = TimePoint::max();
  TimePoint reserve_at = TimePoint::max();
  for (bool first = true;; first = false) {
    ServerConnection* connection = nullptr;
    ConnectionCap* blocking_cap = nullptr;
    Attempt attempt;
    Failure refusal;
    bool needs_check = false;
    bool freed_slots = false;
    TimePoint retry_at = TimePoint::max();  // queued inside server_login_retry: try a login when it ends
    {
      std::lock_guard lock(mutex_);
      const auto now = Clock::now();
      if (first) std::tie(deadline, reserve_at) = wait_limits_locked(waiter->since);
      waiter->may_use_reserve = now >= reserve_at;
      attempt = try_lease_locked(waiter, connection, blocking_cap, freed_slots);
      if (attempt == Attempt::queued && now < login_retry_until_) retry_at = login_retry_until_;
      if (attempt == Attempt::refused) refusal = closed_ ? *closed_ : last_login_failure_;
      const auto check_delay = settings_.server_check_delay;
      needs_check = attempt == Attempt::leased && check_delay.count() > 0 && now - connection->last_used_at_ >= check_delay;
    }
    if (freed_slots) notify_caps();
    if (blocking_cap) {
      blocking_cap->block(shared_from_this());
      blocking_cap->reclaim_idle_for(this);
    }
    if (attempt == Attempt::leased) {
      if (!moved_to_session(connection, session_executor)) continue;
      if (needs_check && !co_await connector_->check(*connection)) {
        give_back(connection, false, CloseReason::check_failed);
        continue;  // a dead backend is replaced; the client never sees it
      }
      co_return handed_out(waiter->since, connection);
    }
    if (attempt == Attempt::opening) {
      auto opened = co_await open_new(connection);
      if (opened) record_wait(waiter->since);
      co_return opened;
    }
    if (attempt == Attempt::refused) co_return refusal;

    waiter->timer.expires_at(std::min(waiter->may_use_reserve ? deadline : std::min(deadline, reserve_at), retry_at));
    if (!waiter->abandoned) co_await waiter->timer.async_wait(use_nothrow);
    {
      std::lock_guard lock(mutex_);
      if (waiter->queued) {
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), waiter));
        waiter->queued = false;
      }
      waiter->has_waited = true;
      connection = std::exchange(waiter->granted, nullptr);
    }
    if (connection && moved_to_session(connection, session_executor)) co_return handed_out(waiter->since, connection);
    if (waiter->abandoned) co_return Failure{"wait_abandoned", "", "stopped waiting for a server connection"};
    if (Clock::now() >= deadline) {
      co_return Failure{"query_wait_timeout", "", "query_wait_timeout"};
    }
  }
}

// The common case under load: an idle backend, fresh enough to need no check, and nobody
// queued ahead. No waiter, no timer, no wait to time.
std::optional<Lease> ServerPool::try_acquire_now(const WorkerExecutor& session_executor) {
  auto* connection = take_idle_fast(session_executor);
  if (connection == nullptr || !moved_to_session(connection, session_executor)) return std::nullopt;
  stats_.add(stats_.acquisitions, 1);
  return Lease(shared_from_this(), connection, false);
}

// The most recently used idle backend of the session's own I/O worker, else of any worker
// (moved to the session's worker by moved_to_session: two epoll_ctl calls). Its liveness peek
// is a system call, so it runs after the lock is dropped: a dead one is closed as a failed check
// and the caller takes the slow path.
ServerConnection* ServerPool::take_idle_fast(const WorkerExecutor& session_executor) {
  ServerConnection* connection = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (closed_ || paused_ || !waiters_.empty() || idle_.empty()) return nullptr;
    if (database_cap_->over_limit() || user_cap_->over_limit()) return nullptr;  // the slow path closes some
    auto same_worker = std::find_if(idle_.begin(), idle_.end(), [&](const auto& idle) {
      return idle->socket().get_executor() == session_executor;
    });
    connection = (same_worker != idle_.end() ? *same_worker : idle_.front()).get();
    const auto check_delay = settings_.server_check_delay;
    if (check_delay.count() > 0 && Clock::now() - connection->last_used_at_ >= check_delay) return nullptr;
    transition_locked(connection, ServerState::active);
  }
  if (connection->looks_alive()) return connection;
  give_back(connection, false, CloseReason::server_gone);
  return nullptr;
}

// An idle backend must have nothing to say: EOF (server restarted, network reset) or an
// unsolicited message (pg_terminate_backend's FATAL) means it is gone. One non-blocking
// peek per lease spares the client a stale connection.
int ServerPool::drop_dead_idle_locked() {
  int dropped = 0;
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto* connection = (it++)->get();
    if (connection->looks_alive()) continue;
    remove_locked(connection, CloseReason::server_gone);
    ++dropped;
  }
  if (dropped > 0) wake_one_locked();
  return dropped;
}

ServerPool::Attempt ServerPool::try_lease_locked(const std::shared_ptr<Waiter>& waiter, ServerConnection*& out,
                                                 ConnectionCap*& blocking_cap, bool& freed_slots) {
  if (closed_) return Attempt::refused;
  // Newcomers queue behind clients already waiting: arrival order within a pool.
  if (!paused_ && (waiters_.empty() || waiter->has_waited)) {
    if (drop_dead_idle_locked() > 0) freed_slots = true;
    if (drop_idle_over_caps_locked() > 0) freed_slots = true;
    if (!idle_.empty()) {
      out = idle_.front().get();
      transition_locked(out, ServerState::active);
      return Attempt::leased;
    }
    if (Clock::now() < login_retry_until_) {
      // A login failed lately: no new login until server_login_retry passes. With no backend
      // up, the client fails fast with that login's error (waiting would only end in the same);
      // with some up (the server refused one more, as at max_connections), it waits for one of
      // them, as PgBouncer's fast-fail does; when the last of those dies, all queued learn now.
      if (!has_established_locked()) {
        while (!waiters_.empty()) wake_one_locked();
        return Attempt::refused;
      }
    } else if (may_open_locked(waiter->may_use_reserve, blocking_cap)) {
      out = start_opening_locked(waiter->timer.get_executor());
      return Attempt::opening;
    }
  }
  waiter->queued = true;
  if (waiter->has_waited) {
    waiters_.push_front(waiter);
  } else {
    waiters_.push_back(waiter);
  }
  return Attempt::queued;
}

ServerConnection* ServerPool::start_opening_locked(WorkerExecutor executor) {
  auto connection = connector_->create(std::move(executor));
  connection->id_ = next_connection_id_++;
  connection->expires_at_ = lifetime_deadline(connection->created_at_);
  connection->generation_ = generation_;
  connecting_.push_front(std::move(connection));
  connecting_.front()->position_ = connecting_.begin();
  return connecting_.front().get();
}

// Takes a slot under pool_size (plus reserve_pool_size for a client that waited
// reserve_pool_timeout) and under the shared caps; remove_locked() gives it back.
bool ServerPool::may_open_locked(bool use_reserve, ConnectionCap*& blocking_cap) const {
  const auto total = static_cast<int>(connecting_.size() + idle_.size() + active_.size());
  const int limit = settings_.pool_size + (use_reserve ? settings_.reserve_pool_size : 0);
  if (total >= limit) return false;
  if (!database_cap_->try_take()) {
    blocking_cap = database_cap_.get();
    return false;
  }
  if (!user_cap_->try_take()) {
    database_cap_->give_back();
    blocking_cap = user_cap_.get();
    return false;
  }
  return true;
}

void ServerPool::record_wait(TimePoint since) {
  const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - since);
  stats_.add(stats_.wait_time_us, static_cast<std::uint64_t>(waited.count()));
  stats_.add(stats_.acquisitions, 1);
}

// A backend last used on another I/O worker follows the session to its worker; one whose
// socket cannot be moved is closed, and the caller looks for another.
bool ServerPool::moved_to_session(ServerConnection* connection, const WorkerExecutor& session_executor) {
  if (connection->move_to(session_executor)) return true;
  give_back(connection, false, CloseReason::not_reusable);
  return false;
}

Lease ServerPool::handed_out(TimePoint since, ServerConnection* connection) {
  record_wait(since);
  return Lease(shared_from_this(), connection, true);
}

awaitable<Expected<Lease>> ServerPool::open_new(ServerConnection* connection) {
  Status status = co_await connector_->open(*connection);
  tcp::endpoint endpoint;  // for SHOW SERVERS; read while only this coroutine uses the socket
  std::string tls;
  if (status.ok()) {
    error_code unknown;  // a test double without a socket: the endpoint stays empty
    endpoint = connection->socket().remote_endpoint(unknown);
    tls = connection->stream().tls_description();
  }
  std::unique_ptr<ServerConnection> failed;
  {
    std::lock_guard lock(mutex_);
    if (status.ok()) {
      stats_.add(stats_.servers_opened, 1);
      spdlog::info("server opened: database={} user={} id={}", key_.database, key_.user, connection->id_);
      connection->remote_endpoint_ = endpoint;
      connection->tls_ = std::move(tls);
      transition_locked(connection, ServerState::active);
    } else {
      stats_.add(stats_.server_connect_failures, 1);
      spdlog::warn("server login failed: database={} user={} reason={} ({})", key_.database, key_.user,
                   status.failure().reason, status.failure().message);
      login_retry_until_ = Clock::now() + settings_.server_login_retry;
      last_login_failure_ = status.failure();
      failed = remove_locked(connection, CloseReason::login_failed);
      // With no backend up, everyone queued learns at once that the server is unreachable;
      // with some, they wait for those.
      if (!has_established_locked()) {
        while (!waiters_.empty()) wake_one_locked();
      }
    }
  }
  if (!status.ok()) {
    notify_caps();
    co_return status.failure();
  }
  co_return Lease(shared_from_this(), connection);
}

}  // namespace sluice::pool
