#include "sluice/app/proxy_server.hpp"

#include <boost/system/system_error.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "sluice/config/loader.hpp"
#include "sluice/session/postgres/pg_server.hpp"
#include "sluice/session/mysql/my_frontend.hpp"
#include "sluice/session/postgres/pg_frontend.hpp"

namespace sluice::app {

namespace {
using std::chrono::milliseconds;
constexpr milliseconds kPoolSweepPeriod{100};
constexpr std::chrono::seconds kStatsLogPeriod{60};
// Past shutdown_timeout, how long the clients stopped then have to receive their error.
constexpr milliseconds kShutdownKillGrace{2000};

// The shortest per-client limit anywhere in the config (0: none is set). The client sweep
// runs ten times per that limit, at most every 10 ms and at least every second: precise
// enough, and 15,000 idle clients under a 60 s limit cost a sweep per second, not ten.
milliseconds shortest_client_limit(const config::ProxyConfig& config) {
  milliseconds shortest{0};
  auto consider = [&](const std::optional<config::Duration>& limit) {
    if (limit && limit->count() > 0 && (shortest.count() == 0 || *limit < shortest)) shortest = *limit;
  };
  auto consider_overrides = [&](const config::PoolOverrides& overrides) {
    consider(overrides.statement_timeout);
    consider(overrides.idle_transaction_timeout);
    consider(overrides.client_idle_timeout);
  };
  consider(config.defaults.statement_timeout);
  consider(config.defaults.idle_transaction_timeout);
  consider(config.defaults.client_idle_timeout);
  for (const auto& [name, database] : config.databases) consider_overrides(database.overrides);
  for (const auto& [name, user] : config.users) consider_overrides(user.overrides);
  return shortest;
}

// tls.client's context for this config: null (and no error) when client TLS is off.
net::TlsContextResult build_client_tls(const config::ProxyConfig& config) {
  if (config.tls.client.mode == config::ClientTlsMode::disable) return {};
  return net::make_client_tls_context(config.tls.client);
}

milliseconds client_sweep_period(const config::ProxyConfig& config) {
  const auto shortest = shortest_client_limit(config);
  if (shortest.count() == 0) return milliseconds{0};
  return std::clamp(shortest / 10, milliseconds{10}, milliseconds{1000});
}
}  // namespace

ProxyServer::ProxyServer(std::string config_path, std::shared_ptr<const config::ProxyConfig> config)
    : config_path_(std::move(config_path)),
      workers_(config->workers),
      io_(workers_.main()),
      config_store_(runtime::make_runtime_config(std::move(config))),
      pools_(connector_factory()),
      auth_query_(connector_factory()),
      context_{config_store_, pools_, cancels_, clients_, registry_, *this, events_},
      signals_(io_, SIGHUP, SIGTERM, SIGINT) {
  // PgBouncer's SIGUSR1 (PAUSE) and SIGUSR2 (RESUME): scripts written for it send them.
  signals_.add(SIGUSR1);
  signals_.add(SIGUSR2);
  // At startup a certificate that cannot be used is fatal, like any invalid config.
  auto client_tls = build_client_tls(*config_store_.current()->config);
  if (!client_tls.ok() && !client_tls.error.empty()) throw std::runtime_error(client_tls.error);
  context_.client_tls.replace(std::move(client_tls));
  if (auto error = build_server_tls(config_store_.current()->config->tls.server, server_tls_); !error.empty()) {
    throw std::runtime_error(error);
  }
  context_.credential_lookup = &auth_query_;
  open_listeners();
  open_metrics_listener();
}

// Sessions still alive when the workers stopped (SIGINT, or past shutdown_timeout) go first,
// while the limits, registry and pools they give their places back to still exist.
ProxyServer::~ProxyServer() { workers_.destroy_pending_handlers(); }

void ProxyServer::open_listeners() {
  const auto config = config_store_.current()->config;
  // A port in use or an address not on this host: say which listen entry, as listen.metrics does.
  const auto listen = [this](const char* key, const config::ListenAddress& address, net::Listener::OnAccept on_accept) {
    const auto shown = config::format_listen_address(address);
    try {
      listeners_.push_back(std::make_unique<net::Listener>(workers_, address, std::move(on_accept)));
    } catch (const boost::system::system_error& error) {
      // Its what() ends in Boost's source location; the operator wants the reason only.
      throw std::runtime_error(std::string(key) + " " + shown + ": cannot listen: " + error.code().message());
    } catch (const std::exception& error) {
      throw std::runtime_error(std::string(key) + " " + shown + ": cannot listen: " + error.what());
    }
    return shown;
  };
  for (const auto& address : config->listen_postgres) {
    const auto shown = listen("listen.postgres", address, [this](WorkerSocket socket) {
      session::ClientSession::start(session::make_postgres_session(std::move(socket), context_));
    });
    spdlog::info("listening for PostgreSQL clients on {}", shown);
  }
  for (const auto& address : config->listen_mysql) {
    const auto shown = listen("listen.mysql", address, [this](WorkerSocket socket) {
      session::ClientSession::start(session::make_mysql_session(std::move(socket), context_));
    });
    spdlog::info("listening for MySQL clients on {}", shown);
  }
}

// listen.metrics: Prometheus scrapes /metrics there. A reload does not move it.
void ProxyServer::open_metrics_listener() {
  const auto address = config_store_.current()->config->listen_metrics;
  if (!address) return;
  auto collector = std::make_shared<metrics::Collector>(config_store_, pools_, registry_, events_);
  metrics_exposer_ = std::make_unique<metrics::MetricsExposer>(*address, std::move(collector));
}

int ProxyServer::run() {
  for (auto& listener : listeners_) listener->start();
  asio::co_spawn(io_, handle_signals(), asio::detached);
  asio::co_spawn(io_, run_janitor(), asio::detached);
  notifier_.ready();  // listeners are bound (in the constructor): clients can connect

  workers_.run();
  spdlog::info("sluice stopped");
  return 0;
}

awaitable<void> ProxyServer::handle_signals() {
  for (;;) {
    auto [error, signal] = co_await signals_.async_wait(use_nothrow);
    if (error) co_return;
    if (signal == SIGHUP) {
      reload();
    } else if (signal == SIGTERM) {
      spdlog::info("SIGTERM: draining");
      asio::co_spawn(io_, drain(), asio::detached);
    } else if (signal == SIGUSR1) {
      // As the console's PAUSE, without waiting for an answer: new transactions queue.
      if (!pools_.paused(std::nullopt)) pools_.pause(std::nullopt);
      spdlog::info("SIGUSR1: PAUSE (all databases) until SIGUSR2 or RESUME");
    } else if (signal == SIGUSR2) {
      if (pools_.paused(std::nullopt)) pools_.resume(std::nullopt);
      spdlog::info("SIGUSR2: RESUME (all databases)");
    } else {
      spdlog::info("SIGINT: stopping now");
      workers_.stop();
      co_return;
    }
  }
}

// An invalid file changes nothing: the running config stays, the errors are logged.
void ProxyServer::shutdown() {
  asio::post(io_, [this] { asio::co_spawn(io_, drain(), asio::detached); });
}

runtime::ReloadResult ProxyServer::reload() {
  notifier_.reloading();
  auto result = apply_config_file();
  notifier_.ready();
  return result;
}

runtime::ReloadResult ProxyServer::apply_config_file() {
  auto loaded = config::load_config_file(config_path_);
  if (!loaded.ok()) {
    runtime::ReloadResult rejected;
    for (const auto& error : loaded.errors) {
      rejected.errors.push_back(config::format_error(error));
      spdlog::error("reload rejected: {}", rejected.errors.back());
    }
    events_.count_reload(false);
    return rejected;
  }
  // Certificates are read again on every reload, both sides before either is installed. A
  // broken one rejects the reload like any invalid file: the old contexts (and config) stay.
  auto client_tls = build_client_tls(*loaded.config);
  if (!client_tls.ok() && !client_tls.error.empty()) {
    runtime::ReloadResult rejected;
    rejected.errors.push_back(config_path_ + ": " + client_tls.error);
    spdlog::error("reload rejected, keeping the current certificate: {}", rejected.errors.back());
    events_.count_reload(false);
    return rejected;
  }
  ServerTls fresh_tls;
  if (auto error = build_server_tls(loaded.config->tls.server, fresh_tls); !error.empty()) {
    spdlog::error("reload rejected: {}", error);  // the running backend TLS settings stay
    events_.count_reload(false);
    return runtime::ReloadResult{{error}};
  }
  if (client_tls.ok()) context_.client_tls.replace(std::move(client_tls));
  {
    std::lock_guard lock(server_tls_mutex_);
    server_tls_ = std::move(fresh_tls);
  }
  const auto config = keep_start_only_settings(*loaded.config);
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  pools_.apply(*config);
  auth_query_.apply(*config);
  config_store_.install(runtime::make_runtime_config(config));
  spdlog::info("configuration reloaded from {}", config_path_);
  events_.count_reload(true);
  return {};
}

// The listeners are bound, the workers started and the log format set once, at start: a reload
// that changes them says so, and keeps the running values, so SHOW CONFIG shows what is in force.
std::shared_ptr<const config::ProxyConfig> ProxyServer::keep_start_only_settings(
    const config::ProxyConfig& loaded) const {
  auto fresh = std::make_shared<config::ProxyConfig>(loaded);
  const auto& running = *config_store_.current()->config;
  const auto keep = [](auto& value, const auto& current, std::string_view key) {
    if (value == current) return;
    spdlog::warn("reload: {} changed in the file; it takes effect at the next start (the running value stays)", key);
    value = current;
  };
  keep(fresh->listen_postgres, running.listen_postgres, "listen.postgres");
  keep(fresh->listen_mysql, running.listen_mysql, "listen.mysql");
  keep(fresh->listen_metrics, running.listen_metrics, "listen.metrics");
  keep(fresh->workers, running.workers, "workers");
  keep(fresh->log_format, running.log_format, "log_format");
  return fresh;
}

// Every backend, the clients' and auth_query's, gets the TLS settings in force when it opens.
pool::PoolRegistry::ConnectorFactory ProxyServer::connector_factory() {
  return [this](const config::DatabaseConfig& database, const config::UserConfig* user, const std::string& user_name,
                const config::PoolSettings& settings) {
    return make_connector(database, user, user_name, settings, server_tls());
  };
}

ServerTls ProxyServer::server_tls() const {
  std::lock_guard lock(server_tls_mutex_);
  return server_tls_;
}

void ProxyServer::stop_listeners() {
  for (auto& listener : listeners_) listener->stop();
}

// SIGTERM: stop accepting, let clients finish within shutdown_timeout, then stop.
awaitable<void> ProxyServer::drain() {
  notifier_.stopping();
  context_.shutting_down = true;
  stop_listeners();
  for (const auto& client : registry_.clients()) {
    client->request_stop(Failure{"shutdown", "", "sluice is shutting down"});
  }
  const auto timeout = config_store_.current()->config->shutdown_timeout;
  const auto deadline = Clock::now() + timeout;
  asio::steady_timer tick(io_);
  while (clients_.total() > 0 && (timeout.count() == 0 || Clock::now() < deadline)) {
    tick.expires_after(std::chrono::milliseconds(50));
    co_await tick.async_wait(use_nothrow);
  }
  if (clients_.total() > 0) {
    // shutdown_timeout is over: whoever is still in a transaction is stopped now, and gets
    // the same error (57P01 / 1053) and log line as a client stopped between transactions.
    for (const auto& client : registry_.clients()) {
      client->kill(Failure{"shutdown", "", "sluice is shutting down"});
    }
    const auto grace = Clock::now() + kShutdownKillGrace;
    while (clients_.total() > 0 && Clock::now() < grace) {
      tick.expires_after(std::chrono::milliseconds(10));
      co_await tick.async_wait(use_nothrow);
    }
  }
  workers_.stop();
}

// One sweep for every pool's idle and lifetime limits.
// One sweep for every pool's limits, and (only when a per-client limit is set) one visit
// of every client's SessionClock: no client has a timer of its own.
awaitable<void> ProxyServer::run_janitor() {
  asio::steady_timer tick(io_);
  TimePoint next_pool_sweep = Clock::now();
  TimePoint next_client_sweep = Clock::now();
  TimePoint next_stats_log = Clock::now() + kStatsLogPeriod;
  for (;;) {
    const auto client_period = client_sweep_period(*config_store_.current()->config);
    const auto period = client_period.count() > 0 ? std::min(client_period, kPoolSweepPeriod) : kPoolSweepPeriod;
    tick.expires_after(period);
    auto [error] = co_await tick.async_wait(use_nothrow);
    if (error) co_return;
    const auto now = Clock::now();
    if (now >= next_pool_sweep) {
      pools_.sweep(now, io_.get_executor());
      auth_query_.sweep(now);
      next_pool_sweep = now + kPoolSweepPeriod;
    }
    if (now >= next_stats_log) {
      log_pool_stats();
      next_stats_log = now + kStatsLogPeriod;
    }
    if (client_period.count() > 0 && now >= next_client_sweep) {
      registry_.for_each([now](runtime::ClientHandle& client) { client.check_timeouts(now); });
      next_client_sweep = now + client_period;
    }
  }
}

// One line per pool per minute: what it did since the last line and how full it is now.
void ProxyServer::log_pool_stats() {
  for (const auto& pool : pools_.pools()) {
    auto& stats = pool->stats();
    const auto counts = pool->counts();
    const std::uint64_t transactions = stats.transactions.load(std::memory_order_relaxed);
    const std::uint64_t queries = stats.queries.load(std::memory_order_relaxed);
    const std::uint64_t wait_us = stats.wait_time_us.load(std::memory_order_relaxed);
    const std::uint64_t acquisitions = stats.acquisitions.load(std::memory_order_relaxed);
    auto& last = last_logged_[pool->key()];
    const auto new_acquisitions = acquisitions - last.acquisitions;
    spdlog::info(
        "stats: database={} user={} xacts={} queries={} avg_wait_us={} servers_active={} servers_idle={} "
        "clients_waiting={}",
        pool->key().database, pool->key().user, transactions - last.transactions, queries - last.queries,
        new_acquisitions ? (wait_us - last.wait_us) / new_acquisitions : 0, counts.active, counts.idle,
        counts.waiting);
    last = {transactions, queries, wait_us, acquisitions};
  }
}

}  // namespace sluice::app
