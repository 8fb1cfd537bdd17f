#pragma once
// Credentials of users not listed in `users`: auth_query (design/config.md). The session asks
// through this interface; the PostgreSQL implementation (session/postgres/pg_auth_query) owns
// the query's own small pools and the cache.
#include <optional>
#include <string>
#include <string_view>

#include "sluice/auth/credential.hpp"
#include "sluice/config/proxy_config.hpp"
#include "sluice/core/asio.hpp"

namespace sluice::runtime {

class CredentialLookup {
 public:
  virtual ~CredentialLookup() = default;
  // nullopt: unknown user, no auth_query, or the lookup failed (logged, never with a password).
  // `database` is the one the client asked for (auth_query.database overrides it).
  virtual awaitable<std::optional<auth::Credential>> find(const config::ProxyConfig& config,
                                                          const config::DatabaseConfig& database,
                                                          std::string_view user) = 0;
  // After a failed login: the next one looks the user up again.
  virtual void forget(std::string_view user) = 0;
};

}  // namespace sluice::runtime
