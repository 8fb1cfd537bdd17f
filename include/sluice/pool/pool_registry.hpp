#pragma once
// All pools, keyed by (database, user), and the caps they share. Pools are created on
// the first client of a pair and live until the database is removed by a reload.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sluice/config/proxy_config.hpp"
#include "sluice/pool/pause_state.hpp"
#include "sluice/pool/server_pool.hpp"

namespace sluice::pool {

// The refusal a client of a database the admin console DISABLEd gets at login.
inline Failure database_disabled(std::string_view database) {
  return Failure{"database_disabled", "", "database does not allow connections: " + std::string(database)};
}

class PoolRegistry {
 public:
  // Builds the protocol-specific connector for a pool; injected by the app layer.
  using ConnectorFactory = std::function<std::shared_ptr<ServerConnector>(
      const config::DatabaseConfig& database, const config::UserConfig* user, const std::string& user_name,
      const config::PoolSettings& settings)>;

  explicit PoolRegistry(ConnectorFactory factory) : factory_(std::move(factory)) {}

  std::shared_ptr<ServerPool> find_or_create(const config::ProxyConfig& config,
                                             const config::DatabaseConfig& database,
                                             const std::string& user_name);

  // Applies a new config snapshot: changed limits take effect, each pool's connector is
  // retargeted (ServerPool::retarget: a moved backend recycles the open ones), pools of
  // removed databases refuse new clients and close their idle backends, and those of
  // databases added back take their place again.
  void apply(const config::ProxyConfig& config);

  // PAUSE/RESUME of one database's pools, or of all (nullopt); remembered for pools created
  // while paused.
  void pause(const std::optional<std::string>& database);
  void resume(const std::optional<std::string>& database);
  // Whether PAUSE (or KILL) holds this database (nullopt: all of them, by a PAUSE without one).
  bool paused(const std::optional<std::string>& database) const;
  // DISABLE/ENABLE: a disabled database refuses new clients at login; connected ones go on.
  void set_disabled(const std::string& database, bool disabled);
  bool disabled(std::string_view database) const;
  std::set<std::string, std::less<>> disabled_databases() const;

  // Every pool, those of removed databases included while they still have backends (SHOW
  // SERVERS and the metrics account for every backend open).
  std::vector<std::shared_ptr<ServerPool>> pools() const;
  // Every pool's idle and lifetime limits, and min_pool_size refills run on `executor`.
  void sweep(TimePoint now, const WorkerExecutor& executor);

 private:
  // Puts a retired pool back under `database`'s current settings; mutex_ held.
  void reopen_locked(const config::ProxyConfig& config, const config::DatabaseConfig& database,
                     std::shared_ptr<ServerPool> pool);
  std::shared_ptr<ConnectionCap> cap_for(std::map<std::string, std::shared_ptr<ConnectionCap>>& caps,
                                         const std::string& name, int limit);

  const ConnectorFactory factory_;
  mutable std::mutex mutex_;
  std::map<PoolKey, std::shared_ptr<ServerPool>> pools_;
  // Pools of removed databases (or of a database that changed protocol) still holding
  // backends: kept until the sweep finds them empty; a reload that adds the database back takes it back.
  struct Retired {
    std::shared_ptr<ServerPool> pool;
    config::Protocol protocol;
  };
  std::vector<Retired> retired_;
  // The protocol each pool's connector speaks: a reload that changes it replaces the pool.
  std::map<PoolKey, config::Protocol> protocols_;
  std::map<std::string, std::shared_ptr<ConnectionCap>> database_caps_;  // max_db_connections
  std::map<std::string, std::shared_ptr<ConnectionCap>> user_caps_;      // max_user_connections
  PauseState pause_state_;
  std::set<std::string, std::less<>> disabled_;
};

}  // namespace sluice::pool
