// ServerPool, part two: what the janitor and the shared caps ask of a pool — idle reaping (a
// reload's lowered caps included), min_pool_size refills, and the fair-share turns between pools
// under one cap.
#include "sluice/pool/server_pool.hpp"

#include <spdlog/spdlog.h>

#include <vector>

namespace sluice::pool {

// A reload lowered max_db_connections or max_user_connections below the backends open: idle
// ones close (the caps count them) rather than serve beyond the new limit.
int ServerPool::drop_idle_over_caps_locked() {
  int dropped = 0;
  while (!idle_.empty() && (database_cap_->over_limit() || user_cap_->over_limit())) {
    remove_locked(idle_.back().get(), CloseReason::pool_shrunk);
    ++dropped;
  }
  return dropped;
}

void ServerPool::sweep(TimePoint now) {
  std::vector<std::unique_ptr<ServerConnection>> closing;
  bool dropped_dead = false;
  {
    std::lock_guard lock(mutex_);
    // A backend that died while idle (pg_terminate_backend, server restart) is closed now,
    // not when a client next asks for one: SHOW SERVERS and the counts stay true.
    dropped_dead = drop_dead_idle_locked() > 0;
    const auto idle_timeout = settings_.server_idle_timeout;
    // Least recently used sit at the back of idle_.
    while (!idle_.empty()) {
      auto* oldest = idle_.back().get();
      const auto total = connecting_.size() + idle_.size() + active_.size();
      const bool too_old = now >= oldest->expires_at_;
      const bool idle_too_long = idle_timeout.count() > 0 && now - oldest->last_used_at_ >= idle_timeout &&
                                 static_cast<int>(total) > settings_.min_pool_size;
      if (!too_old && !idle_too_long) break;
      closing.push_back(remove_locked(oldest, too_old ? CloseReason::server_lifetime : CloseReason::server_idle_timeout));
    }
    // A reload lowered pool_size: idle backends above what the pool may hold close now, not one
    // per later release.
    const auto most = static_cast<std::size_t>(settings_.pool_size) + static_cast<std::size_t>(settings_.reserve_pool_size);
    while (settings_.pool_size > 0 && !idle_.empty() && connecting_.size() + idle_.size() + active_.size() > most) {
      closing.push_back(remove_locked(idle_.back().get(), CloseReason::pool_shrunk));
    }
  }
  for (auto& connection : closing) connection->say_goodbye();
  if (!closing.empty() || dropped_dead) notify_caps();
}

void ServerPool::notify_caps() {
  database_cap_->wake_next(this);
  user_cap_->wake_next(this);
}

void ServerPool::cap_slot_freed() {
  bool more_waiting = false;
  {
    std::lock_guard lock(mutex_);
    if (waiters_.empty()) return;
    wake_one_locked();
    more_waiting = !waiters_.empty();
  }
  if (more_waiting) {
    database_cap_->block(shared_from_this());
    user_cap_->block(shared_from_this());
  }
}

bool ServerPool::close_one_idle() {
  std::unique_ptr<ServerConnection> closing;
  {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return false;
    closing = remove_locked(idle_.back().get(), CloseReason::fair_share);
  }
  closing->say_goodbye();
  notify_caps();
  return true;
}

bool ServerPool::below_minimum() const {
  std::lock_guard lock(mutex_);
  const auto total = static_cast<int>(connecting_.size() + idle_.size() + active_.size());
  return !filling_ && !closed_ && !paused_ && total < settings_.min_pool_size && Clock::now() >= login_retry_until_;
}

// min_pool_size: backends opened ahead of demand, so the first clients do not pay for them.
awaitable<void> ServerPool::fill_to_minimum(WorkerExecutor executor) {
  {
    std::lock_guard lock(mutex_);
    if (filling_) co_return;
    filling_ = true;
  }
  for (;;) {
    ServerConnection* connection = nullptr;
    {
      std::lock_guard lock(mutex_);
      const auto total = static_cast<int>(connecting_.size() + idle_.size() + active_.size());
      ConnectionCap* blocking_cap = nullptr;
      if (closed_ || paused_ || total >= settings_.min_pool_size || Clock::now() < login_retry_until_ ||
          !may_open_locked(false, blocking_cap)) {
        filling_ = false;
        break;
      }
      connection = start_opening_locked(executor);
    }
    auto lease = co_await open_new(connection);
    if (!lease) continue;  // login_retry_until_ now stops the loop
    lease->release();
  }
}

}  // namespace sluice::pool
