#pragma once
// Every metric Sluice exports, declared once, here. Names follow the Prometheus conventions:
// `sluice_` prefix, base units in the name (`_seconds`, `_bytes`), `_total` on counters.
// Labels are bounded: database and user name a pool (a configured database and a user
// that has logged in), state/reason/kind/result take values from fixed lists. Nothing is
// labelled per client, per address or per backend.
//
// Columns: id, type, name, labels (space separated), help.
#include <array>
#include <cstddef>
#include <string_view>
#include <vector>

#include <prometheus/metric_type.h>

// clang-format off
#define SLUICE_METRIC_FAMILIES(X)                                                                                  \
  /* Clients: state, read from the client registry at scrape time. */                                             \
  X(client_connections, Gauge, "sluice_client_connections", "database user state",                                 \
    "Client connections of a pool by state: active (holds a backend), waiting (queued for one), idle (holds none)") \
  X(client_connections_login, Gauge, "sluice_client_connections_login", "",                                        \
    "Client connections still in startup or authentication (not yet counted in a pool)")                          \
  X(client_connections_max, Gauge, "sluice_client_connections_max", "",                                            \
    "Configured max_client_connections: the global cap on client connections (0 = none)")                        \
  X(client_wait_longest_seconds, Gauge, "sluice_client_wait_longest_seconds", "database user",                     \
    "How long the longest-waiting client of the pool has been waiting for a backend (0 when none waits)")         \
  X(clients_pinned, Gauge, "sluice_clients_pinned", "reason",                                                      \
    "Clients that keep their backend between transactions because of session state that cannot move, by the "    \
    "first kind they hold (listen, temporary_objects, advisory_lock, hold_cursor, sql_prepared_statement, unknown)") \
  /* Backends and pool configuration: state, read from the pools at scrape time. */                               \
  X(server_connections, Gauge, "sluice_server_connections", "database user state",                                 \
    "Backend connections of a pool by state: active (leased to a client), idle, login (connecting and "            \
    "logging in); used and tested are PgBouncer's states, 0 here: Sluice checks and resets backends while leased") \
  X(pool_size, Gauge, "sluice_pool_size", "database user",                                                         \
    "Configured pool_size: the most backends the pool opens")                                                      \
  X(pool_min_size, Gauge, "sluice_pool_min_size", "database user",                                                 \
    "Configured min_pool_size: backends kept open and warm")                                                       \
  X(pool_reserve_size, Gauge, "sluice_pool_reserve_size", "database user",                                         \
    "Configured reserve_pool_size: extra backends for clients that waited reserve_pool_timeout")                   \
  X(pool_paused, Gauge, "sluice_pool_paused", "database user",                                                     \
    "1 while the pool is paused by the admin console (PAUSE), else 0")                                             \
  X(database_server_connections, Gauge, "sluice_database_server_connections", "database",                          \
    "Backend connections to the database across all its pools (counted against max_db_connections)")              \
  X(database_server_connections_max, Gauge, "sluice_database_server_connections_max", "database",                  \
    "Configured max_db_connections for the database (0 = no cap)")                                                 \
  X(user_server_connections, Gauge, "sluice_user_server_connections", "user",                                      \
    "Backend connections of the user across all databases (counted against max_user_connections)")                \
  X(user_server_connections_max, Gauge, "sluice_user_server_connections_max", "user",                              \
    "Configured max_user_connections for the user (0 = no cap)")                                                   \
  /* Pool counters: cumulative, kept by the pools themselves. */                                                   \
  X(transactions_total, Counter, "sluice_transactions_total", "database user",                                     \
    "Transactions ended: each lease returned in transaction mode, each transaction on a backend kept by its client") \
  X(queries_total, Counter, "sluice_queries_total", "database user",                                               \
    "Queries (Query and Sync round trips) completed")                                                               \
  X(query_duration_seconds_total, Counter, "sluice_query_duration_seconds_total", "database user",                 \
    "Time from a Query or Sync sent to its ReadyForQuery, summed over completed queries")                          \
  X(client_received_bytes_total, Counter, "sluice_client_received_bytes_total", "database user",                   \
    "Bytes received from clients and relayed to backends")                                                          \
  X(client_sent_bytes_total, Counter, "sluice_client_sent_bytes_total", "database user",                           \
    "Bytes sent to clients from backends")                                                                          \
  X(server_connections_opened_total, Counter, "sluice_server_connections_opened_total", "database user",           \
    "Backend connections opened and logged in")                                                                     \
  X(client_parses_total, Counter, "sluice_client_parses_total", "database user",                                   \
    "Prepared statements created by clients (named Parse, COM_STMT_PREPARE) in transaction or statement mode")     \
  X(server_parses_total, Counter, "sluice_server_parses_total", "database user",                                   \
    "Prepared statements Sluice prepared on backends, the clients' own and those prepared again elsewhere")       \
  X(binds_total, Counter, "sluice_binds_total", "database user",                                                   \
    "Prepared statement executions (Bind of a named statement, COM_STMT_EXECUTE)")                                  \
  X(client_logins_total, Counter, "sluice_client_logins_total", "database user",                                   \
    "Clients that logged in to the pool")                                                                           \
  X(server_connections_closed_total, Counter, "sluice_server_connections_closed_total", "database user reason",    \
    "Backend connections closed, by reason (login_failed counts failed connects and logins)")                      \
  /* Events: recorded by sessions and the app as they happen (EventMetrics). */                                   \
  X(client_wait_seconds, Histogram, "sluice_client_wait_seconds", "database user",                                 \
    "Time clients waited for a backend before they got one")                                                        \
  X(transaction_duration_seconds, Histogram, "sluice_transaction_duration_seconds", "database user",               \
    "Time a client held a backend: one transaction in transaction mode, one session in session mode")              \
  X(client_disconnects_total, Counter, "sluice_client_disconnects_total", "reason",                                 \
    "Client connections ended, by reason (the config key that tripped, or a fixed word)")                          \
  X(timeouts_total, Counter, "sluice_timeouts_total", "kind",                                                        \
    "Timeouts that fired, by the config key that tripped")                                                          \
  X(refusals_total, Counter, "sluice_refusals_total", "kind",                                                       \
    "Clients refused because a cap was reached, by the config key of the cap")                                     \
  X(config_reloads_total, Counter, "sluice_config_reloads_total", "result",                                         \
    "Configuration reloads (SIGHUP or RELOAD), by result: success or failure (the running config stays)")          \
  X(config_last_reload_successful, Gauge, "sluice_config_last_reload_successful", "",                               \
    "1 if the last configuration reload succeeded (or none was tried), 0 if it was rejected")                      \
  X(build_info, Gauge, "sluice_build_info", "version",                                                              \
    "Always 1; the version label says which Sluice is running")
// clang-format on

namespace sluice::metrics {

enum class Family {
#define SLUICE_METRIC_ID(id, type, name, labels, help) id,
  SLUICE_METRIC_FAMILIES(SLUICE_METRIC_ID)
#undef SLUICE_METRIC_ID
      count_
};

struct FamilySpec {
  Family id;
  prometheus::MetricType type;
  std::string_view name;
  std::string_view labels;  // label names, space separated
  std::string_view help;
};

inline constexpr std::array<FamilySpec, static_cast<std::size_t>(Family::count_)> kFamilies{{
#define SLUICE_METRIC_SPEC(id, type, name, labels, help) \
  {Family::id, prometheus::MetricType::type, name, labels, help},
    SLUICE_METRIC_FAMILIES(SLUICE_METRIC_SPEC)
#undef SLUICE_METRIC_SPEC
}};

inline const FamilySpec& spec(Family id) { return kFamilies[static_cast<std::size_t>(id)]; }

// The label names of a family, in order.
std::vector<std::string_view> label_names(const FamilySpec& spec);

// The only label names any family may use: each takes values from a bounded set.
inline constexpr std::array<std::string_view, 7> kBoundedLabels{
    "database", "user", "state", "reason", "kind", "result", "version"};

}  // namespace sluice::metrics
