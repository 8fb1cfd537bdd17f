#include "sluice/pool/pool_registry.hpp"

namespace sluice::pool {

namespace {
// One cap for the whole database, whoever's pool reads it: the database's value or the
// defaults', never a user's override (that would make the cap depend on which pool came last).
int database_connection_cap(const config::ProxyConfig& config, const config::DatabaseConfig& database) {
  return config.resolve(database, nullptr).max_db_connections;
}
}  // namespace

std::shared_ptr<ServerPool> PoolRegistry::find_or_create(const config::ProxyConfig& config,
                                                         const config::DatabaseConfig& database,
                                                         const std::string& user_name) {
  std::lock_guard lock(mutex_);
  PoolKey key{database.name, user_name};
  if (auto found = pools_.find(key); found != pools_.end()) return found->second;

  const auto* user = config.find_user(user_name);
  const auto settings = config.resolve(database, user);
  auto database_cap = cap_for(database_caps_, database.name, database_connection_cap(config, database));
  auto user_cap = cap_for(user_caps_, user_name, user ? user->max_user_connections : 0);
  auto pool = std::make_shared<ServerPool>(key, factory_(database, user, user_name, settings), settings,
                                           std::move(database_cap), std::move(user_cap));
  database_caps_[database.name]->add_member(pool);
  user_caps_[user_name]->add_member(pool);
  if (pause_state_.covers(database.name)) pool->pause();
  protocols_[key] = database.protocol;
  pools_.emplace(std::move(key), pool);
  return pool;
}

void PoolRegistry::pause(const std::optional<std::string>& database) {
  std::lock_guard lock(mutex_);
  pause_state_.pause(database);
  for (const auto& [key, pool] : pools_) {
    if (!database || key.database == *database) pool->pause();
  }
}

void PoolRegistry::resume(const std::optional<std::string>& database) {
  std::lock_guard lock(mutex_);
  pause_state_.resume(database);
  for (const auto& [key, pool] : pools_) {
    if (!database || key.database == *database) pool->resume();
  }
}

bool PoolRegistry::paused(const std::optional<std::string>& database) const {
  std::lock_guard lock(mutex_);
  return database ? pause_state_.covers(*database) : pause_state_.all_paused();
}

void PoolRegistry::set_disabled(const std::string& database, bool disabled) {
  std::lock_guard lock(mutex_);
  if (disabled) {
    disabled_.insert(database);
  } else {
    disabled_.erase(database);
  }
}

bool PoolRegistry::disabled(std::string_view database) const {
  std::lock_guard lock(mutex_);
  return disabled_.contains(database);
}

std::set<std::string, std::less<>> PoolRegistry::disabled_databases() const {
  std::lock_guard lock(mutex_);
  return disabled_;
}

void PoolRegistry::apply(const config::ProxyConfig& config) {
  std::lock_guard lock(mutex_);
  for (auto it = pools_.begin(); it != pools_.end();) {
    const auto& [key, pool] = *it;
    const auto* database = config.find_database(key.database);
    // A database that now speaks another protocol is a new database under an old name: its
    // pool goes as if removed, and the next client creates one with the right connector.
    if (!database || database->protocol != protocols_[key]) {
      pool->close_to_new_clients(Failure{"database_removed", "", "no such database: " + key.database});
      pool->close_idle();
      if (!pool->empty()) retired_.push_back(Retired{pool, protocols_[key]});  // until its leases end
      protocols_.erase(key);
      it = pools_.erase(it);
      continue;
    }
    const auto* user = config.find_user(key.user);
    const auto settings = config.resolve(*database, user);
    pool->update_settings(settings);
    // The factory is the one place that turns config into a backend target: it builds a
    // connector from the new config, and the live one takes that target over (or sees nothing
    // changed). Existing pools thus follow host/port/dbname/user/password and the connect
    // and check settings without pool/ knowing what any of them mean.
    pool->retarget(*factory_(*database, user, key.user, settings));
    cap_for(database_caps_, key.database, database_connection_cap(config, *database));
    cap_for(user_caps_, key.user, user ? user->max_user_connections : 0);
    ++it;
  }
  // Removed and added again while its backends were still in use: the same pool comes back at
  // once, its counters with it, and a backend its client hands back returns to it rather than
  // closing. (Not at the next client's login: by then the sweep may have dropped the pool.)
  std::erase_if(retired_, [&](Retired& retired) {
    const auto* database = config.find_database(retired.pool->key().database);
    if (!database || database->protocol != retired.protocol || pools_.contains(retired.pool->key())) return false;
    reopen_locked(config, *database, std::move(retired.pool));
    return true;
  });
}

void PoolRegistry::reopen_locked(const config::ProxyConfig& config, const config::DatabaseConfig& database,
                                 std::shared_ptr<ServerPool> pool) {
  PoolKey key = pool->key();
  const auto* user = config.find_user(key.user);
  const auto settings = config.resolve(database, user);
  pool->reopen_to_new_clients();
  pool->update_settings(settings);
  pool->retarget(*factory_(database, user, key.user, settings));
  cap_for(database_caps_, key.database, database_connection_cap(config, database));
  cap_for(user_caps_, key.user, user ? user->max_user_connections : 0);
  if (pause_state_.covers(database.name)) pool->pause();
  protocols_[key] = database.protocol;
  pools_.emplace(std::move(key), std::move(pool));
}

std::vector<std::shared_ptr<ServerPool>> PoolRegistry::pools() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<ServerPool>> result;
  result.reserve(pools_.size() + retired_.size());
  for (const auto& [key, pool] : pools_) result.push_back(pool);
  for (const auto& retired : retired_) result.push_back(retired.pool);
  return result;
}

void PoolRegistry::sweep(TimePoint now, const WorkerExecutor& executor) {
  {
    std::lock_guard lock(mutex_);
    std::erase_if(retired_, [](const Retired& retired) { return retired.pool->empty(); });
  }
  for (const auto& pool : pools()) {
    pool->sweep(now);
    if (pool->below_minimum()) asio::co_spawn(executor, pool->fill_to_minimum(executor), asio::detached);
  }
}

std::shared_ptr<ConnectionCap> PoolRegistry::cap_for(std::map<std::string, std::shared_ptr<ConnectionCap>>& caps,
                                                     const std::string& name, int limit) {
  auto& cap = caps[name];
  if (!cap) cap = std::make_shared<ConnectionCap>(limit);
  cap->set_limit(limit);
  return cap;
}

}  // namespace sluice::pool
