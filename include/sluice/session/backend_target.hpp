#pragma once
// Where and how a pool's backends log in, whatever their protocol. Replaced whole by a reload,
// never changed in place: a backend keeps the one it was opened with (its server gets the
// cancels), so PostgreSQL's and MySQL's connectors share this and its comparison.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/config/proxy_config.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/net/tls_context.hpp"
#include "sluice/pool/server_connection.hpp"

namespace sluice::session {

struct BackendTarget {
  std::string host;
  std::uint16_t port = 0;  // always set from the database's config (5432 / 3306 by default there)
  std::string dbname;
  std::string user;
  // Plain text, or what the protocol can log in with (a PostgreSQL "md5..." hash); never a
  // verifier or hash that cannot answer the server: the factory drops those.
  std::optional<std::string> password;
  std::chrono::milliseconds connect_timeout{15000};
  std::string check_query;  // server_check_query; empty: the protocol's cheapest round trip
  // tls.server (either protocol): how to ask for TLS, and the context of the load or reload
  // this target was built from (a reload rebuilds it, so new backends see new certificates).
  config::ServerTlsMode tls_mode = config::ServerTlsMode::disable;
  net::TlsContextPtr tls_context;  // null when tls_mode is disable
};

// What differs between two targets, for ServerPool::retarget's decision and its log line
// (a password is named, never shown).
pool::TargetChange compare_targets(const BackendTarget& from, const BackendTarget& to);

// The backend could not be reached (refused, unreachable, server_connect_timeout).
Failure connect_failure(const BackendTarget& target, std::string_view why);

}  // namespace sluice::session
