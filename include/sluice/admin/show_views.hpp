#pragma once
// The SHOW commands as pure functions of one AdminSnapshot, so tests build the snapshot
// by hand. Where PgBouncer has the same command, the columns are its own, in its order
// (PgBouncer 1.24), and Sluice's additions come after them: its tooling (pgbouncer_exporter,
// dashboards) reads ours unchanged. Columns PgBouncer has and Sluice cannot fill carry
// a neutral value (0, "none", empty) rather than disappearing.
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sluice/admin/result_set.hpp"
#include "sluice/admin/stats_averages.hpp"
#include "sluice/config/proxy_config.hpp"
#include "sluice/pool/server_pool.hpp"
#include "sluice/runtime/client_registry.hpp"

namespace sluice::admin {

// One pool, copied at one moment.
struct PoolView {
  pool::PoolKey key;
  pool::PoolCounts counts;
  config::PoolSettings settings;
  bool paused = false;
  std::vector<pool::ServerInfo> servers;
  StatsTotals totals;
  std::uint64_t servers_opened = 0;
  std::uint64_t server_connect_failures = 0;
  std::uint64_t servers_closed = 0;
  int database_connections = 0;  // backends of this database, all users (max_db_connections' count)
  int user_connections = 0;      // backends of this user, all databases (max_user_connections' count)
};

// Everything the SHOW commands read, taken once per command.
struct AdminSnapshot {
  std::shared_ptr<const config::ProxyConfig> config;
  std::vector<PoolView> pools;                    // ordered by (database, user)
  std::vector<runtime::ClientSnapshot> clients;   // ordered by id
  TimePoint now = Clock::now();
  std::chrono::system_clock::time_point wall_now = std::chrono::system_clock::now();
  StatsAverages* averages = nullptr;              // SHOW STATS rolls its windows
  std::set<std::string, std::less<>> disabled;    // databases DISABLEd by the console
  bool paused = false;                            // PAUSE without a database (all pools)
  std::set<std::string, std::less<>> paused_databases;  // paused, whether or not a pool exists yet
};

// Names of the two virtual databases that lead to the console.
inline bool is_admin_database(std::string_view name) { return name == "sluice" || name == "pgbouncer"; }

ResultSet show_pools(const AdminSnapshot& snapshot);
ResultSet show_clients(const AdminSnapshot& snapshot);
ResultSet show_servers(const AdminSnapshot& snapshot);
ResultSet show_stats(const AdminSnapshot& snapshot);
ResultSet show_stats_totals(const AdminSnapshot& snapshot);
ResultSet show_totals(const AdminSnapshot& snapshot);
ResultSet show_dns_hosts(const AdminSnapshot& snapshot);
ResultSet show_dns_zones(const AdminSnapshot& snapshot);
ResultSet show_stats_averages(const AdminSnapshot& snapshot);
ResultSet show_databases(const AdminSnapshot& snapshot);
ResultSet show_users(const AdminSnapshot& snapshot);
ResultSet show_config(const AdminSnapshot& snapshot);
ResultSet show_lists(const AdminSnapshot& snapshot);
ResultSet show_version(const AdminSnapshot& snapshot);
ResultSet show_state(const AdminSnapshot& snapshot);
ResultSet show_help(const AdminSnapshot& snapshot);

// "2024-05-01 12:34:56 UTC", the shape of PgBouncer's timestamps (in UTC).
std::string format_timestamp(std::chrono::system_clock::time_point time);

}  // namespace sluice::admin
