#pragma once
// One pool of backend connections per (database, user). Protocol-agnostic: it deals in
// ServerConnections that a ServerConnector opens. All state changes happen under one
// short mutex in this class; sessions on any worker thread may call in.
#include <atomic>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sluice/config/proxy_config.hpp"
#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/pool/connection_cap.hpp"
#include "sluice/pool/pool_stats.hpp"
#include "sluice/pool/server_connection.hpp"

namespace sluice::pool {

class ServerPool;

// Exclusive use of one backend by one session. Dropping a Lease without release()
// closes the backend: a connection whose state is unknown is never reused.
class Lease {
 public:
  Lease() = default;
  // waited: the caller was suspended before it got the backend (queued, a new login, a health
  // check); false only on the fast path, an idle backend handed out at once.
  Lease(std::shared_ptr<ServerPool> pool, ServerConnection* connection, bool waited = true);
  Lease(Lease&& other) noexcept;
  Lease& operator=(Lease&& other) noexcept;
  ~Lease();

  explicit operator bool() const { return connection_ != nullptr; }
  ServerConnection& connection() const { return *connection_; }
  ServerPool& pool() const { return *pool_; }
  // The client may have left while it waited; one that got an idle backend at once has not.
  bool waited() const { return waited_; }

  void release();  // clean: back to the pool for the next client
  void discard();  // dirty or dead: close it

 private:
  std::shared_ptr<ServerPool> pool_;
  ServerConnection* connection_ = nullptr;
  bool waited_ = true;
};

struct PoolKey {
  std::string database;
  std::string user;
  auto operator<=>(const PoolKey&) const = default;
};

// Container sizes, read under the pool's lock: the counts never drift from the lists.
struct PoolCounts {
  int connecting = 0;
  int idle = 0;
  int active = 0;
  int waiting = 0;
  TimePoint oldest_wait_since = TimePoint::max();
};

// One backend as SHOW SERVERS lists it: a copy taken under the pool's lock.
struct ServerInfo {
  std::uint64_t id = 0;
  ServerState state = ServerState::connecting;
  TimePoint created_at;
  TimePoint last_used_at;
  bool close_needed = false;           // RECONNECT: closed when it comes back instead of reused
  std::uint32_t remote_process_id = 0;  // 0 while connecting
  tcp::endpoint remote_endpoint;        // the server it is on; port 0 while connecting
  std::uint32_t prepared_statements = 0;  // kept there for Sluice's clients (transaction mode)
  std::string tls;  // "TLSv1.3/<cipher>" when tls.server encrypted it; empty in plain text
};

class ServerPool : public CapMember, public std::enable_shared_from_this<ServerPool> {
  struct Waiter;

 public:
  ServerPool(PoolKey key, std::shared_ptr<ServerConnector> connector, config::PoolSettings settings,
             std::shared_ptr<ConnectionCap> database_cap, std::shared_ptr<ConnectionCap> user_cap);
  ~ServerPool() override;

  // A queued caller's way out: abandon() (on the caller's worker) ends its wait at once, as a
  // drain or a KILL must for a client waiting on a paused or full pool. It also keeps the
  // caller's queue entry (and its timer) between waits: a busy client queues once per
  // transaction under load, and a fresh entry each time cost an allocation, a timer and a lock.
  class WaitTicket {
   public:
    void abandon();

   private:
    friend class ServerPool;
    std::shared_ptr<Waiter> waiter_;
  };

  // Hands out an idle backend, opens a new one if the caps allow, or queues the caller
  // (FIFO) until one is released, query_wait_timeout passes, or `ticket` is abandoned.
  // `tried_now`: the caller has just tried try_acquire_now, so acquire starts past it.
  awaitable<Expected<Lease>> acquire(WorkerExecutor session_executor, WaitTicket* ticket = nullptr,
                                     bool tried_now = false);
  // acquire()'s fast path on its own, for a caller that need not start a coroutine for it: an
  // idle backend handed out now (nobody queued, no check due), else nullopt.
  std::optional<Lease> try_acquire_now(const WorkerExecutor& session_executor);

  // Periodic maintenance: closes idle backends past server_idle_timeout above min_pool_size.
  void sweep(TimePoint now);
  // Opens backends until min_pool_size are open (no-op if another fill runs or logins fail).
  awaitable<void> fill_to_minimum(WorkerExecutor executor);
  bool below_minimum() const;

  // CapMember: fairness between pools sharing max_db_connections / max_user_connections.
  void cap_slot_freed() override;
  bool close_one_idle() override;

  void update_settings(const config::PoolSettings& settings);
  config::PoolSettings settings() const;
  // Changes with every update_settings(): a session copies settings() again only when it has
  // (a copy per lease would take the pool's lock for nothing).
  std::uint64_t settings_version() const { return settings_version_.load(std::memory_order_acquire); }
  // settings().session_state, read by the front ends at every lease: no lock, no copy.
  config::SessionStatePolicy session_state_policy() const { return session_state_policy_.load(std::memory_order_relaxed); }
  PoolCounts counts() const;
  // No backend could be handed out now without waiting: none idle, and pool_size reached or
  // clients already queued. A hint (it may change the next moment), never a promise.
  bool saturated() const;
  std::vector<ServerInfo> servers() const;  // every backend, in state order (connecting, idle, active)
  const PoolKey& key() const { return key_; }
  const std::shared_ptr<ServerConnector>& connector() const { return connector_; }
  PoolStats& stats() { return stats_; }
  const ConnectionCap& database_cap() const { return *database_cap_; }
  const ConnectionCap& user_cap() const { return *user_cap_; }

  // PAUSE: clients queue instead of getting a backend until resume(); leases in use finish.
  void pause();
  void resume();
  bool paused() const;
  // RECONNECT: idle backends close now, leased ones when they come back.
  void reconnect();
  // PAUSE has waited for the running transactions: as in PgBouncer, the backends close too (a
  // database can then be restarted or renamed); clients queue until RESUME opens new ones.
  void close_while_paused();
  // Reload: the connector takes over `fresh`'s target (see ServerConnector::retarget), so new
  // backends use it at once; if the server or login changed, open backends are recycled as
  // RECONNECT does. Timeouts and the check query alone recycle nothing.
  void retarget(const ServerConnector& fresh);

  // Refuses new acquisitions (database removed or shutting down); active leases finish.
  void close_to_new_clients(Failure reason);
  // A removed database is back (a reload re-added it) while this pool still had backends.
  void reopen_to_new_clients();
  // No backend open or opening, and no client waiting.
  bool empty() const;
  void close_idle(CloseReason reason = CloseReason::pool_closed);

 private:
  friend class Lease;
  using ConnectionList = std::list<std::unique_ptr<ServerConnection>>;

  enum class Attempt { leased, opening, queued, refused };
  Attempt try_lease_locked(const std::shared_ptr<Waiter>& waiter, ServerConnection*& out,
                           ConnectionCap*& blocking_cap, bool& freed_slots);
  int drop_dead_idle_locked();
  ServerConnection* take_idle_fast(const WorkerExecutor& session_executor);
  static std::shared_ptr<Waiter> waiter_for(const WorkerExecutor& session_executor, WaitTicket* ticket);
  ServerConnection* start_opening_locked(WorkerExecutor executor);
  void retire_open_backends(CloseReason reason);
  void take_idle_locked(CloseReason reason, std::vector<std::unique_ptr<ServerConnection>>& closing);
  void finish_closing(std::vector<std::unique_ptr<ServerConnection>>& closing);
  void notify_caps();
  awaitable<Expected<Lease>> open_new(ServerConnection* connection);
  bool moved_to_session(ServerConnection* connection, const WorkerExecutor& session_executor);
  Lease handed_out(TimePoint waiting_since, ServerConnection* connection);
  void record_wait(TimePoint waiting_since);
  // Backends logged in (idle or leased), not counting those still logging in.
  bool has_established_locked() const { return !idle_.empty() || !active_.empty(); }
  bool may_open_locked(bool use_reserve, ConnectionCap*& blocking_cap) const;
  void give_back(ServerConnection* connection, bool reusable, CloseReason if_not_reusable);
  void transition_locked(ServerConnection* connection, ServerState to);
  std::unique_ptr<ServerConnection> remove_locked(ServerConnection* connection, CloseReason reason);
  void wake_one_locked();
  // A client queued since `since`: when it meets query_wait_timeout, and when it may use the reserve.
  std::pair<TimePoint, TimePoint> wait_limits_locked(TimePoint since) const;
  std::shared_ptr<Waiter> take_waiter_for_locked(ServerConnection& connection);
  ConnectionList& list_for(ServerState state);
  TimePoint lifetime_deadline(TimePoint now) const;
  int drop_idle_over_caps_locked();

  const PoolKey key_;
  const std::shared_ptr<ServerConnector> connector_;
  const std::shared_ptr<ConnectionCap> database_cap_;
  const std::shared_ptr<ConnectionCap> user_cap_;

  mutable std::mutex mutex_;
  config::PoolSettings settings_;
  std::atomic<std::uint64_t> settings_version_{1};
  std::atomic<config::SessionStatePolicy> session_state_policy_{settings_.session_state};
  ConnectionList connecting_;  // opening: counted against pool_size and the caps
  ConnectionList idle_;        // released clean; handed out most-recently-used first
  ConnectionList active_;      // leased to exactly one session
  std::deque<std::shared_ptr<Waiter>> waiters_;  // clients queued for a backend, in arrival order
  std::uint64_t next_connection_id_ = 1;
  TimePoint login_retry_until_ = TimePoint::min();  // server_login_retry after a failed login
  Failure last_login_failure_;
  std::optional<Failure> closed_;
  bool paused_ = false;
  bool filling_ = false;  // a fill_to_minimum() is running
  // Bumped by reconnect() and by a retarget() that changed the backend: older backends are
  // not reused, and close for `retired_reason_`.
  std::uint64_t generation_ = 0;
  CloseReason retired_reason_ = CloseReason::reconnect;
  PoolStats stats_;
};

}  // namespace sluice::pool
