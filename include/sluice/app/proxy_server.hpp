#pragma once
// Wires the daemon together: worker threads, listeners, the shared context, the janitor,
// and the signals that reload (SIGHUP), drain (SIGTERM) or stop (SIGINT) it.
#include <map>
#include <mutex>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sluice/app/systemd_notify.hpp"
#include "sluice/config/proxy_config.hpp"
#include "sluice/core/asio.hpp"
#include "sluice/metrics/event_metrics.hpp"
#include "sluice/metrics/metrics_exposer.hpp"
#include "sluice/net/io_workers.hpp"
#include "sluice/net/listener.hpp"
#include "sluice/net/tls_context.hpp"
#include "sluice/pool/pool_registry.hpp"
#include "sluice/runtime/proxy_context.hpp"
#include "sluice/session/postgres/pg_auth_query.hpp"

namespace sluice::app {

// tls.server as last loaded: the mode and the context new PostgreSQL backends get. Rebuilt on
// every load and reload (certificate files may have been replaced under the same names).
struct ServerTls {
  config::ServerTlsMode mode = config::ServerTlsMode::disable;
  net::TlsContextPtr context;
};

// Builds the ServerTls of `settings`; "" or the reason it cannot (a file, a key that does not match).
std::string build_server_tls(const config::ServerTlsConfig& settings, ServerTls& built);

class ProxyServer : public runtime::ProxyControl {
 public:
  ProxyServer(std::string config_path, std::shared_ptr<const config::ProxyConfig> config);
  ~ProxyServer() override;

  // Runs until stopped by a signal; returns the process exit code.
  int run();

 private:
  void open_listeners();
  void open_metrics_listener();
  awaitable<void> handle_signals();
  awaitable<void> run_janitor();
  awaitable<void> drain();
  runtime::ReloadResult reload() override;
  runtime::ReloadResult apply_config_file();
  // What a reload cannot change (listeners, workers, log format) keeps its running value.
  std::shared_ptr<const config::ProxyConfig> keep_start_only_settings(const config::ProxyConfig& loaded) const;
  void log_pool_stats();
  void shutdown() override;
  void stop_listeners();
  ServerTls server_tls() const;
  pool::PoolRegistry::ConnectorFactory connector_factory();

  const std::string config_path_;
  net::IoWorkers workers_;
  asio::io_context& io_;  // workers_.main(): listeners, signals, the janitor, the drain
  mutable std::mutex server_tls_mutex_;  // a copy or a swap only: read per new pool or reload
  ServerTls server_tls_;
  runtime::ConfigStore config_store_;
  pool::PoolRegistry pools_;
  session::PgAuthQuery auth_query_;  // users not in `users`; pools of its own
  runtime::CancelRegistry cancels_;
  runtime::ClientLimits clients_;
  runtime::ClientRegistry registry_;
  metrics::EventMetrics events_;
  runtime::ProxyContext context_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  asio::signal_set signals_;
  SystemdNotifier notifier_;
  struct LoggedTotals {
    std::uint64_t transactions = 0, queries = 0, wait_us = 0, acquisitions = 0;
  };
  std::map<pool::PoolKey, LoggedTotals> last_logged_;  // janitor only
  std::unique_ptr<metrics::MetricsExposer> metrics_exposer_;  // last: stops scraping before the rest goes
};

// One per protocol (connector_factory.cpp).
std::shared_ptr<pool::ServerConnector> make_postgres_connector(const config::DatabaseConfig& database,
                                                               const config::UserConfig* user,
                                                               const std::string& user_name,
                                                               const config::PoolSettings& settings,
                                                               const ServerTls& tls);

std::shared_ptr<pool::ServerConnector> make_mysql_connector(const config::DatabaseConfig& database,
                                                            const config::UserConfig* user,
                                                            const std::string& user_name,
                                                            const config::PoolSettings& settings,
                                                            const ServerTls& tls);
// The pools' ConnectorFactory: by the database's `protocol` (connector_factory.cpp).
std::shared_ptr<pool::ServerConnector> make_connector(const config::DatabaseConfig& database,
                                                      const config::UserConfig* user, const std::string& user_name,
                                                      const config::PoolSettings& settings, const ServerTls& tls);

}  // namespace sluice::app
