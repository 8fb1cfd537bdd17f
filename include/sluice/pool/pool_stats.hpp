#pragma once
// Cumulative counters of one pool, bumped once per lease or per backend event (never per
// message: a session counts its queries and bytes itself and adds them when its lease ends,
// released or discarded) and read when /metrics or SHOW STATS asks.
#include <array>
#include <atomic>
#include <cstdint>

#include "sluice/core/sharded_counter.hpp"

namespace sluice::pool {

// Why a backend was closed; the values are the config keys or fixed words used in logs.
enum class CloseReason {
  server_lifetime,
  server_idle_timeout,
  not_reusable,
  login_failed,
  pool_shrunk,
  pool_closed,
  reconnect,
  target_changed,  // a reload gave the pool another server or login (host, port, dbname, user, password)
  fair_share,      // another pool under the same max_db/max_user cap is waiting for a slot
  check_failed,    // server_check_delay's check found it dead
  server_gone,     // idle, the server closed it or spoke unasked (peeked before reuse or by the janitor)
  paused,          // the admin console's PAUSE closes the backends of what it paused
  count_
};
const char* to_string(CloseReason reason);

struct PoolStats {
  // Added to by every worker per lease: sharded per thread.
  using Counter = ShardedCounter;
  // Added to per backend opened or closed: rare enough for one atomic.
  using RareCounter = std::atomic<std::uint64_t>;
  Counter transactions;          // transactions ended: per lease returned, or per transaction on a kept backend
  Counter queries;               // Query/Sync round trips completed, on any lease
  Counter bytes_from_clients;
  Counter bytes_to_clients;
  Counter transaction_time_us;   // time backends were held, summed
  Counter query_time_us;         // Query/Sync sent until its ReadyForQuery, summed
  Counter wait_time_us;          // time clients waited for a backend, summed
  Counter acquisitions;          // backends handed out
  // Prepared statements, as PgBouncer 1.21 counts them: created by clients (a named Parse,
  // COM_STMT_PREPARE), prepared on backends by Sluice (a client's or again on another
  // backend), and executed (a Bind of a named statement, COM_STMT_EXECUTE).
  Counter client_parses;
  Counter server_parses;
  Counter binds;
  RareCounter client_logins{0};  // clients that logged in to this pool
  RareCounter servers_opened{0};
  RareCounter server_connect_failures{0};
  std::array<RareCounter, static_cast<std::size_t>(CloseReason::count_)> servers_closed{};

  void add(Counter& counter, std::uint64_t amount) { counter.fetch_add(amount); }
  void add(RareCounter& counter, std::uint64_t amount) { counter.fetch_add(amount, std::memory_order_relaxed); }
  void closed(CloseReason reason) { add(servers_closed[static_cast<std::size_t>(reason)], 1); }
};

}  // namespace sluice::pool
