// The SHOW views against hand-built snapshots: PgBouncer's columns in its order, then
// Sluice's; every row as wide as the header; the values where they can be checked.
#include <catch2/catch.hpp>

#include <charconv>
#include <cstdint>
#include <map>
#include <vector>

#include "sluice/admin/show_views.hpp"

using namespace sluice;
using namespace std::chrono_literals;
using admin::AdminSnapshot;
using admin::ResultSet;

namespace {

std::shared_ptr<config::ProxyConfig> sample_config() {
  auto config = std::make_shared<config::ProxyConfig>();
  config->listen_postgres = {{"127.0.0.1", 6432}};
  config->workers = 2;
  config->admin_users = {"admin"};
  config->stats_users = {"monitor"};
  config::DatabaseConfig app;
  app.name = "app";
  app.host = "10.0.0.5";
  app.port = 5433;
  app.overrides.pool_mode = config::PoolMode::session;
  app.overrides.reserve_pool_size = 4;
  config->databases["app"] = app;
  config::DatabaseConfig forced;
  forced.name = "reports";
  forced.dbname = "reporting";
  forced.user = "reporter";
  config->databases["reports"] = forced;
  config::UserConfig alice;
  alice.name = "alice";
  alice.max_user_connections = 7;
  alice.overrides.pool_size = 3;
  config->users["alice"] = alice;
  config->users["admin"] = config::UserConfig{"admin", std::nullopt, 0, 0, {}};
  return config;
}

runtime::ClientSnapshot client(std::uint64_t id, std::string user, std::string database, runtime::ClientState state) {
  runtime::ClientSnapshot snapshot;
  snapshot.id = id;
  snapshot.protocol = "postgres";
  snapshot.user = std::move(user);
  snapshot.database = std::move(database);
  snapshot.address = "127.0.0.1";
  snapshot.port = static_cast<std::uint16_t>(40000 + id);
  snapshot.state = state;
  return snapshot;
}

// Pool app/alice: one active backend held by client 2, one idle; client 3 waits 2.5 s;
// client 4 is an idle admin console session; client 5 is still logging in.
AdminSnapshot sample_snapshot() {
  AdminSnapshot snapshot;
  snapshot.config = sample_config();
  snapshot.now = TimePoint{} + 1000s;
  snapshot.wall_now = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 50);
  admin::PoolView pool;
  pool.key = {"app", "alice"};
  pool.counts.active = 1;
  pool.counts.idle = 1;
  pool.settings.pool_mode = config::PoolMode::session;
  pool.settings.pool_size = 3;
  pool.servers = {{1, pool::ServerState::active, snapshot.now - 100s, snapshot.now - 1s, false, 4242},
                  {2, pool::ServerState::idle, snapshot.now - 50s, snapshot.now - 5s, true, 4343}};
  pool.totals.transactions = 10;
  pool.totals.queries = 20;
  pool.servers_opened = 2;
  pool.database_connections = 2;
  pool.user_connections = 2;
  snapshot.pools.push_back(pool);

  auto active = client(2, "alice", "app", runtime::ClientState::active);
  active.server_id = 1;
  active.server_process_id = 4242;
  active.application_name = "billing";
  active.transaction_since = snapshot.now - 1500ms;
  auto waiting = client(3, "alice", "app", runtime::ClientState::waiting);
  waiting.state_since = snapshot.now - 2500ms;
  snapshot.clients = {active, waiting, client(4, "admin", "pgbouncer", runtime::ClientState::idle),
                      client(5, "", "", runtime::ClientState::login)};
  for (auto& c : snapshot.clients) {
    if (c.state != runtime::ClientState::waiting) c.state_since = snapshot.now - 1s;
  }
  return snapshot;
}

// Every column is typed, and every value of a numeric column reads as its type: a driver
// converts it (psycopg: int, Decimal) and fails on anything else.
void check_types(const ResultSet& result) {
  REQUIRE(result.column_types.size() == result.columns.size());
  for (const auto& row : result.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const auto type = result.column_type(i);
      if (!row[i] || type == admin::ColumnType::text) continue;
      INFO(result.columns[i] << " = " << *row[i]);
      std::int64_t number = 0;
      const auto* end = row[i]->data() + row[i]->size();
      const auto [stop, error] = std::from_chars(row[i]->data(), end, number);
      CHECK((error == std::errc() && stop == end));
      if (type == admin::ColumnType::int4) CHECK((number >= INT32_MIN && number <= INT32_MAX));
    }
  }
}

void check_prefix(const ResultSet& result, const std::vector<std::string>& pgbouncer_columns) {
  REQUIRE(result.columns.size() >= pgbouncer_columns.size());
  for (std::size_t i = 0; i < pgbouncer_columns.size(); ++i) {
    INFO("column " << i);
    CHECK(result.columns[i] == pgbouncer_columns[i]);
  }
  CHECK(result.command_tag == "SHOW");
  for (const auto& row : result.rows) CHECK(row.size() == result.columns.size());
  check_types(result);
}

std::string value(const ResultSet& result, std::size_t row, const std::string& column) {
  const int index = result.column_index(column);
  REQUIRE(index >= 0);
  REQUIRE(row < result.rows.size());
  const auto& cell = result.rows[row][static_cast<std::size_t>(index)];
  return cell ? *cell : "NULL";
}

const std::vector<std::string> kSocketColumns = {
    "type",         "user", "database", "replication", "state",     "addr",  "port",
    "local_addr",   "local_port",       "connect_time", "request_time", "wait", "wait_us",
    "close_needed", "ptr",  "link",     "remote_pid",  "tls",       "application_name", "prepared_statements",
    "id"};

}  // namespace

TEST_CASE("SHOW POOLS: PgBouncer's columns and the pool's counts", "[admin]") {
  const auto result = admin::show_pools(sample_snapshot());
  check_prefix(result, {"database", "user", "cl_active", "cl_waiting", "cl_active_cancel_req",
                        "cl_waiting_cancel_req", "sv_active", "sv_active_cancel", "sv_being_canceled", "sv_idle",
                        "sv_used", "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode",
                        "load_balance_hosts"});
  REQUIRE(result.rows.size() == 1);
  CHECK(value(result, 0, "database") == "app");
  CHECK(value(result, 0, "user") == "alice");
  CHECK(result.column_type(static_cast<std::size_t>(result.column_index("cl_active"))) == admin::ColumnType::int4);
  CHECK(value(result, 0, "cl_active") == "1");
  CHECK(value(result, 0, "cl_waiting") == "1");
  CHECK(value(result, 0, "sv_active") == "1");
  CHECK(value(result, 0, "sv_idle") == "1");
  CHECK(value(result, 0, "maxwait") == "2");
  CHECK(value(result, 0, "maxwait_us") == "500000");
  CHECK(value(result, 0, "pool_mode") == "session");
  CHECK(value(result, 0, "paused") == "0");
  CHECK(value(result, 0, "protocol") == "postgres");
}

TEST_CASE("SHOW CLIENTS: every client, its wait, its transaction and the backend it holds", "[admin]") {
  const auto result = admin::show_clients(sample_snapshot());
  check_prefix(result, kSocketColumns);
  REQUIRE(result.rows.size() == 4);
  CHECK(value(result, 0, "type") == "C");
  CHECK(value(result, 0, "state") == "active");
  CHECK(value(result, 0, "application_name") == "billing");
  CHECK(value(result, 0, "addr") == "127.0.0.1");
  CHECK(value(result, 0, "port") == "40002");
  CHECK(value(result, 0, "link") == "s1:app/alice");
  CHECK(value(result, 0, "server_pid") == "4242");
  CHECK(value(result, 0, "xact_age_us") == "1500000");
  CHECK(value(result, 1, "state") == "waiting");
  CHECK(value(result, 1, "wait") == "2");
  CHECK(value(result, 1, "wait_us") == "500000");
  CHECK(value(result, 1, "link") == "");
  CHECK(value(result, 1, "xact_age_us") == "NULL");
  CHECK(value(result, 2, "database") == "pgbouncer");
  CHECK(value(result, 3, "user") == "(nouser)");
  CHECK(value(result, 3, "state") == "login");
  CHECK(value(result, 0, "connect_time").size() == std::string("2019-12-24 00:00:00 UTC").size());
}

TEST_CASE("SHOW SERVERS: every backend with its client and process id", "[admin]") {
  const auto result = admin::show_servers(sample_snapshot());
  check_prefix(result, kSocketColumns);
  REQUIRE(result.rows.size() == 2);
  CHECK(value(result, 0, "type") == "S");
  CHECK(value(result, 0, "state") == "active");
  CHECK(value(result, 0, "addr") == "10.0.0.5");
  CHECK(value(result, 0, "port") == "5433");
  CHECK(value(result, 0, "remote_pid") == "4242");
  CHECK(value(result, 0, "ptr") == "s1:app/alice");
  CHECK(value(result, 0, "link") == "c2");
  CHECK(value(result, 0, "application_name") == "billing");
  CHECK(value(result, 1, "state") == "idle");
  CHECK(value(result, 1, "close_needed") == "1");
  CHECK(value(result, 1, "link") == "");
}

TEST_CASE("SHOW SERVERS: a backend's own address wins over the config's (a reload may have moved the pool)",
          "[admin][reload]") {
  auto snapshot = sample_snapshot();
  snapshot.pools[0].servers[1].remote_endpoint = tcp::endpoint(asio::ip::make_address("10.0.0.4"), 5432);
  const auto result = admin::show_servers(snapshot);
  REQUIRE(result.rows.size() == 2);
  CHECK(value(result, 0, "addr") == "10.0.0.5");  // no endpoint known: the config's
  CHECK(value(result, 0, "port") == "5433");
  CHECK(value(result, 1, "addr") == "10.0.0.4");  // where it logged in
  CHECK(value(result, 1, "port") == "5432");
}

TEST_CASE("SHOW STATS: PgBouncer's totals and averages per database", "[admin]") {
  auto snapshot = sample_snapshot();
  admin::StatsAverages averages;
  snapshot.averages = &averages;
  const auto result = admin::show_stats(snapshot);
  check_prefix(result,
               {"database", "total_server_assignment_count", "total_xact_count", "total_query_count",
                "total_received", "total_sent", "total_xact_time", "total_query_time", "total_wait_time",
                "total_client_parse_count", "total_server_parse_count", "total_bind_count",
                "total_client_connect_count", "avg_server_assignment_count", "avg_xact_count", "avg_query_count",
                "avg_recv", "avg_sent", "avg_xact_time", "avg_query_time", "avg_wait_time",
                "avg_client_parse_count", "avg_server_parse_count", "avg_bind_count", "avg_client_connect_count"});
  // PgBouncer's types: numeric statistics, a text database name.
  CHECK(result.column_type(0) == admin::ColumnType::text);
  CHECK(result.column_type(static_cast<std::size_t>(result.column_index("total_xact_count"))) ==
        admin::ColumnType::numeric);
  REQUIRE(result.rows.size() == 1);
  CHECK(value(result, 0, "database") == "app");
  CHECK(value(result, 0, "total_xact_count") == "10");
  CHECK(value(result, 0, "total_query_count") == "20");
  CHECK(value(result, 0, "avg_xact_count") == "0");
  CHECK(value(result, 0, "total_server_open_count") == "2");
  // PgBouncer's pre-1.8 name of total_query_count, last so no column moves.
  CHECK(result.columns.back() == "total_requests");
  CHECK(value(result, 0, "total_requests") == "20");

  const auto totals = admin::show_stats_totals(snapshot);
  CHECK(totals.columns.size() == 13);
  CHECK(value(totals, 0, "xact_count") == "10");
  CHECK(admin::show_stats_averages(snapshot).columns == totals.columns);
}

TEST_CASE("SHOW STATS: query time, its total and its average per query", "[admin]") {
  auto snapshot = sample_snapshot();
  admin::StatsAverages averages(60s);
  snapshot.averages = &averages;
  auto& totals = snapshot.pools.front().totals;
  totals.queries = 20;
  totals.query_time_us = 50'000;
  totals.transactions = 10;
  totals.transaction_time_us = 80'000;
  const auto first = admin::show_stats(snapshot);  // the window starts here
  CHECK(value(first, 0, "total_query_time") == "50000");
  CHECK(value(first, 0, "avg_query_time") == "0");

  // Ten seconds later: 40 more queries that took 600 ms between them.
  snapshot.now += 10s;
  totals.queries = 60;
  totals.query_time_us = 650'000;
  totals.transactions = 30;
  totals.transaction_time_us = 880'000;
  const auto later = admin::show_stats(snapshot);
  CHECK(value(later, 0, "total_query_count") == "60");
  CHECK(value(later, 0, "total_requests") == "60");
  CHECK(value(later, 0, "total_query_time") == "650000");
  CHECK(value(later, 0, "avg_query_count") == "4");       // 40 queries in 10 s
  CHECK(value(later, 0, "avg_query_time") == "15000");    // 600 ms over 40 queries, in µs
  CHECK(value(later, 0, "avg_xact_time") == "40000");     // 800 ms over 20 transactions
  const auto totals_view = admin::show_stats_totals(snapshot);
  CHECK(value(totals_view, 0, "query_time") == "650000");
}

TEST_CASE("SHOW STATS: prepared statements and client logins, counted and averaged", "[admin]") {
  auto snapshot = sample_snapshot();
  admin::StatsAverages averages(60s);
  snapshot.averages = &averages;
  auto& totals = snapshot.pools.front().totals;
  totals.client_parses = 30;
  totals.server_parses = 3;
  totals.binds = 100;
  totals.client_connects = 7;
  admin::show_stats(snapshot);  // the window starts here
  snapshot.now += 10s;
  totals.client_parses = 130;
  totals.server_parses = 23;
  totals.binds = 1100;
  totals.client_connects = 27;
  const auto stats = admin::show_stats(snapshot);
  CHECK(value(stats, 0, "total_client_parse_count") == "130");
  CHECK(value(stats, 0, "total_server_parse_count") == "23");
  CHECK(value(stats, 0, "total_bind_count") == "1100");
  CHECK(value(stats, 0, "total_client_connect_count") == "27");
  CHECK(value(stats, 0, "avg_client_parse_count") == "10");  // 100 in 10 s
  CHECK(value(stats, 0, "avg_server_parse_count") == "2");
  CHECK(value(stats, 0, "avg_bind_count") == "100");
  CHECK(value(stats, 0, "avg_client_connect_count") == "2");
  const auto sum = admin::show_totals(snapshot);
  std::map<std::string, std::string> by_name;
  for (const auto& row : sum.rows) by_name[*row[0]] = *row[1];
  CHECK(by_name["total_bind_count"] == "1100");
  CHECK(by_name["total_client_connect_count"] == "27");
}

TEST_CASE("SHOW DATABASES and SHOW USERS: the configured entries", "[admin]") {
  const auto snapshot = sample_snapshot();
  const auto databases = admin::show_databases(snapshot);
  check_prefix(databases, {"name", "host", "port", "database", "force_user", "pool_size", "min_pool_size",
                           "reserve_pool_size", "server_lifetime", "pool_mode", "load_balance_hosts",
                           "max_connections", "current_connections", "max_client_connections",
                           "current_client_connections", "paused", "disabled"});
  REQUIRE(databases.rows.size() == 2);
  CHECK(value(databases, 0, "name") == "app");
  CHECK(value(databases, 0, "pool_mode") == "session");
  CHECK(value(databases, 0, "force_user") == "NULL");
  CHECK(value(databases, 0, "current_connections") == "2");
  CHECK(value(databases, 0, "current_client_connections") == "2");
  CHECK(value(databases, 0, "server_lifetime") == "3600");
  CHECK(value(databases, 1, "database") == "reporting");
  CHECK(value(databases, 1, "force_user") == "reporter");
  CHECK(value(databases, 1, "pool_mode") == "NULL");
  // reserve_pool: PgBouncer's name before 1.24, after Sluice's own columns so 1.24's order holds.
  CHECK(value(databases, 0, "reserve_pool_size") == "4");
  CHECK(value(databases, 0, "reserve_pool") == "4");
  CHECK(value(databases, 1, "reserve_pool") == "0");
  CHECK(databases.column_index("reserve_pool") > databases.column_index("disabled"));

  const auto users = admin::show_users(snapshot);
  check_prefix(users, {"name", "pool_size", "reserve_pool_size", "pool_mode", "max_user_connections",
                       "current_connections", "max_user_client_connections", "current_client_connections"});
  REQUIRE(users.rows.size() == 2);
  CHECK(value(users, 1, "name") == "alice");
  CHECK(value(users, 1, "pool_size") == "3");
  CHECK(value(users, 1, "max_user_connections") == "7");
  CHECK(value(users, 1, "current_connections") == "2");
  CHECK(value(users, 1, "current_client_connections") == "2");
  CHECK(value(users, 0, "current_client_connections") == "0");  // the console session is not counted
}

TEST_CASE("SHOW CONFIG, SHOW LISTS, SHOW STATE, SHOW VERSION, SHOW HELP", "[admin]") {
  const auto snapshot = sample_snapshot();
  const auto config = admin::show_config(snapshot);
  check_prefix(config, {"key", "value", "default", "changeable"});
  bool saw_pool_size = false;
  for (std::size_t row = 0; row < config.rows.size(); ++row) {
    if (value(config, row, "key") != "defaults.pool_size") continue;
    saw_pool_size = true;
    CHECK(value(config, row, "value") == "20");
    CHECK(value(config, row, "changeable") == "yes");
  }
  CHECK(saw_pool_size);
  CHECK(value(config, 0, "key") == "listen.postgres");
  CHECK(value(config, 0, "value") == "127.0.0.1:6432");
  CHECK(value(config, 0, "changeable") == "no");

  const auto lists = admin::show_lists(snapshot);
  check_prefix(lists, {"list", "items"});
  CHECK(value(lists, 0, "list") == "databases");
  CHECK(value(lists, 0, "items") == "2");

  AdminSnapshot paused = snapshot;
  paused.paused = true;
  for (const AdminSnapshot* state : std::initializer_list<const AdminSnapshot*>{&snapshot, &paused}) {
    const auto view = admin::show_state(*state);
    check_prefix(view, {"key", "value"});
    REQUIRE(view.rows.size() == 3);
    CHECK(value(view, 0, "key") == "active");
    CHECK(value(view, 0, "value") == (state->paused ? "no" : "yes"));
    CHECK(value(view, 1, "key") == "paused");
    CHECK(value(view, 1, "value") == (state->paused ? "yes" : "no"));
    CHECK(value(view, 2, "value") == "no");
  }

  const auto version = admin::show_version(snapshot);
  check_prefix(version, {"version"});
  REQUIRE(version.rows.size() == 1);
  CHECK(value(version, 0, "version") == "Sluice " SLUICE_VERSION);

  const auto help = admin::show_help(snapshot);
  CHECK(help.columns.empty());
  REQUIRE(help.notices.size() == 1);
  CHECK(help.notices[0].find("SHOW") != std::string::npos);
}

TEST_CASE("timestamps read like PgBouncer's, in UTC", "[admin]") {
  CHECK(admin::format_timestamp(std::chrono::system_clock::time_point{}) == "1970-01-01 00:00:00 UTC");
  CHECK(admin::format_timestamp(std::chrono::system_clock::time_point{} + 86400s + 3723s) ==
        "1970-01-02 01:02:03 UTC");
}

TEST_CASE("SHOW CONFIG lists tls, auth_query and hba without secrets", "[admin][tls]") {
  auto snapshot = sample_snapshot();
  auto config = std::make_shared<config::ProxyConfig>(*snapshot.config);
  config->tls.client = {config::ClientTlsMode::require, "/etc/sluice/server.crt", "/etc/sluice/server.key", std::nullopt};
  config->tls.server.mode = config::ServerTlsMode::verify_full;
  config->tls.server.ca = "/etc/sluice/root.crt";
  config->users["sluice_auth"] = config::UserConfig{"sluice_auth", "lookup-secret", 0, 0, {}};
  config->auth_query = config::AuthQueryConfig{"sluice_auth", "SELECT usename, passwd FROM pg_shadow WHERE usename = $1",
                                               std::nullopt, std::chrono::milliseconds(30000)};
  std::string error;
  config->hba.push_back({auth::HbaConnectionType::hostssl, {}, {}, auth::parse_cidr("0.0.0.0/0", error),
                         auth::HbaMethod::scram_sha_256});
  config->hba.push_back({auth::HbaConnectionType::host, {"app"}, {"app", "batch"}, auth::parse_cidr("::1", error),
                         auth::HbaMethod::md5});
  snapshot.config = config;
  const auto result = admin::show_config(snapshot);
  std::map<std::string, std::string> rows;
  for (std::size_t row = 0; row < result.rows.size(); ++row) {
    rows[value(result, row, "key")] = value(result, row, "value");
    CHECK(value(result, row, "value").find("lookup-secret") == std::string::npos);
  }
  CHECK(rows["tls.client.mode"] == "require");
  CHECK(rows["tls.client.cert"] == "/etc/sluice/server.crt");
  CHECK(rows["tls.client.key"] == "/etc/sluice/server.key");
  CHECK(rows["tls.client.ca"] == "");
  CHECK(rows["tls.server.mode"] == "verify-full");
  CHECK(rows["tls.server.ca"] == "/etc/sluice/root.crt");
  CHECK(rows["auth_query.user"] == "sluice_auth");
  CHECK(rows["auth_query.query"] == "SELECT usename, passwd FROM pg_shadow WHERE usename = $1");
  CHECK(rows["auth_query.cache_ttl"] == "30s");
  CHECK(rows["hba[0]"] == "hostssl all all 0.0.0.0/0 scram-sha-256");
  CHECK(rows["hba[1]"] == "host app app,batch ::1/128 md5");
}
