// The shared limits, seen by MySQL clients with MySQL's error codes (../shared/design/config.md).
#include <catch2/catch.hpp>

#include <signal.h>

#include <thread>

#include "support/harness.hpp"

using namespace sluice_it;

TEST_CASE("mysql: max_client_connections refuses with 1040", "[mysql][mysql-limits]") {
    MySluice sluice(MySluiceOptions{.top_level = "max_client_connections: 2\n"});
    MyConnection first = my_connect(sluice.login("app", "app"));
    MyConnection second = my_connect(sluice.login("app", "app"));
    MyLogin third = my_try_connect(sluice.login("app", "app"));
    CHECK_FALSE(third);
    CHECK(third.error_code == 1040);
    CHECK_THAT(third.error, Catch::StartsWith("Too many connections"));
    CHECK(my_value(first.get(), "SELECT 1") == "1");
}

TEST_CASE("mysql: a database's max_client_connections (PgBouncer's max_db_client_connections) refuses with 1040",
          "[mysql][mysql-limits]") {
    MySluiceOptions options;
    options.extra_databases =
        "capped:\n" + indent(mariadb_database(mariadb().port()) + "dbname: app\nmax_db_client_connections: 1\n", 2);
    MySluice sluice(options);
    MyConnection first = my_connect(sluice.login("app", "app", "capped"));
    MyLogin refused = my_try_connect(sluice.login("alice", "alice", "capped"));
    CHECK_FALSE(refused);
    CHECK(refused.error_code == 1040);
    CHECK(refused.error == "Too many connections: max_client_connections (database capped) reached");
    // Another database is not capped by it.
    MyConnection other = my_connect(sluice.login("alice", "alice", "app"));
    CHECK(my_value(other.get(), "SELECT 2") == "2");
    CHECK(my_value(first.get(), "SELECT DATABASE()") == "app");
}

TEST_CASE("mysql: query_wait_timeout answers a queued client with 9001", "[mysql][mysql-limits]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nquery_wait_timeout: 300ms\n"});
    MyConnection holder = my_connect(sluice.login("app", "app"));
    my_exec(holder.get(), "BEGIN");  // holds the only backend
    MyConnection queued = my_connect(sluice.login("app", "app"));
    MyResult result = my_query(queued.get(), "SELECT 1");
    CHECK(result.error_code == 9001);
    CHECK_THAT(result.error, Catch::StartsWith("query_wait_timeout"));
    my_exec(holder.get(), "COMMIT");
    CHECK(my_value(holder.get(), "SELECT 2") == "2");
}

TEST_CASE("mysql: idle_transaction_timeout ends the client and frees its backend", "[mysql][mysql-limits]") {
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.idle_tx (v INT NOT NULL) ENGINE=InnoDB");
    mariadb().execute("DELETE FROM app.idle_tx");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nidle_transaction_timeout: 300ms\n"});
    MyConnection idle = my_connect(sluice.login("app", "app"));
    my_exec(idle.get(), "BEGIN");
    my_exec(idle.get(), "INSERT INTO idle_tx VALUES (1)");
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    // Its connection is gone (whatever its library makes of the unsolicited ERR 4031)...
    CHECK(my_query(idle.get(), "SELECT 1").error_code != 0);
    // ...its transaction was rolled back, and the backend serves the next client.
    MyConnection next = my_connect(sluice.login("app", "app"));
    CHECK(my_value(next.get(), "SELECT COUNT(*) FROM idle_tx") == "0");
    CHECK(sluice.process().log().find("idle_transaction_timeout") != std::string::npos);
}

TEST_CASE("mysql: SIGTERM past shutdown_timeout ends a client in a transaction with 1053, and the process exits 0",
          "[mysql][mysql-limits][drain]") {
    MySluice sluice(MySluiceOptions{});  // shutdown_timeout: 2s
    MyConnection client = my_connect(sluice.login("app", "app"));
    my_exec(client.get(), "BEGIN");
    CHECK(my_value(client.get(), "SELECT 41 + 1") == "42");
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(kill(sluice.process().pid(), SIGTERM) == 0);
    CHECK(eventually([&] { return !sluice.process().running(); }, std::chrono::seconds(6)));
    const auto exited_after = std::chrono::steady_clock::now() - started;
    CHECK(exited_after >= std::chrono::milliseconds(1900));  // the transaction had its shutdown_timeout
    CHECK(sluice.process().stop(std::chrono::seconds(1)) == 0);  // a clean exit, not a crash
    // The ERR packet sent before the close is what the client's library reports.
    MyResult after = my_query(client.get(), "SELECT 1");
    CHECK(after.error_code == 1053);
    CHECK(sluice.process().log().find("reason=shutdown") != std::string::npos);
}
