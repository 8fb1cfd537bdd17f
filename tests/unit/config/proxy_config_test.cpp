#include <catch2/catch.hpp>

#include "sluice/config/proxy_config.hpp"

using namespace std::chrono_literals;
using namespace sluice::config;

TEST_CASE("apply_overrides copies every field that is set and nothing else", "[config]") {
  PoolOverrides all;
  all.pool_mode = PoolMode::session;
  all.pool_size = 7;
  all.min_pool_size = 2;
  all.reserve_pool_size = 3;
  all.reserve_pool_timeout = 1s;
  all.max_db_connections = 50;
  all.statement_timeout = 2s;
  all.query_wait_timeout = 3s;
  all.idle_transaction_timeout = 4s;
  all.client_idle_timeout = 5s;
  all.client_login_timeout = 6s;
  all.server_idle_timeout = 7s;
  all.server_lifetime = 8s;
  all.server_connect_timeout = 9s;
  all.server_login_retry = 10s;
  all.server_check_delay = 11s;
  all.server_check_query = "SELECT 1";
  all.server_reset_query = "";

  PoolSettings expected{PoolMode::session, 7, 2, 3, 1s, 50, 2s, 3s, 4s, 5s, 6s, 7s, 8s, 9s, 10s, 11s, "SELECT 1", ""};
  PoolSettings settings;
  apply_overrides(settings, all);
  CHECK(settings == expected);

  PoolSettings untouched;
  apply_overrides(untouched, PoolOverrides{});
  CHECK(untouched == PoolSettings{});
}

TEST_CASE("resolve: user override, then database override, then defaults", "[config]") {
  ProxyConfig config;
  config.defaults.pool_size = 30;
  config.defaults.statement_timeout = 1s;
  config.defaults.query_wait_timeout = 9s;

  DatabaseConfig db;
  db.name = "app";
  db.overrides.pool_size = 10;
  db.overrides.statement_timeout = 2s;

  UserConfig user;
  user.name = "bob";
  user.overrides.statement_timeout = 3s;

  const PoolSettings with_user = config.resolve(db, &user);
  CHECK(with_user.statement_timeout == 3s);   // user wins
  CHECK(with_user.pool_size == 10);           // database beats defaults
  CHECK(with_user.query_wait_timeout == 9s);  // defaults
  CHECK(with_user.server_reset_query == "DISCARD ALL");

  const PoolSettings without_user = config.resolve(db, nullptr);
  CHECK(without_user.statement_timeout == 2s);
}

TEST_CASE("find_database and find_user look up by name", "[config]") {
  ProxyConfig config;
  config.databases["app"].name = "app";
  config.users["bob"].name = "bob";
  config.admin_users = {"admin"};
  REQUIRE(config.find_database("app") != nullptr);
  CHECK(config.find_database("app")->name == "app");
  CHECK(config.find_database("nope") == nullptr);
  REQUIRE(config.find_user("bob") != nullptr);
  CHECK(config.find_user("alice") == nullptr);
  CHECK(config.is_admin_user("admin"));
  CHECK_FALSE(config.is_stats_user("admin"));
}

TEST_CASE("listen addresses parse IPv4 and bracketed IPv6", "[config]") {
  std::string error;
  CHECK(parse_listen_address("127.0.0.1:6432", error) == ListenAddress{"127.0.0.1", 6432});
  CHECK(parse_listen_address("0.0.0.0:1", error) == ListenAddress{"0.0.0.0", 1});
  CHECK(parse_listen_address("[::1]:6432", error) == ListenAddress{"::1", 6432});
  CHECK(parse_listen_address("[::]:65535", error) == ListenAddress{"::", 65535});
  CHECK(format_listen_address({"::1", 6432}) == "[::1]:6432");
  CHECK(format_listen_address({"127.0.0.1", 6432}) == "127.0.0.1:6432");
}

TEST_CASE("bad listen addresses say what is wrong", "[config]") {
  auto error_for = [](std::string_view text) {
    std::string error;
    CHECK_FALSE(parse_listen_address(text, error));
    return error;
  };
  CHECK_THAT(error_for("127.0.0.1"), Catch::Contains("missing port"));
  CHECK_THAT(error_for("127.0.0.1:0"), Catch::Contains("1..65535"));
  CHECK_THAT(error_for("127.0.0.1:70000"), Catch::Contains("1..65535"));
  CHECK_THAT(error_for("127.0.0.1:http"), Catch::Contains("invalid port"));
  CHECK_THAT(error_for("::1:6432"), Catch::Contains("needs brackets"));
  CHECK_THAT(error_for("[::1:6432"), Catch::Contains("missing ']'"));
  CHECK_THAT(error_for("[::1]"), Catch::Contains("missing port"));
  CHECK_THAT(error_for("[1.2.3.4]:5"), Catch::Contains("not an IPv6 address"));
  CHECK_THAT(error_for("localhost:6432"), Catch::Contains("not an IP address"));
  CHECK_THAT(error_for("256.0.0.1:6432"), Catch::Contains("not an IP address"));
  CHECK_THAT(error_for(""), Catch::Contains("empty"));
}

TEST_CASE("enum names match the YAML spelling", "[config]") {
  CHECK(to_string(AuthType::scram_sha_256) == "scram-sha-256");
  CHECK(parse_auth_type("scram-sha-256") == AuthType::scram_sha_256);
  CHECK_FALSE(parse_auth_type("scram_sha_256"));
  CHECK(to_string(PoolMode::statement) == "statement");
  CHECK(parse_pool_mode("session") == PoolMode::session);
  CHECK(parse_protocol("mysql") == Protocol::mysql);
  CHECK(to_string(Protocol::postgres) == "postgres");
}
