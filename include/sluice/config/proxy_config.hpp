#pragma once
// The validated, immutable configuration snapshot (see docs: design/config.md).
// A ProxyConfig is built once by the loader and then only read; a reload builds a new one.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/auth/hba.hpp"
#include "sluice/config/duration.hpp"

namespace sluice::config {

enum class PoolMode { session, transaction, statement };
enum class AuthType { trust, md5, scram_sha_256 };
enum class Protocol { postgres, mysql };
// What cannot move between backends in transaction mode (LISTEN, temporary tables...).
enum class SessionStatePolicy { pin, error };

// The spelling of each enum value in sluice.yaml; the single source for parsing and printing.
inline constexpr std::array<std::pair<PoolMode, std::string_view>, 3> pool_mode_names{{
    {PoolMode::session, "session"},
    {PoolMode::transaction, "transaction"},
    {PoolMode::statement, "statement"},
}};
inline constexpr std::array<std::pair<AuthType, std::string_view>, 3> auth_type_names{{
    {AuthType::trust, "trust"},
    {AuthType::md5, "md5"},
    {AuthType::scram_sha_256, "scram-sha-256"},
}};
inline constexpr std::array<std::pair<SessionStatePolicy, std::string_view>, 2> session_state_names{{
    {SessionStatePolicy::pin, "pin"},
    {SessionStatePolicy::error, "error"},
}};
inline constexpr std::array<std::pair<Protocol, std::string_view>, 2> protocol_names{{
    {Protocol::postgres, "postgres"},
    {Protocol::mysql, "mysql"},
}};

// tls.client.mode: allow = TLS when the client asks for it; require = plain clients are refused.
enum class ClientTlsMode { disable, allow, require };
// tls.server.mode, libpq's sslmode names: prefer = TLS when the backend offers it; require = TLS
// without checking the certificate; verify-ca = the chain must lead to `ca`; verify-full =
// verify-ca plus the backend's host name (or IP) must be in the certificate.
enum class ServerTlsMode { disable, prefer, require, verify_ca, verify_full };

inline constexpr std::array<std::pair<ClientTlsMode, std::string_view>, 3> client_tls_mode_names{{
    {ClientTlsMode::disable, "disable"},
    {ClientTlsMode::allow, "allow"},
    {ClientTlsMode::require, "require"},
}};
inline constexpr std::array<std::pair<ServerTlsMode, std::string_view>, 5> server_tls_mode_names{{
    {ServerTlsMode::disable, "disable"},
    {ServerTlsMode::prefer, "prefer"},
    {ServerTlsMode::require, "require"},
    {ServerTlsMode::verify_ca, "verify-ca"},
    {ServerTlsMode::verify_full, "verify-full"},
}};

std::string_view to_string(PoolMode mode);
std::string_view to_string(ClientTlsMode mode);
std::string_view to_string(ServerTlsMode mode);
std::string_view to_string(AuthType type);
std::string_view to_string(Protocol protocol);
std::string_view to_string(SessionStatePolicy policy);
std::optional<PoolMode> parse_pool_mode(std::string_view text);
std::optional<AuthType> parse_auth_type(std::string_view text);
std::optional<Protocol> parse_protocol(std::string_view text);

inline constexpr std::uint16_t default_postgres_port = 5432;
inline constexpr std::uint16_t default_mysql_port = 3306;

struct ListenAddress {
  std::string host;  // an IP literal; IPv6 without brackets ("::1")
  std::uint16_t port = 0;
  bool operator==(const ListenAddress&) const = default;
};

// Parses "127.0.0.1:6432" or "[::1]:6432". Hosts must be IP literals so binding never
// depends on name resolution; on failure `error` holds the reason.
std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error);

// The inverse of parse_listen_address: brackets IPv6 hosts.
std::string format_listen_address(const ListenAddress& address);

// Every key of `defaults`, fully resolved for one pool.
struct PoolSettings {
  PoolMode pool_mode = PoolMode::transaction;
  int pool_size = 20;
  int min_pool_size = 0;
  int reserve_pool_size = 0;
  Duration reserve_pool_timeout{5000};
  int max_db_connections = 0;
  Duration statement_timeout{0};
  Duration query_wait_timeout{120000};
  Duration idle_transaction_timeout{0};
  Duration client_idle_timeout{0};
  Duration client_login_timeout{60000};
  Duration server_idle_timeout{600000};
  Duration server_lifetime{3600000};
  Duration server_connect_timeout{15000};
  Duration server_login_retry{15000};
  Duration server_check_delay{30000};
  std::string server_check_query;  // empty = protocol-level ping
  std::string server_reset_query = "DISCARD ALL";
  int max_prepared_statements = 200;  // per backend (LRU); 0 = not tracked
  SessionStatePolicy session_state = SessionStatePolicy::pin;
  bool operator==(const PoolSettings&) const = default;
};

// What one layer (`defaults`, a database or a user) sets; unset fields fall through.
struct PoolOverrides {
  std::optional<PoolMode> pool_mode;
  std::optional<int> pool_size;
  std::optional<int> min_pool_size;
  std::optional<int> reserve_pool_size;
  std::optional<Duration> reserve_pool_timeout;
  std::optional<int> max_db_connections;
  std::optional<Duration> statement_timeout;
  std::optional<Duration> query_wait_timeout;
  std::optional<Duration> idle_transaction_timeout;
  std::optional<Duration> client_idle_timeout;
  std::optional<Duration> client_login_timeout;
  std::optional<Duration> server_idle_timeout;
  std::optional<Duration> server_lifetime;
  std::optional<Duration> server_connect_timeout;
  std::optional<Duration> server_login_retry;
  std::optional<Duration> server_check_delay;
  std::optional<std::string> server_check_query;
  std::optional<std::string> server_reset_query;
  std::optional<int> max_prepared_statements;
  std::optional<SessionStatePolicy> session_state;
  bool operator==(const PoolOverrides&) const = default;
};

// Copies every field `overrides` sets into `settings`.
void apply_overrides(PoolSettings& settings, const PoolOverrides& overrides);

struct DatabaseConfig {
  std::string name;  // key clients connect to
  Protocol protocol = Protocol::postgres;
  std::string host = "127.0.0.1";
  std::uint16_t port = default_postgres_port;  // 3306 when protocol is mysql and no port is given
  std::string dbname;                          // backend db name; defaults to name
  std::optional<std::string> user;             // forced backend login
  std::optional<std::string> password;
  int max_client_connections = 0;  // client sessions on this database, all users; 0 = no cap
  PoolOverrides overrides;
  bool operator==(const DatabaseConfig&) const = default;
};

struct UserConfig {
  std::string name;
  // Plain text, "md5"+32 hex, or "SCRAM-SHA-256$..." verifier, exactly as written; absent = cannot log in.
  std::optional<std::string> password;
  int max_user_connections = 0;    // backends for this user across all databases; 0 = no cap
  int max_client_connections = 0;  // client sessions of this user; 0 = no cap
  std::optional<std::string> default_database;  // MySQL clients that connect without a database get this one
  PoolOverrides overrides;
  bool operator==(const UserConfig&) const = default;
};

// `tls.client`: Sluice is the TLS server towards clients. Paths are as written (relative ones
// resolve against the working directory); the loader checks the files exist when mode is not
// disable, and the TLS context (net/tls_context) checks what is in them.
struct ClientTlsConfig {
  ClientTlsMode mode = ClientTlsMode::disable;
  std::optional<std::string> cert;
  std::optional<std::string> key;
  std::optional<std::string> ca;  // set: clients may present a certificate, verified against it
  bool operator==(const ClientTlsConfig&) const = default;
};

// `tls.server`: Sluice is the TLS client towards backends.
struct ServerTlsConfig {
  ServerTlsMode mode = ServerTlsMode::disable;
  std::optional<std::string> ca;    // required by verify-ca and verify-full
  std::optional<std::string> cert;  // optional client certificate (with key) for the backend
  std::optional<std::string> key;
  bool operator==(const ServerTlsConfig&) const = default;
};

struct TlsConfig {
  ClientTlsConfig client;
  ServerTlsConfig server;
  bool operator==(const TlsConfig&) const = default;
};

// `auth_query`: users not listed in `users` are looked up with `query` (the user name bound
// as $1, never pasted into the text), logged in as `user` (a user listed with a password).
struct AuthQueryConfig {
  std::string user;
  std::string query;
  std::optional<std::string> database;  // absent: the database the client asked for
  Duration cache_ttl{60000};
  bool operator==(const AuthQueryConfig&) const = default;
};

struct ProxyConfig {
  std::vector<ListenAddress> listen_postgres;  // 127.0.0.1:6432 when `listen.postgres` is absent
  std::vector<ListenAddress> listen_mysql;
  std::optional<ListenAddress> listen_metrics;  // absent = no metrics listener
  int workers = 0;                              // resolved: `auto` -> hardware_concurrency() (min 1)
  int max_client_connections = 10000;
  Duration shutdown_timeout{30000};
  AuthType auth_type = AuthType::scram_sha_256;
  std::vector<std::string> admin_users;
  std::vector<std::string> stats_users;
  std::uint64_t max_packet_size = 1073741824;  // largest protocol message accepted, bytes
  std::string log_level = "info";              // trace|debug|info|warn|error
  std::string log_format = "text";             // text|json
  PoolSettings defaults;                       // built-in defaults with `defaults:` applied
  std::map<std::string, DatabaseConfig> databases;
  std::map<std::string, UserConfig> users;
  TlsConfig tls;
  std::optional<AuthQueryConfig> auth_query;  // absent = only `users` can log in
  std::vector<auth::HbaRule> hba;             // empty = auth_type applies to everyone

  const DatabaseConfig* find_database(std::string_view name) const;
  // The name of the one database of `protocol`, if exactly one is configured (else empty): where a
  // client that names no database, and whose user has no default_database, is taken.
  std::string sole_database(Protocol protocol) const;
  const UserConfig* find_user(std::string_view name) const;
  bool is_admin_user(std::string_view name) const;
  bool is_stats_user(std::string_view name) const;
  // Precedence: user override, then database override, then defaults.
  PoolSettings resolve(const DatabaseConfig& db, const UserConfig* user) const;
  bool operator==(const ProxyConfig&) const = default;
};

}  // namespace sluice::config
