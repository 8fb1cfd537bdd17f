#pragma once
// auth_query, wired: a user not listed in `users` is looked up with auth_query.query, run as
// auth_query.user on a small pool of its own (per database), the user name bound as $1
// (Parse/Bind, never pasted into SQL). Its backends get Sluice's own StartupMessage, so
// nothing a client sent (options, search_path) reaches them, and no client ever holds one.
// Answers are cached for cache_ttl; a failed login forgets the user.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "sluice/auth/auth_query.hpp"
#include "sluice/pool/pool_registry.hpp"
#include "sluice/runtime/credential_lookup.hpp"

namespace sluice::session {

class PgAuthQuery : public runtime::CredentialLookup {
 public:
  explicit PgAuthQuery(pool::PoolRegistry::ConnectorFactory factory) : factory_(std::move(factory)) {}

  awaitable<std::optional<auth::Credential>> find(const config::ProxyConfig& config,
                                                  const config::DatabaseConfig& database,
                                                  std::string_view user) override;
  void forget(std::string_view user) override;

  // Reload: the lookup pools are rebuilt from the new config (target, TLS); a changed
  // auth_query also empties the cache.
  void apply(const config::ProxyConfig& config);
  // The janitor's sweep: idle lookup backends close after server_idle_timeout like any other.
  void sweep(TimePoint now);

 private:
  std::shared_ptr<pool::ServerPool> pool_for(const config::ProxyConfig& config, const config::DatabaseConfig& database);
  void follow_settings(const config::AuthQueryConfig& settings);
  void drop_pools();

  const pool::PoolRegistry::ConnectorFactory factory_;
  std::mutex mutex_;  // guards the members below; never held across a co_await
  std::optional<config::AuthQueryConfig> settings_;  // what cache_ was filled under
  std::unique_ptr<auth::CredentialCache> cache_;
  std::map<std::string, std::shared_ptr<pool::ServerPool>, std::less<>> pools_;  // by database name
};

}  // namespace sluice::session
