#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "sluice/config/loader.hpp"
#include "../support/config_loading.hpp"

using namespace std::chrono_literals;
using namespace sluice::config;
using namespace sluice::test;

namespace {

// A copy of config/sluice.yaml's settings (unit tests do not know the source directory).
constexpr std::string_view example_yaml = R"(# example
listen:
  postgres: 127.0.0.1:6432
  metrics: 127.0.0.1:9127
workers: auto
max_client_connections: 10000
shutdown_timeout: 30s
auth_type: scram-sha-256
admin_users: [admin]
stats_users: [monitor]
max_packet_size: 1GB
log_level: info
log_format: text
defaults:
  pool_mode: transaction
  pool_size: 20
  min_pool_size: 0
  reserve_pool_size: 0
  reserve_pool_timeout: 5s
  max_db_connections: 0
  statement_timeout: 0
  query_wait_timeout: 120s
  idle_transaction_timeout: 0
  client_idle_timeout: 0
  client_login_timeout: 60s
  server_idle_timeout: 600s
  server_lifetime: 3600s
  server_connect_timeout: 15s
  server_login_retry: 15s
  server_check_delay: 30s
  server_check_query: ""
  server_reset_query: DISCARD ALL
databases:
  app:
    protocol: postgres
    host: 127.0.0.1
    port: 15432
    dbname: app
    user: null
    password: null
users:
  app:
    password: "app"
    max_user_connections: 0
    max_client_connections: 0
  admin:
    password: "admin"
  monitor:
    password: "monitor"
)";


}  // namespace

TEST_CASE("the example configuration loads with every value in place", "[config]") {
  auto config = load_ok(example_yaml);
  CHECK(config->listen_postgres == std::vector<ListenAddress>{{"127.0.0.1", 6432}});
  CHECK(config->listen_mysql.empty());
  CHECK(config->listen_metrics == ListenAddress{"127.0.0.1", 9127});
  CHECK(config->workers >= 1);
  CHECK(config->max_client_connections == 10000);
  CHECK(config->shutdown_timeout == 30s);
  CHECK(config->auth_type == AuthType::scram_sha_256);
  CHECK(config->admin_users == std::vector<std::string>{"admin"});
  CHECK(config->stats_users == std::vector<std::string>{"monitor"});
  CHECK(config->max_packet_size == 1073741824U);
  CHECK(config->log_level == "info");
  CHECK(config->log_format == "text");
  CHECK(config->defaults == PoolSettings{});  // the example spells out the built-in defaults

  const DatabaseConfig* app = config->find_database("app");
  REQUIRE(app != nullptr);
  CHECK(app->protocol == Protocol::postgres);
  CHECK(app->host == "127.0.0.1");
  CHECK(app->port == 15432);
  CHECK(app->dbname == "app");
  CHECK_FALSE(app->user);
  CHECK_FALSE(app->password);

  REQUIRE(config->users.size() == 3);
  CHECK(config->find_user("app")->password == "app");
  CHECK(config->find_user("admin")->password == "admin");
  CHECK(config->find_user("monitor")->password == "monitor");
}

TEST_CASE("config/sluice.yaml in the source tree loads", "[config]") {
  // Unit tests have no SLUICE_SOURCE_DIR; find the file from this source's own path.
  const auto path = std::filesystem::path(__FILE__).parent_path() / "../../../config/sluice.yaml";
  if (!std::filesystem::exists(path)) {
    WARN("config/sluice.yaml not found next to the sources; skipped");
    return;
  }
  LoadResult result = load_config_file(path.string());
  INFO(all_errors(result));
  REQUIRE(result.ok());
  CHECK(result.config->find_database("app")->port == 15432);
  CHECK(result.config->listen_metrics == ListenAddress{"127.0.0.1", 9127});
  CHECK(result.config->users.size() == 3);
  // The demo's MariaDB, behind listen.mysql; MySQL clients without a database get `shop`.
  CHECK(result.config->listen_mysql == std::vector<ListenAddress>{{"127.0.0.1", 6033}});
  REQUIRE(result.config->find_database("shop"));
  CHECK(result.config->find_database("shop")->protocol == Protocol::mysql);
  CHECK(result.config->find_database("shop")->port == 13306);
  CHECK(result.config->find_user("app")->default_database == "shop");
}

TEST_CASE("users.*.default_database is read, and absent by default", "[config]") {
  auto config = load_ok(
      "databases:\n  shop:\n    protocol: mysql\nusers:\n  a:\n    default_database: shop\n  b:\n    password: x\n");
  CHECK(config->find_user("a")->default_database == "shop");
  CHECK_FALSE(config->find_user("b")->default_database);
}

TEST_CASE("the sole database of a protocol is where a client naming none goes, if there is one", "[config]") {
  auto one = load_ok("databases:\n  shop:\n    protocol: mysql\n  app:\n    protocol: postgres\n");
  CHECK(one->sole_database(Protocol::mysql) == "shop");
  CHECK(one->sole_database(Protocol::postgres) == "app");
  auto two = load_ok("databases:\n  shop:\n    protocol: mysql\n  crm:\n    protocol: mysql\n");
  CHECK(two->sole_database(Protocol::mysql).empty());  // ambiguous: none is picked
  CHECK(two->sole_database(Protocol::postgres).empty());
}

TEST_CASE("a default_database must name a database under databases", "[config]") {
  LoadResult result = load("databases:\n  shop:\n    protocol: mysql\nusers:\n  a:\n    default_database: shpo\n");
  REQUIRE(result.errors.size() == 1);
  const ConfigError& error = error_containing(result, "users.a.default_database: no database 'shpo' under databases");
  CHECK(error.line == 6);
  CHECK(error.column == 23);
}

TEST_CASE("an empty file gives the built-in defaults", "[config]") {
  auto config = load_ok("");
  CHECK(config->listen_postgres == std::vector<ListenAddress>{{"127.0.0.1", 6432}});
  CHECK_FALSE(config->listen_metrics);
  CHECK(config->workers >= 1);
  CHECK(config->auth_type == AuthType::scram_sha_256);
  CHECK(config->defaults == PoolSettings{});
  CHECK(config->max_packet_size == 1073741824U);
  CHECK(config->databases.empty());
}

TEST_CASE("pool settings resolve user over database over defaults", "[config]") {
  auto config = load_ok(R"(defaults:
  pool_size: 30
  statement_timeout: 1s
  query_wait_timeout: 9s
  pool_mode: session
databases:
  app:
    pool_size: 10
    statement_timeout: 2s
  other:
users:
  bob:
    statement_timeout: 3s
    pool_mode: statement
  carol:
)");
  const DatabaseConfig& app = *config->find_database("app");
  const PoolSettings bob_on_app = config->resolve(app, config->find_user("bob"));
  CHECK(bob_on_app.statement_timeout == 3s);
  CHECK(bob_on_app.pool_mode == PoolMode::statement);
  CHECK(bob_on_app.pool_size == 10);
  CHECK(bob_on_app.query_wait_timeout == 9s);
  CHECK(bob_on_app.server_lifetime == 1h);  // built-in default

  const PoolSettings carol_on_app = config->resolve(app, config->find_user("carol"));
  CHECK(carol_on_app.statement_timeout == 2s);
  CHECK(carol_on_app.pool_mode == PoolMode::session);

  const PoolSettings bob_on_other = config->resolve(*config->find_database("other"), config->find_user("bob"));
  CHECK(bob_on_other.pool_size == 30);
  CHECK(bob_on_other.statement_timeout == 3s);
  CHECK_FALSE(config->find_user("carol")->password);
}

TEST_CASE("an unknown key is reported at the key with the closest known key", "[config]") {
  LoadResult result = load(R"(defaults:
  pool_size: 20
  pool_sise: 10
)");
  CHECK_FALSE(result.ok());
  REQUIRE(result.errors.size() == 1);
  const ConfigError& error = result.errors.front();
  CHECK(error.path == "test.yaml");
  CHECK(error.line == 3);
  CHECK(error.column == 3);
  CHECK(error.message == "unknown key 'pool_sise' in defaults (did you mean 'pool_size'?)");
  CHECK(format_error(error) == "test.yaml:3:3: unknown key 'pool_sise' in defaults (did you mean 'pool_size'?)");
}

TEST_CASE("an unknown key valid elsewhere says where it belongs", "[config]") {
  LoadResult result = load(R"(pool_size: 5
databases:
  app:
    max_user_connections: 3
)");
  CHECK(error_containing(result, "'pool_size' at the top level").line == 1);
  const ConfigError& misplaced = error_containing(result, "'max_user_connections' in databases.app");
  CHECK(misplaced.line == 4);
  CHECK(misplaced.column == 5);
  CHECK_THAT(misplaced.message, Catch::Contains("users.NAME"));
}

TEST_CASE("a bad duration is reported at the value", "[config]") {
  LoadResult result = load(R"(defaults:
  query_wait_timeout: 120
databases:
  app:
    statement_timeout: 5x
)");
  const ConfigError& bare = error_containing(result, "defaults.query_wait_timeout");
  CHECK(bare.line == 2);
  CHECK(bare.column == 23);
  CHECK_THAT(bare.message, Catch::Contains("120s"));
  const ConfigError& unit = error_containing(result, "databases.app.statement_timeout");
  CHECK(unit.line == 5);
  CHECK(unit.column == 24);
  CHECK_THAT(unit.message, Catch::Contains("unknown unit 'x'"));
}

TEST_CASE("a value of the wrong type says what was expected", "[config]") {
  LoadResult result = load(R"(max_client_connections: lots
defaults:
  pool_size: [1, 2]
databases: [app]
)");
  const ConfigError& word = error_containing(result, "max_client_connections");
  CHECK(word.line == 1);
  CHECK(word.column == 25);
  CHECK(word.message == "max_client_connections: expected an integer, got 'lots'");
  const ConfigError& list = error_containing(result, "defaults.pool_size");
  CHECK(list.line == 3);
  CHECK(list.column == 14);
  CHECK(list.message == "defaults.pool_size: expected an integer, got a list");
  const ConfigError& databases = error_containing(result, "databases:");
  CHECK(databases.line == 4);
  CHECK(databases.column == 12);
  CHECK_THAT(databases.message, Catch::Contains("expected a mapping"));
}

TEST_CASE("a YAML syntax error is reported with its position", "[config]") {
  LoadResult result = load(R"(listen:
  postgres: [127.0.0.1:6432
workers: 4
)");
  CHECK_FALSE(result.ok());
  REQUIRE(result.errors.size() == 1);
  CHECK(result.errors[0].line == 3);
  CHECK(result.errors[0].column >= 1);
  CHECK_THAT(result.errors[0].message, Catch::StartsWith("YAML syntax error: "));

  LoadResult tabs = load("defaults:\n\tpool_size: 3\n");
  REQUIRE(tabs.errors.size() == 1);
  CHECK(tabs.errors[0].line == 2);
}

TEST_CASE("every error in a file is reported, in order of position", "[config]") {
  LoadResult result = load(R"(workers: 0
auth_type: scram
defaults:
  pool_mode: sesion
  pool_size: 0
  server_lifetime: 1d
databases:
  app:
    port: 99999
    protocol: oracle
    hots: db.internal
users:
  bob:
    max_client_connections: -1
log_level: verbose
)");
  CHECK_FALSE(result.ok());
  INFO(all_errors(result));
  REQUIRE(result.errors.size() == 10);
  const std::vector<int> lines{1, 2, 4, 5, 6, 9, 10, 11, 14, 15};
  for (std::size_t i = 0; i < lines.size(); ++i) CHECK(result.errors[i].line == lines[i]);
  CHECK_THAT(result.errors[0].message, Catch::Contains("'auto' or a number from 1 to 256, got '0'"));
  CHECK_THAT(result.errors[1].message, Catch::Contains("trust, md5, scram-sha-256"));
  CHECK_THAT(result.errors[2].message, Catch::Contains("did you mean 'session'?"));
  CHECK_THAT(result.errors[3].message, Catch::Contains("at least 1"));
  CHECK_THAT(result.errors[5].message, Catch::Contains("between 1 and 65535"));
  CHECK_THAT(result.errors[6].message, Catch::Contains("postgres, mysql"));
  CHECK_THAT(result.errors[7].message, Catch::Contains("did you mean 'host'?"));
  CHECK_THAT(result.errors[8].message, Catch::Contains("at least 0"));
  CHECK_THAT(result.errors[9].message, Catch::Contains("trace, debug, info, warn, error"));
}

TEST_CASE("bad listen addresses are reported at the address", "[config]") {
  LoadResult result = load(R"(listen:
  postgres:
    - 127.0.0.1:6432
    - ::1:6432
  mysql: 127.0.0.1
  metrics: [127.0.0.1:9127, 127.0.0.1:9128]
)");
  const ConfigError& ipv6 = error_containing(result, "listen.postgres[1]");
  CHECK(ipv6.line == 4);
  CHECK(ipv6.column == 7);
  CHECK_THAT(ipv6.message, Catch::Contains("[::1]:6432"));
  const ConfigError& port = error_containing(result, "listen.mysql");
  CHECK(port.line == 5);
  CHECK(port.column == 10);
  CHECK_THAT(port.message, Catch::Contains("missing port"));
  CHECK(error_containing(result, "listen.metrics").line == 6);
}

TEST_CASE("listen accepts one address, a list, IPv6 and mysql", "[config]") {
  auto config = load_ok(R"(listen:
  postgres: ["127.0.0.1:6432", "[::1]:6432"]
  mysql: 0.0.0.0:6033
)");
  CHECK(config->listen_postgres == std::vector<ListenAddress>{{"127.0.0.1", 6432}, {"::1", 6432}});
  CHECK(config->listen_mysql == std::vector<ListenAddress>{{"0.0.0.0", 6033}});
  CHECK_FALSE(config->listen_metrics);
}

TEST_CASE("an empty postgres list turns the PostgreSQL front end off", "[config]") {
  auto mysql_only = load_ok("listen:\n  postgres: []\n  mysql: 127.0.0.1:6033\n");
  CHECK(mysql_only->listen_postgres.empty());
  CHECK(mysql_only->listen_mysql.size() == 1);

  LoadResult none = load("listen:\n  postgres: []\n");
  CHECK(error_containing(none, "no client listener").line == 1);
  // A rejected address is reported as itself, not also as a missing listener.
  LoadResult bad = load("listen:\n  postgres: localhost:6432\n");
  REQUIRE(bad.errors.size() == 1);
  CHECK_THAT(bad.errors[0].message, Catch::Contains("not an IP address"));
}

TEST_CASE("an address used twice is an error at the second use", "[config]") {
  LoadResult result = load(R"(listen:
  mysql: 127.0.0.1:6432
  metrics: 127.0.0.1:6432
)");
  const ConfigError& mysql = error_containing(result, "listen.mysql: address 127.0.0.1:6432");
  CHECK_THAT(mysql.message, Catch::Contains("listen.postgres (default)"));
  CHECK(mysql.line == 2);
  CHECK(error_containing(result, "listen.metrics: address").line == 3);
}

TEST_CASE("min_pool_size may not exceed pool_size in any resolved pool", "[config]") {
  LoadResult result = load(R"(defaults:
  min_pool_size: 5
databases:
  small:
    pool_size: 3
  big:
    pool_size: 50
users:
  bob:
    min_pool_size: 40
)");
  const ConfigError& small = error_containing(result, "databases.small: min_pool_size (5)");
  CHECK(small.line == 5);
  CHECK(small.column == 16);
  // bob alone resolves to 40 > 20 (defaults); reported once, at his min_pool_size.
  const ConfigError& bob = error_containing(result, "users.bob: min_pool_size (40)");
  CHECK(bob.line == 10);
  CHECK(result.errors.size() == 2);

  // Wrong in the defaults: said once, not again for each database and user that inherits it.
  LoadResult inherited = load(R"(defaults:
  min_pool_size: 30
databases:
  a:
    port: 5432
  b:
users:
  bob:
    password: x
)");
  REQUIRE(inherited.errors.size() == 1);
  CHECK(error_containing(inherited, "defaults: min_pool_size (30) is larger than pool_size (20)").line == 2);

  LoadResult pair = load(R"(databases:
  small:
    pool_size: 3
users:
  bob:
    min_pool_size: 10
)");
  // Each layer is fine alone (10 <= 20 by default, 0 <= 3); together bob on small is 10 > 3.
  REQUIRE(pair.errors.size() == 1);
  CHECK(error_containing(pair, "users.bob with databases.small: min_pool_size (10)").line == 6);
}

TEST_CASE("database details: mysql, defaults, null means absent, forced user", "[config]") {
  auto config = load_ok(R"(databases:
  shop:
    protocol: mysql
    host: mysql.internal
  reports:
    dbname: analytics
    user: reporter
    password: secret
  bare:
  nulls:
    user: null
    password:
    pool_size: null
)");
  const DatabaseConfig& shop = *config->find_database("shop");
  CHECK(shop.protocol == Protocol::mysql);
  CHECK(shop.port == 3306);
  CHECK(shop.dbname == "shop");
  const DatabaseConfig& reports = *config->find_database("reports");
  CHECK(reports.dbname == "analytics");
  CHECK(reports.user == "reporter");
  CHECK(reports.password == "secret");
  CHECK(config->find_database("bare")->host == "127.0.0.1");
  CHECK(config->find_database("bare")->port == 5432);
  const DatabaseConfig& nulls = *config->find_database("nulls");
  CHECK_FALSE(nulls.user);
  CHECK_FALSE(nulls.password);
  CHECK_FALSE(nulls.overrides.pool_size);
}

TEST_CASE("a database's client cap: max_client_connections, or PgBouncer's max_db_client_connections", "[config]") {
  auto config = load_ok(R"(databases:
  app:
    max_client_connections: 40
  shop:
    protocol: mysql
    max_db_client_connections: 7
  bare:
)");
  CHECK(config->find_database("app")->max_client_connections == 40);
  CHECK(config->find_database("shop")->max_client_connections == 7);
  CHECK(config->find_database("bare")->max_client_connections == 0);
  LoadResult result = load(R"(databases:
  app:
    max_client_connections: -1
)");
  CHECK(error_containing(result, "databases.app.max_client_connections").line == 3);
}

TEST_CASE("database mistakes: reserved name, password without user, empty host", "[config]") {
  LoadResult result = load(R"(databases:
  pgbouncer:
    host: 127.0.0.1
  app:
    password: secret
    host: ""
)");
  CHECK(error_containing(result, "reserved for the admin console").line == 2);
  CHECK(error_containing(result, "set without user").line == 5);
  CHECK(error_containing(result, "databases.app.host: must not be empty").line == 6);
}

TEST_CASE("users: passwords as written, admin users need not exist", "[config]") {
  auto config = load_ok(R"(auth_type: md5
admin_users: [root]
stats_users: "monitor, grafana"
users:
  plain:
    password: hunter2
  hashed:
    password: md5e5b6f5a8a0b5c1d1e2f3a4b5c6d7e8f9
  verifier:
    password: "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$GtRxrZSTDPHGPRB1E5gz6JkVyTMlSXk8LpSw0R3+O0A=:7Qo4h1x9gt4vETBXqKCHlrwWUkNvb6LSxYzGmXwRCio="
    max_user_connections: 5
    max_client_connections: 50
  nopass:
)");
  CHECK(config->auth_type == AuthType::md5);
  CHECK(config->admin_users == std::vector<std::string>{"root"});
  CHECK(config->stats_users == std::vector<std::string>{"monitor", "grafana"});
  CHECK(config->find_user("plain")->password == "hunter2");
  CHECK(config->find_user("hashed")->password == "md5e5b6f5a8a0b5c1d1e2f3a4b5c6d7e8f9");
  const UserConfig& verifier = *config->find_user("verifier");
  CHECK_THAT(*verifier.password, Catch::StartsWith("SCRAM-SHA-256$4096:"));
  CHECK(verifier.max_user_connections == 5);
  CHECK(verifier.max_client_connections == 50);
  CHECK_FALSE(config->find_user("nopass")->password);
}

TEST_CASE("users: malformed verifier and empty password are errors", "[config]") {
  LoadResult result = load(R"(users:
  a:
    password: "SCRAM-SHA-256$4096:..."
  b:
    password: ""
)");
  const ConfigError& verifier = error_containing(result, "malformed SCRAM-SHA-256 verifier");
  CHECK(verifier.line == 3);
  CHECK(verifier.column == 15);
  CHECK(error_containing(result, "empty password").line == 5);
}

TEST_CASE("top-level scalars: workers, sizes, logging", "[config]") {
  auto config = load_ok(R"(workers: 8
max_packet_size: 64kB
log_level: debug
log_format: json
shutdown_timeout: 0
)");
  CHECK(config->workers == 8);
  CHECK(config->max_packet_size == 65536U);
  CHECK(config->log_level == "debug");
  CHECK(config->log_format == "json");
  CHECK(config->shutdown_timeout == 0s);

  LoadResult bad = load(R"(workers: many
max_packet_size: 2GB
log_format: xml
)");
  CHECK_THAT(error_containing(bad, "workers").message, Catch::Contains("'auto' or a number from 1 to 256"));
  CHECK_THAT(error_containing(bad, "max_packet_size").message, Catch::Contains("between 1kB and 1GB"));
  CHECK(error_containing(bad, "log_format").line == 3);
}

TEST_CASE("duplicate keys and non-mapping documents are errors", "[config]") {
  LoadResult duplicate = load(R"(workers: 2
workers: 4
)");
  const ConfigError& error = error_containing(duplicate, "duplicate key 'workers'");
  CHECK(error.line == 2);
  CHECK(error.column == 1);

  LoadResult list = load("- a\n- b\n");
  CHECK_THAT(error_containing(list, "at the top level").message, Catch::Contains("got a list"));

  LoadResult two_documents = load("workers: 2\n---\nworkers: 3\n");
  CHECK(error_containing(two_documents, "only one YAML document").line == 3);
}

TEST_CASE("YAML merge keys share settings between databases", "[config]") {
  auto config = load_ok(R"(databases:
  primary: &base
    host: db.internal
    port: 5433
    pool_size: 7
  replica:
    <<: *base
    host: replica.internal
)");
  const DatabaseConfig& replica = *config->find_database("replica");
  CHECK(replica.host == "replica.internal");
  CHECK(replica.port == 5433);
  CHECK(replica.overrides.pool_size == 7);
}

TEST_CASE("a file that cannot be read is one error at line 1, column 1", "[config]") {
  LoadResult result = load_config_file("/nonexistent/sluice.yaml");
  CHECK_FALSE(result.ok());
  REQUIRE(result.errors.size() == 1);
  CHECK(format_error(result.errors[0]) ==
        "/nonexistent/sluice.yaml:1:1: cannot read config file: No such file or directory");

  LoadResult directory = load_config_file(std::filesystem::temp_directory_path().string());
  REQUIRE(directory.errors.size() == 1);
  CHECK_THAT(directory.errors[0].message, Catch::Contains("is a directory"));
}

TEST_CASE("a file on disk loads and its errors name the file", "[config]") {
  const auto path = std::filesystem::temp_directory_path() / "sluice_config_loader_test.yaml";
  {
    std::ofstream out(path);
    out << "workers: 2\ndefaults:\n  pool_size: 0\n";
  }
  LoadResult result = load_config_file(path.string());
  std::filesystem::remove(path);
  REQUIRE(result.errors.size() == 1);
  CHECK(format_error(result.errors[0]) == path.string() + ":3:14: defaults.pool_size: must be at least 1, got 0");
}

TEST_CASE("mangled files never throw and always explain a failure", "[config]") {
  constexpr std::string_view alphabet = ":-[]{}#&*!|>'\"%@` \n\t,?0s";
  std::uint32_t state = 12345;
  auto next = [&] { return state = state * 1664525U + 1013904223U; };  // fixed seed: reproducible
  for (int run = 0; run < 2000; ++run) {
    std::string yaml(example_yaml);
    for (int edit = 0; edit < 3; ++edit) yaml[next() % yaml.size()] = alphabet[next() % alphabet.size()];
    LoadResult result;
    REQUIRE_NOTHROW(result = load(yaml));
    CHECK(result.ok() == result.errors.empty());
    for (const ConfigError& error : result.errors) {
      CHECK(error.line >= 1);
      CHECK(error.column >= 1);
    }
  }
}

TEST_CASE("an integer too large for its key says the largest allowed, not the smallest", "[config]") {
  LoadResult result = load(R"(defaults:
  pool_size: 99999999999
  max_db_connections: 3000000000
)");
  REQUIRE(result.errors.size() == 2);
  CHECK_THAT(result.errors[0].message, Catch::Contains("must be at most 2147483647, got 99999999999"));
  CHECK_THAT(result.errors[1].message, Catch::Contains("must be at most 2147483647, got 3000000000"));
}

TEST_CASE("listen addresses that would share a socket are refused at the later one", "[config]") {
  LoadResult result = load(R"(listen:
  postgres: [0.0.0.0:6432, "[::1]:6432"]
  mysql: 127.0.0.1:6432
  metrics: "[::]:6432"
)");
  INFO(all_errors(result));
  REQUIRE(result.errors.size() == 2);
  CHECK(result.errors[0].line == 3);  // 127.0.0.1 is within 0.0.0.0
  CHECK_THAT(result.errors[0].message, Catch::Contains("is already used by listen.postgres[0] (0.0.0.0:6432)"));
  CHECK(result.errors[1].line == 4);  // [::] takes [::1]; IPv4 not (IPv6-only sockets)
  CHECK_THAT(result.errors[1].message, Catch::Contains("[::1]:6432"));
  // Different ports, or 0.0.0.0 beside an IPv6 address, are fine.
  CHECK(load("listen:\n  postgres: [0.0.0.0:6432, \"[::]:6432\"]\n  mysql: 127.0.0.1:6033\n").ok());
}
