// The statistics views: SHOW STATS, STATS_TOTALS, STATS_AVERAGES and TOTALS (PgBouncer's
// columns, typed as its), and the DNS views PgBouncer has and Sluice leaves empty.
#include <map>

#include "sluice/admin/show_views.hpp"
#include "result_building.hpp"

namespace sluice::admin {

// ---- SHOW STATS ------------------------------------------------------------------------

namespace {

struct DatabaseStats {
  StatsTotals totals;
  std::uint64_t servers_opened = 0;
  std::uint64_t server_connect_failures = 0;
  std::uint64_t servers_closed = 0;
};

std::map<std::string, DatabaseStats> stats_per_database(const AdminSnapshot& snapshot) {
  std::map<std::string, DatabaseStats> per_database;
  for (const auto& pool : snapshot.pools) {
    auto& stats = per_database[pool.key.database];
    stats.totals += pool.totals;
    stats.servers_opened += pool.servers_opened;
    stats.server_connect_failures += pool.server_connect_failures;
    stats.servers_closed += pool.servers_closed;
  }
  return per_database;
}

StatsRates averages_of(const AdminSnapshot& snapshot, const std::string& database, const StatsTotals& totals) {
  return snapshot.averages ? snapshot.averages->update(database, totals, snapshot.now) : StatsRates{};
}

// total_* in PgBouncer's order.
void append_totals(Row& row, const StatsTotals& totals) {
  for (auto value : {totals.server_assignments, totals.transactions, totals.queries, totals.received, totals.sent,
                     totals.transaction_time_us, totals.query_time_us, totals.wait_time_us, totals.client_parses,
                     totals.server_parses, totals.binds, totals.client_connects}) {
    row.push_back(number(value));
  }
}

void append_averages(Row& row, const StatsRates& rates) {
  for (auto value : {rates.server_assignments, rates.transactions, rates.queries, rates.received, rates.sent,
                     rates.transaction_time_us, rates.query_time_us, rates.wait_time_us, rates.client_parses,
                     rates.server_parses, rates.binds, rates.client_connects}) {
    row.push_back(number(value));
  }
}

}  // namespace

ResultSet show_stats(const AdminSnapshot& snapshot) {
  auto result = with_columns({"database"});
  add_columns(
      result, ColumnType::numeric,
      {"total_server_assignment_count", "total_xact_count", "total_query_count", "total_received",
       "total_sent", "total_xact_time", "total_query_time", "total_wait_time", "total_client_parse_count",
       "total_server_parse_count", "total_bind_count", "total_client_connect_count", "avg_server_assignment_count",
       "avg_xact_count", "avg_query_count", "avg_recv", "avg_sent", "avg_xact_time", "avg_query_time",
       "avg_wait_time", "avg_client_parse_count", "avg_server_parse_count", "avg_bind_count",
       "avg_client_connect_count",
       // Sluice's own: backend lifecycle counters.
       "total_server_open_count", "total_server_login_failure_count", "total_server_close_count",
       // PgBouncer's name for total_query_count before 1.8, last: Debian's prometheus-pgbouncer-exporter
       // (1.7) reads it by name.
       "total_requests"});
  for (const auto& [database, stats] : stats_per_database(snapshot)) {
    Row row{text(database)};
    append_totals(row, stats.totals);
    append_averages(row, averages_of(snapshot, database, stats.totals));
    for (auto value : {stats.servers_opened, stats.server_connect_failures, stats.servers_closed}) {
      row.push_back(number(value));
    }
    row.push_back(number(stats.totals.queries));
    result.rows.push_back(std::move(row));
  }
  return result;
}

namespace {
ResultSet with_stats_part_columns() {
  auto result = with_columns({"database"});
  add_columns(result, ColumnType::numeric,
              {"server_assignment_count", "xact_count", "query_count", "bytes_received", "bytes_sent", "xact_time",
               "query_time", "wait_time", "client_parse_count", "server_parse_count", "bind_count",
               "client_connect_count"});
  return result;
}
}

ResultSet show_stats_totals(const AdminSnapshot& snapshot) {
  auto result = with_stats_part_columns();
  for (const auto& [database, stats] : stats_per_database(snapshot)) {
    Row row{text(database)};
    append_totals(row, stats.totals);
    result.rows.push_back(std::move(row));
  }
  return result;
}

ResultSet show_stats_averages(const AdminSnapshot& snapshot) {
  auto result = with_stats_part_columns();
  for (const auto& [database, stats] : stats_per_database(snapshot)) {
    Row row{text(database)};
    append_averages(row, averages_of(snapshot, database, stats.totals));
    result.rows.push_back(std::move(row));
  }
  return result;
}

// PgBouncer's name/value list: every database's totals summed, and their rates ("" is the key
// StatsAverages keeps the sum's windows under: no database has that name).
ResultSet show_totals(const AdminSnapshot& snapshot) {
  auto result = with_columns({"name"});
  add_columns(result, ColumnType::numeric, {"value"});
  StatsTotals sum;
  for (const auto& [database, stats] : stats_per_database(snapshot)) sum += stats.totals;
  const StatsRates rates = averages_of(snapshot, "", sum);
  const std::pair<const char*, std::uint64_t> rows[] = {
      {"total_server_assignment_count", sum.server_assignments},
      {"total_xact_count", sum.transactions},
      {"total_query_count", sum.queries},
      {"total_received", sum.received},
      {"total_sent", sum.sent},
      {"total_xact_time", sum.transaction_time_us},
      {"total_query_time", sum.query_time_us},
      {"total_wait_time", sum.wait_time_us},
      {"total_client_parse_count", sum.client_parses},
      {"total_server_parse_count", sum.server_parses},
      {"total_bind_count", sum.binds},
      {"total_client_connect_count", sum.client_connects},
      {"avg_server_assignment_count", rates.server_assignments},
      {"avg_xact_count", rates.transactions},
      {"avg_query_count", rates.queries},
      {"avg_recv", rates.received},
      {"avg_sent", rates.sent},
      {"avg_xact_time", rates.transaction_time_us},
      {"avg_query_time", rates.query_time_us},
      {"avg_wait_time", rates.wait_time_us},
      {"avg_client_parse_count", rates.client_parses},
      {"avg_server_parse_count", rates.server_parses},
      {"avg_bind_count", rates.binds},
      {"avg_client_connect_count", rates.client_connects},
  };
  for (const auto& [name, value] : rows) result.rows.push_back({text(name), number(value)});
  return result;
}

// Backend hosts are resolved at each connect, never cached: PgBouncer's DNS views are empty.
ResultSet show_dns_hosts(const AdminSnapshot&) {
  auto result = with_columns({"hostname"});
  add_columns(result, ColumnType::int8, {"ttl"});
  add_columns(result, ColumnType::text, {"addrs"});
  return result;
}

ResultSet show_dns_zones(const AdminSnapshot&) {
  auto result = with_columns({"zonename"});
  add_columns(result, ColumnType::int8, {"serial"});
  add_columns(result, ColumnType::int4, {"count"});
  return result;
}

}  // namespace sluice::admin
