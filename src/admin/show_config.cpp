// SHOW CONFIG: every key with its value, its default and whether a reload changes it; paths
// and names only, never a password or a key's bytes.
#include "result_building.hpp"
#include "sluice/admin/show_views.hpp"
#include "sluice/config/duration.hpp"

namespace sluice::admin {

namespace {

std::string addresses(const std::vector<config::ListenAddress>& list) {
  std::vector<std::string> formatted;
  for (const auto& address : list) formatted.push_back(config::format_listen_address(address));
  return join(formatted);
}

void add_setting(ResultSet& result, const char* key, std::string value, std::string default_value, bool changeable) {
  result.rows.push_back({std::move(key), std::move(value), std::move(default_value), text(changeable ? "yes" : "no")});
}

// Every key of `defaults`: a reload applies them to the pools.
void add_pool_settings(ResultSet& result, const config::PoolSettings& value, const config::PoolSettings& fallback) {
  using config::format_duration;
  auto setting = [&](const char* key, std::string current, std::string default_value) {
    add_setting(result, key, std::move(current), std::move(default_value), true);
  };
  setting("defaults.pool_mode", std::string(to_string(value.pool_mode)), std::string(to_string(fallback.pool_mode)));
  setting("defaults.pool_size", std::to_string(value.pool_size), std::to_string(fallback.pool_size));
  setting("defaults.min_pool_size", std::to_string(value.min_pool_size), std::to_string(fallback.min_pool_size));
  setting("defaults.reserve_pool_size", std::to_string(value.reserve_pool_size),
          std::to_string(fallback.reserve_pool_size));
  setting("defaults.max_db_connections", std::to_string(value.max_db_connections),
          std::to_string(fallback.max_db_connections));
  setting("defaults.max_prepared_statements", std::to_string(value.max_prepared_statements),
          std::to_string(fallback.max_prepared_statements));
  setting("defaults.session_state", std::string(to_string(value.session_state)),
          std::string(to_string(fallback.session_state)));
  const std::pair<const char*, config::Duration config::PoolSettings::*> durations[] = {
      {"defaults.reserve_pool_timeout", &config::PoolSettings::reserve_pool_timeout},
      {"defaults.statement_timeout", &config::PoolSettings::statement_timeout},
      {"defaults.query_wait_timeout", &config::PoolSettings::query_wait_timeout},
      {"defaults.idle_transaction_timeout", &config::PoolSettings::idle_transaction_timeout},
      {"defaults.client_idle_timeout", &config::PoolSettings::client_idle_timeout},
      {"defaults.client_login_timeout", &config::PoolSettings::client_login_timeout},
      {"defaults.server_idle_timeout", &config::PoolSettings::server_idle_timeout},
      {"defaults.server_lifetime", &config::PoolSettings::server_lifetime},
      {"defaults.server_connect_timeout", &config::PoolSettings::server_connect_timeout},
      {"defaults.server_login_retry", &config::PoolSettings::server_login_retry},
      {"defaults.server_check_delay", &config::PoolSettings::server_check_delay},
  };
  for (const auto& [key, member] : durations) {
    setting(key, format_duration(value.*member), format_duration(fallback.*member));
  }
  setting("defaults.server_check_query", value.server_check_query, fallback.server_check_query);
  setting("defaults.server_reset_query", value.server_reset_query, fallback.server_reset_query);
}

std::string optional_text(const std::optional<std::string>& value) { return value.value_or(""); }

// Paths only, never file contents: the key file's path is not a secret, its bytes are.
void add_tls_settings(ResultSet& result, const config::TlsConfig& tls) {
  const config::TlsConfig fallback;
  add_setting(result, "tls.client.mode", std::string(to_string(tls.client.mode)),
              std::string(to_string(fallback.client.mode)), true);
  add_setting(result, "tls.client.cert", optional_text(tls.client.cert), "", true);
  add_setting(result, "tls.client.key", optional_text(tls.client.key), "", true);
  add_setting(result, "tls.client.ca", optional_text(tls.client.ca), "", true);
  add_setting(result, "tls.server.mode", std::string(to_string(tls.server.mode)),
              std::string(to_string(fallback.server.mode)), true);
  add_setting(result, "tls.server.ca", optional_text(tls.server.ca), "", true);
  add_setting(result, "tls.server.cert", optional_text(tls.server.cert), "", true);
  add_setting(result, "tls.server.key", optional_text(tls.server.key), "", true);
}

// The lookup's user is shown, its password (under users) never is.
void add_auth_query_settings(ResultSet& result, const std::optional<config::AuthQueryConfig>& auth_query) {
  const config::AuthQueryConfig fallback;
  const auto cache_ttl = auth_query ? auth_query->cache_ttl : fallback.cache_ttl;
  add_setting(result, "auth_query.user", auth_query ? auth_query->user : "", "", true);
  add_setting(result, "auth_query.query", auth_query ? auth_query->query : "", "", true);
  add_setting(result, "auth_query.database", auth_query ? optional_text(auth_query->database) : "", "", true);
  add_setting(result, "auth_query.cache_ttl", config::format_duration(cache_ttl),
              config::format_duration(fallback.cache_ttl), true);
}

std::string names_or_all(const std::vector<std::string>& names) { return names.empty() ? "all" : join(names); }

// One row per rule, in pg_hba.conf's column order: type database user address method.
void add_hba_rules(ResultSet& result, const std::vector<auth::HbaRule>& rules) {
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auth::HbaRule& rule = rules[i];
    std::string line = std::string(auth::to_string(rule.type)) + " " + names_or_all(rule.databases) + " " +
                       names_or_all(rule.users) + " " + (rule.address ? auth::format_cidr(*rule.address) : "all") +
                       " " + std::string(auth::to_string(rule.method));
    const std::string key = "hba[" + std::to_string(i) + "]";
    add_setting(result, key.c_str(), std::move(line), "", true);
  }
}

}  // namespace

ResultSet show_config(const AdminSnapshot& snapshot) {
  auto result = with_columns({"key", "value", "default", "changeable"});
  const auto& config = *snapshot.config;
  const config::ProxyConfig fallback;
  add_setting(result, "listen.postgres", addresses(config.listen_postgres), "127.0.0.1:6432", false);
  add_setting(result, "listen.mysql", addresses(config.listen_mysql), "", false);
  add_setting(result, "listen.metrics",
              config.listen_metrics ? config::format_listen_address(*config.listen_metrics) : "", "", false);
  add_setting(result, "workers", std::to_string(config.workers), "auto", false);
  add_setting(result, "max_client_connections", std::to_string(config.max_client_connections),
              std::to_string(fallback.max_client_connections), true);
  add_setting(result, "shutdown_timeout", config::format_duration(config.shutdown_timeout),
              config::format_duration(fallback.shutdown_timeout), true);
  add_setting(result, "auth_type", std::string(to_string(config.auth_type)), std::string(to_string(fallback.auth_type)),
              true);
  add_setting(result, "admin_users", join(config.admin_users), "", true);
  add_setting(result, "stats_users", join(config.stats_users), "", true);
  add_setting(result, "max_packet_size", config::format_byte_size(config.max_packet_size),
              config::format_byte_size(fallback.max_packet_size), true);
  add_setting(result, "log_level", config.log_level, fallback.log_level, true);
  add_setting(result, "log_format", config.log_format, fallback.log_format, false);
  add_pool_settings(result, config.defaults, fallback.defaults);
  add_tls_settings(result, config.tls);
  add_auth_query_settings(result, config.auth_query);
  add_hba_rules(result, config.hba);
  return result;
}

// ---- SHOW LISTS / VERSION / HELP -------------------------------------------------------

}  // namespace sluice::admin
