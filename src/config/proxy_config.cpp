#include "sluice/config/proxy_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace sluice::config {
namespace {

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names, Enum value) {
  for (const auto& [candidate, name] : names) {
    if (candidate == value) return name;
  }
  return "unknown";
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& names, std::string_view text) {
  for (const auto& [value, name] : names) {
    if (name == text) return value;
  }
  return std::nullopt;
}

template <typename T>
void assign_if_set(T& target, const std::optional<T>& source) {
  if (source) target = *source;
}

bool is_ipv4_literal(const std::string& host) {
  in_addr parsed{};
  return inet_pton(AF_INET, host.c_str(), &parsed) == 1;
}

bool is_ipv6_literal(const std::string& host) {
  in6_addr parsed{};
  return inet_pton(AF_INET6, host.c_str(), &parsed) == 1;
}

std::optional<std::uint16_t> parse_port(std::string_view text, std::string_view whole, std::string& error) {
  unsigned value = 0;
  const char* end = text.data() + text.size();
  auto [rest, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || rest != end || value < 1 || value > 65535) {
    error = "invalid port '" + std::string(text) + "' in '" + std::string(whole) + "': expected 1..65535";
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

// "[::1]:6432": the brackets are what make the port separator unambiguous.
std::optional<ListenAddress> parse_bracketed(std::string_view text, std::string& error) {
  const auto close = text.find(']');
  if (close == std::string_view::npos) {
    error = "missing ']' in '" + std::string(text) + "': write IPv6 addresses as [::1]:6432";
    return std::nullopt;
  }
  std::string host(text.substr(1, close - 1));
  if (!is_ipv6_literal(host)) {
    error = "'" + host + "' in '" + std::string(text) + "' is not an IPv6 address";
    return std::nullopt;
  }
  if (close + 1 >= text.size() || text[close + 1] != ':') {
    error = "missing port in '" + std::string(text) + "': write [" + host + "]:6432";
    return std::nullopt;
  }
  auto port = parse_port(text.substr(close + 2), text, error);
  if (!port) return std::nullopt;
  return ListenAddress{std::move(host), *port};
}

std::optional<ListenAddress> parse_unbracketed(std::string_view text, std::string& error) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    error = "missing port in '" + std::string(text) + "': write host:port, like 127.0.0.1:6432";
    return std::nullopt;
  }
  if (text.find(':') != colon) {
    error = "IPv6 address '" + std::string(text) + "' needs brackets around the host, like [::1]:6432";
    return std::nullopt;
  }
  std::string host(text.substr(0, colon));
  if (!is_ipv4_literal(host)) {
    error = "host '" + host + "' in '" + std::string(text) +
            "' is not an IP address: use an IP literal such as 127.0.0.1, 0.0.0.0 or [::1]";
    return std::nullopt;
  }
  auto port = parse_port(text.substr(colon + 1), text, error);
  if (!port) return std::nullopt;
  return ListenAddress{std::move(host), *port};
}

template <typename Item>
const Item* find_in(const std::map<std::string, Item>& items, std::string_view name) {
  auto it = items.find(std::string(name));
  return it == items.end() ? nullptr : &it->second;
}

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

std::string_view to_string(PoolMode mode) { return name_of(pool_mode_names, mode); }
std::string_view to_string(AuthType type) { return name_of(auth_type_names, type); }
std::string_view to_string(Protocol protocol) { return name_of(protocol_names, protocol); }
std::string_view to_string(SessionStatePolicy policy) { return name_of(session_state_names, policy); }
std::string_view to_string(ClientTlsMode mode) { return name_of(client_tls_mode_names, mode); }
std::string_view to_string(ServerTlsMode mode) { return name_of(server_tls_mode_names, mode); }
std::optional<PoolMode> parse_pool_mode(std::string_view text) { return value_of(pool_mode_names, text); }
std::optional<AuthType> parse_auth_type(std::string_view text) { return value_of(auth_type_names, text); }
std::optional<Protocol> parse_protocol(std::string_view text) { return value_of(protocol_names, text); }

std::optional<ListenAddress> parse_listen_address(std::string_view text, std::string& error) {
  if (text.empty()) {
    error = "empty listen address: write host:port, like 127.0.0.1:6432";
    return std::nullopt;
  }
  return text.front() == '[' ? parse_bracketed(text, error) : parse_unbracketed(text, error);
}

std::string format_listen_address(const ListenAddress& address) {
  const bool ipv6 = address.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + address.host + "]" : address.host;
  return host + ":" + std::to_string(address.port);
}

void apply_overrides(PoolSettings& settings, const PoolOverrides& overrides) {
  assign_if_set(settings.pool_mode, overrides.pool_mode);
  assign_if_set(settings.pool_size, overrides.pool_size);
  assign_if_set(settings.min_pool_size, overrides.min_pool_size);
  assign_if_set(settings.reserve_pool_size, overrides.reserve_pool_size);
  assign_if_set(settings.reserve_pool_timeout, overrides.reserve_pool_timeout);
  assign_if_set(settings.max_db_connections, overrides.max_db_connections);
  assign_if_set(settings.statement_timeout, overrides.statement_timeout);
  assign_if_set(settings.query_wait_timeout, overrides.query_wait_timeout);
  assign_if_set(settings.idle_transaction_timeout, overrides.idle_transaction_timeout);
  assign_if_set(settings.client_idle_timeout, overrides.client_idle_timeout);
  assign_if_set(settings.client_login_timeout, overrides.client_login_timeout);
  assign_if_set(settings.server_idle_timeout, overrides.server_idle_timeout);
  assign_if_set(settings.server_lifetime, overrides.server_lifetime);
  assign_if_set(settings.server_connect_timeout, overrides.server_connect_timeout);
  assign_if_set(settings.server_login_retry, overrides.server_login_retry);
  assign_if_set(settings.server_check_delay, overrides.server_check_delay);
  assign_if_set(settings.server_check_query, overrides.server_check_query);
  assign_if_set(settings.server_reset_query, overrides.server_reset_query);
  assign_if_set(settings.max_prepared_statements, overrides.max_prepared_statements);
  assign_if_set(settings.session_state, overrides.session_state);
}

const DatabaseConfig* ProxyConfig::find_database(std::string_view name) const { return find_in(databases, name); }

std::string ProxyConfig::sole_database(Protocol protocol) const {
  std::string sole;
  for (const auto& [name, database] : databases) {
    if (database.protocol != protocol) continue;
    if (!sole.empty()) return {};
    sole = name;
  }
  return sole;
}

const UserConfig* ProxyConfig::find_user(std::string_view name) const { return find_in(users, name); }

bool ProxyConfig::is_admin_user(std::string_view name) const { return contains(admin_users, name); }

bool ProxyConfig::is_stats_user(std::string_view name) const { return contains(stats_users, name); }

PoolSettings ProxyConfig::resolve(const DatabaseConfig& db, const UserConfig* user) const {
  PoolSettings settings = defaults;
  apply_overrides(settings, db.overrides);
  if (user != nullptr) apply_overrides(settings, user->overrides);
  return settings;
}

}  // namespace sluice::config
