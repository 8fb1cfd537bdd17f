// ServerPool, the way out and the operator's hands: a backend given back (to the next queued
// client, to the idle list, or closed), settings and retargets from a reload, pause, reconnect,
// and what SHOW POOLS and SHOW SERVERS read. Leasing is in server_pool_acquire.cpp.
#include "sluice/pool/server_pool.hpp"

#include "server_pool_waiter.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <random>
#include <vector>

namespace sluice::pool {

const char* to_string(ServerState state) {
  switch (state) {
    case ServerState::connecting: return "connecting";
    case ServerState::idle: return "idle";
    case ServerState::active: return "active";
  }
  return "unknown";
}

// ---- ServerPool ----------------------------------------------------------------------

ServerPool::ServerPool(PoolKey key, std::shared_ptr<ServerConnector> connector,
                       config::PoolSettings settings, std::shared_ptr<ConnectionCap> database_cap,
                       std::shared_ptr<ConnectionCap> user_cap)
    : key_(std::move(key)),
      connector_(std::move(connector)),
      database_cap_(std::move(database_cap)),
      user_cap_(std::move(user_cap)),
      settings_(std::move(settings)) {}

ServerPool::~ServerPool() = default;

void ServerPool::give_back(ServerConnection* connection, bool reusable, CloseReason if_not_reusable) {
  std::unique_ptr<ServerConnection> closing;
  bool still_waiting = false;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    connection->last_used_at_ = now;
    const auto total = connecting_.size() + idle_.size() + active_.size();
    std::optional<CloseReason> close_reason;
    if (!reusable) {
      close_reason = if_not_reusable;
    } else if (closed_) {
      close_reason = CloseReason::pool_closed;
    } else if (connection->generation_ != generation_) {
      close_reason = retired_reason_;
    } else if (now >= connection->expires_at_) {
      close_reason = CloseReason::server_lifetime;
    } else if (static_cast<int>(total) > settings_.pool_size || database_cap_->over_limit() ||
               user_cap_->over_limit()) {
      close_reason = CloseReason::pool_shrunk;  // pool_size or a shared cap lowered by a reload
    } else if (database_cap_->over_fair_share(this, total) || user_cap_->over_fair_share(this, total)) {
      close_reason = CloseReason::fair_share;
    }
    if (close_reason) {
      closing = remove_locked(connection, *close_reason);
      // The freed slot is another pool's turn under fair share; otherwise ours.
      if (close_reason != CloseReason::fair_share) wake_one_locked();
      still_waiting = close_reason == CloseReason::fair_share && !waiters_.empty();
    } else if (!waiters_.empty() && !paused_) {
      // Hand over directly: the backend stays active.
      auto waiter = take_waiter_for_locked(*connection);
      waiter->queued = false;
      waiter->granted = connection;
      waiter->wake();
    } else {
      transition_locked(connection, ServerState::idle);
    }
  }
  if (!closing) return;
  closing->say_goodbye();
  if (still_waiting) {
    // Our own clients wait too: queue for the next turn.
    database_cap_->block(shared_from_this());
    user_cap_->block(shared_from_this());
  }
  notify_caps();
}

void ServerPool::update_settings(const config::PoolSettings& settings) {
  std::lock_guard lock(mutex_);
  const int grown = settings.pool_size - settings_.pool_size;
  const bool lifetime_changed = settings.server_lifetime != settings_.server_lifetime;
  settings_ = settings;
  session_state_policy_.store(settings.session_state, std::memory_order_relaxed);
  // A reload is when an operator has fixed what made a login fail (a password, a host): the
  // next client tries again at once instead of getting the old failure until server_login_retry.
  login_retry_until_ = TimePoint::min();
  if (lifetime_changed) {  // open backends recycle by the new server_lifetime, as new ones will
    for (auto* list : {&connecting_, &idle_, &active_}) {
      for (auto& connection : *list) connection->expires_at_ = lifetime_deadline(connection->created_at_);
    }
  }
  settings_version_.fetch_add(1, std::memory_order_release);
  for (int i = 0; i < grown && !waiters_.empty(); ++i) wake_one_locked();
}

config::PoolSettings ServerPool::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

PoolCounts ServerPool::counts() const {
  std::lock_guard lock(mutex_);
  PoolCounts counts;
  counts.connecting = static_cast<int>(connecting_.size());
  counts.idle = static_cast<int>(idle_.size());
  counts.active = static_cast<int>(active_.size());
  counts.waiting = static_cast<int>(waiters_.size());
  for (const auto& waiter : waiters_) counts.oldest_wait_since = std::min(counts.oldest_wait_since, waiter->since);
  return counts;
}

bool ServerPool::saturated() const {
  std::lock_guard lock(mutex_);
  if (!idle_.empty()) return false;
  const auto in_use = connecting_.size() + active_.size();
  return !waiters_.empty() || in_use >= static_cast<std::size_t>(settings_.pool_size);
}

std::vector<ServerInfo> ServerPool::servers() const {
  std::lock_guard lock(mutex_);
  std::vector<ServerInfo> servers;
  servers.reserve(connecting_.size() + idle_.size() + active_.size());
  for (const auto* list : {&connecting_, &idle_, &active_}) {
    for (const auto& connection : *list) {
      const bool logged_in = connection->state_ != ServerState::connecting;
      servers.push_back(ServerInfo{connection->id_, connection->state_, connection->created_at_,
                                   connection->last_used_at_, connection->generation_ != generation_,
                                   logged_in ? connection->remote_process_id() : 0,
                                   logged_in ? connection->remote_endpoint_ : tcp::endpoint{},
                                   connection->prepared_statements(), logged_in ? connection->tls_ : std::string()});
    }
  }
  return servers;
}

void ServerPool::pause() {
  std::lock_guard lock(mutex_);
  paused_ = true;
}

void ServerPool::resume() {
  std::lock_guard lock(mutex_);
  paused_ = false;
  while (!waiters_.empty()) wake_one_locked();
}

bool ServerPool::paused() const {
  std::lock_guard lock(mutex_);
  return paused_;
}

void ServerPool::reconnect() { retire_open_backends(CloseReason::reconnect); }

void ServerPool::close_while_paused() { retire_open_backends(CloseReason::paused); }

void ServerPool::retarget(const ServerConnector& fresh) {
  // The connector switches first, the generation after. A backend stamped with the new
  // generation (start_opening_locked) reads the target later, in open(), so it always opens
  // on the new one; one stamped before may open on either and is recycled all the same.
  const auto change = connector_->retarget(fresh);
  if (!change.backend) return;
  spdlog::info("backend target changed: database={} user={} ({}); open backends are recycled", key_.database,
               key_.user, change.summary);
  retire_open_backends(CloseReason::target_changed);
}

// A new generation: idle backends close now, in the same critical section so none is handed
// out in between; leased ones close when they come back (give_back), never under a client.
void ServerPool::retire_open_backends(CloseReason reason) {
  std::vector<std::unique_ptr<ServerConnection>> closing;
  {
    std::lock_guard lock(mutex_);
    ++generation_;
    retired_reason_ = reason;
    login_retry_until_ = TimePoint::min();  // RECONNECT, or a new target: the old failure says nothing of it
    take_idle_locked(reason, closing);
  }
  finish_closing(closing);
}

void ServerPool::close_to_new_clients(Failure reason) {
  std::lock_guard lock(mutex_);
  closed_ = std::move(reason);
  while (!waiters_.empty()) wake_one_locked();
}

void ServerPool::reopen_to_new_clients() {
  std::lock_guard lock(mutex_);
  closed_.reset();
}

bool ServerPool::empty() const {
  const auto now = counts();
  return now.connecting + now.idle + now.active + now.waiting == 0;
}

void ServerPool::close_idle(CloseReason reason) {
  std::vector<std::unique_ptr<ServerConnection>> closing;
  {
    std::lock_guard lock(mutex_);
    take_idle_locked(reason, closing);
  }
  finish_closing(closing);
}

void ServerPool::take_idle_locked(CloseReason reason, std::vector<std::unique_ptr<ServerConnection>>& closing) {
  while (!idle_.empty()) closing.push_back(remove_locked(idle_.back().get(), reason));
}

// Outside the lock: Terminate to each, then the freed slots go to pools waiting under the caps.
void ServerPool::finish_closing(std::vector<std::unique_ptr<ServerConnection>>& closing) {
  for (auto& connection : closing) connection->say_goodbye();
  if (!closing.empty()) notify_caps();
}

ServerPool::ConnectionList& ServerPool::list_for(ServerState state) {
  switch (state) {
    case ServerState::connecting: return connecting_;
    case ServerState::idle: return idle_;
    case ServerState::active: return active_;
  }
  return active_;
}

// The only place a backend changes state: it moves to the front of the new state's list.
void ServerPool::transition_locked(ServerConnection* connection, ServerState to) {
  auto& from_list = list_for(connection->state_);
  auto& to_list = list_for(to);
  to_list.splice(to_list.begin(), from_list, connection->position_);
  connection->position_ = to_list.begin();
  connection->state_ = to;
}

std::unique_ptr<ServerConnection> ServerPool::remove_locked(ServerConnection* connection, CloseReason reason) {
  stats_.closed(reason);
  if (reason != CloseReason::login_failed) {
    const auto age = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - connection->created_at_);
    spdlog::info("server closed: database={} user={} id={} reason={} age={}s", key_.database, key_.user,
                 connection->id_, to_string(reason), age.count());
  }
  auto& list = list_for(connection->state_);
  auto owned = std::move(*connection->position_);
  list.erase(connection->position_);
  database_cap_->give_back();
  user_cap_->give_back();
  return owned;
}

// Backends recycle after server_lifetime, minus up to 10% jitter so they do not all
// reconnect at the same moment.
TimePoint ServerPool::lifetime_deadline(TimePoint now) const {
  const auto lifetime = settings_.server_lifetime;
  if (lifetime.count() <= 0) return TimePoint::max();
  thread_local std::minstd_rand jitter_source{std::random_device{}()};
  const auto jitter = std::uniform_int_distribution<long>(0, lifetime.count() / 10)(jitter_source);
  return now + lifetime - std::chrono::milliseconds(jitter);
}

}  // namespace sluice::pool
