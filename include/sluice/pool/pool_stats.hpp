#pragma once
// Cumulative counters of one pool, bumped once per lease or per backend event (never per
// message: a session counts its queries and bytes itself and adds them when its lease ends,
// released or discarded) and read when /metrics or SHOW STATS asks.
#include <array>
#include <atomic>
#include <cstdint>

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
  count_
};
const char* to_string(CloseReason reason);

struct PoolStats {
  using Counter = std::atomic<std::uint64_t>;
  Counter transactions{0};          // leases returned clean (transaction mode: one per transaction)
  Counter queries{0};               // Query/Sync round trips completed, on any lease
  Counter bytes_from_clients{0};
  Counter bytes_to_clients{0};
  Counter transaction_time_us{0};   // time backends were held, summed
  Counter query_time_us{0};         // Query/Sync sent until its ReadyForQuery, summed
  Counter wait_time_us{0};          // time clients waited for a backend, summed
  Counter acquisitions{0};          // backends handed out
  Counter servers_opened{0};
  Counter server_connect_failures{0};
  std::array<Counter, static_cast<std::size_t>(CloseReason::count_)> servers_closed{};

  void add(Counter& counter, std::uint64_t amount) { counter.fetch_add(amount, std::memory_order_relaxed); }
  void closed(CloseReason reason) { add(servers_closed[static_cast<std::size_t>(reason)], 1); }
};

}  // namespace sluice::pool
