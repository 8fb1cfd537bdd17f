// Transaction pooling of MySQL clients against the real MariaDB: many clients over few backends
// with correct results, what a leaving client leaves behind, what one client's session state
// never shows another, and statement_timeout through KILL QUERY.
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "support/harness.hpp"
#include "support/my_clients.hpp"

using namespace sluice_it;

TEST_CASE("mysql: 24 clients in transactions share a pool of 3", "[mysql][mysql-pooling]") {
    close_backends_of("app");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.pooled (client INT NOT NULL, n INT NOT NULL) ENGINE=InnoDB");
    mariadb().execute("DELETE FROM app.pooled");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 3\n"});
    constexpr int kClients = 24;
    constexpr int kTransactions = 10;
    std::atomic<int> wrong{0};
    int failed = 0;
    const int peak = peak_connections("app", [&] {
        failed = run_clients(sluice, kClients, [&](int client, MYSQL* connection) {
            for (int n = 1; n <= kTransactions; ++n) {
                my_exec(connection, "BEGIN");
                my_exec(connection, "INSERT INTO pooled VALUES (" + std::to_string(client) + ", " + std::to_string(n) + ")");
                const std::string mine =
                    my_value(connection, "SELECT COUNT(*) FROM pooled WHERE client = " + std::to_string(client));
                if (mine != std::to_string(n)) ++wrong;
                my_exec(connection, "COMMIT");
            }
        });
    });
    CHECK(failed == 0);
    CHECK(wrong == 0);
    CHECK(mariadb().query("SELECT COUNT(*) FROM app.pooled") == std::to_string(kClients * kTransactions));
    CHECK(mariadb().query("SELECT COUNT(DISTINCT client) FROM app.pooled") == std::to_string(kClients));
    CHECK(peak >= 1);
    CHECK(peak <= 3);
}

TEST_CASE("mysql: a client that vanishes inside a transaction leaves no row", "[mysql][mysql-pooling]") {
    close_backends_of("app");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.vanished (v INT NOT NULL) ENGINE=InnoDB");
    mariadb().execute("DELETE FROM app.vanished");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    {
        MyConnection doomed = my_connect(sluice.login("app", "app"));
        my_exec(doomed.get(), "BEGIN");
        my_exec(doomed.get(), "INSERT INTO vanished VALUES (1)");
        // Gone without COM_QUIT, as a killed process goes: the socket just closes.
        ::shutdown(mysql_get_socket(doomed.get()), SHUT_RDWR);
    }
    // The single backend was rolled back and serves the next client.
    MyConnection next = my_connect(sluice.login("app", "app"));
    CHECK(my_value(next.get(), "SELECT COUNT(*) FROM vanished") == "0");
    CHECK(my_value(next.get(), "SELECT @@in_transaction") == "0");
    CHECK(mariadb().query("SELECT COUNT(*) FROM app.vanished") == "0");
    CHECK(mariadb().count_connections("app") == 1);
}

TEST_CASE("mysql: a killed client process inside a transaction leaves no row", "[mysql][mysql-pooling]") {
    close_backends_of("app");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.killed (v INT NOT NULL) ENGINE=InnoDB");
    mariadb().execute("DELETE FROM app.killed");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    ChildProcess client(SpawnOptions{{"/usr/bin/mariadb", "--no-defaults", "-h127.0.0.1",
                                      "-P" + std::to_string(sluice.mysql_port()), "-uapp", "-papp", "app", "-e",
                                      "BEGIN; INSERT INTO killed VALUES (1); SELECT SLEEP(30)"}});
    // Killed while its statement runs: Sluice cancels it and closes that backend.
    MyConnection root = mariadb().root();
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (my_value(root.get(), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(30)%'") == "0") {
        REQUIRE(Clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    client.stop(SIGKILL, std::chrono::seconds(1));
    MyConnection next = my_connect(sluice.login("app", "app"));
    CHECK(my_value(next.get(), "SELECT COUNT(*) FROM killed") == "0");
    CHECK(mariadb().query("SELECT COUNT(*) FROM app.killed") == "0");
}

TEST_CASE("mysql: one client's database and variables never reach another", "[mysql][mysql-pooling]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection a = my_connect(sluice.login("app", "app"));
    MyConnection b = my_connect(sluice.login("app", "app"));
    MyConnection c = my_connect(sluice.login("app", "app"));
    REQUIRE(mysql_select_db(a.get(), "app2") == 0);  // COM_INIT_DB
    my_exec(c.get(), "USE app2");                      // the SQL statement
    // A session variable follows its client (a user variable would pin it: test_mysql_session_state).
    my_exec(a.get(), "SET time_zone = '+07:00'");
    for (int round = 0; round < 3; ++round) {
        CHECK(my_value(b.get(), "SELECT DATABASE()") == "app");
        CHECK(my_value(b.get(), "SELECT @@time_zone") == "SYSTEM");
        CHECK(my_value(a.get(), "SELECT DATABASE()") == "app2");
        CHECK(my_value(a.get(), "SELECT @@time_zone") == "+07:00");
        CHECK(my_value(c.get(), "SELECT DATABASE()") == "app2");
    }
    // One backend served all three.
    CHECK(mariadb().count_connections("app") == 1);
}

TEST_CASE("mysql: statement_timeout interrupts with 3024 and keeps the backend", "[mysql][mysql-pooling]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nstatement_timeout: 500ms\n"});
    MyConnection connection = my_connect(sluice.login("app", "app"));
    const std::string before = my_value(connection.get(), "SELECT CONNECTION_ID()");
    const auto started = Clock::now();
    MyResult slow = my_query(connection.get(), "SELECT SLEEP(10)");
    // MariaDB answers a killed SLEEP with a row (1) or ERR 1317: Sluice's timeout shows as 3024 for the latter.
    if (slow.error_code != 0) {
        CHECK(slow.error_code == 3024);
        CHECK_THAT(slow.error, Catch::StartsWith("Query execution was interrupted"));
    } else {
        REQUIRE(slow.rows.size() == 1);
        CHECK(slow.rows[0][0] == "1");
    }
    CHECK(Clock::now() - started < std::chrono::seconds(5));
    CHECK(my_value(connection.get(), "SELECT 7") == "7");
    CHECK(my_value(connection.get(), "SELECT CONNECTION_ID()") == before);
}

TEST_CASE("mysql: binary prepared statements from 8 clients over 2 backends", "[mysql][mysql-pooling]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    std::atomic<int> wrong{0};
    int failed = 0;
    const int peak = peak_connections("app", [&] {
        failed = run_clients(sluice, 8, [&](int client, MYSQL* connection) {
            for (int round = 0; round < 3; ++round) {
                MYSQL_STMT* statement = mysql_stmt_init(connection);
                const std::string sql = "SELECT ? * 1000 + " + std::to_string(client);
                if (mysql_stmt_prepare(statement, sql.c_str(), sql.size()) != 0) {
                    throw std::runtime_error(mysql_stmt_error(statement));
                }
                for (long long n = 1; n <= 10; ++n) {
                    MYSQL_BIND parameter{};
                    parameter.buffer_type = MYSQL_TYPE_LONGLONG;
                    parameter.buffer = &n;
                    long long value = 0;
                    MYSQL_BIND result{};
                    result.buffer_type = MYSQL_TYPE_LONGLONG;
                    result.buffer = &value;
                    if (mysql_stmt_bind_param(statement, &parameter) || mysql_stmt_execute(statement) ||
                        mysql_stmt_bind_result(statement, &result) || mysql_stmt_store_result(statement) ||
                        mysql_stmt_fetch(statement) != 0) {
                        throw std::runtime_error(mysql_stmt_error(statement));
                    }
                    if (value != n * 1000 + client) ++wrong;
                    mysql_stmt_free_result(statement);
                }
                mysql_stmt_close(statement);
                // Between statements the backend may go to another client.
                if (my_value(connection, "SELECT 1") != "1") ++wrong;
            }
        });
    });
    CHECK(failed == 0);
    CHECK(wrong == 0);
    CHECK(peak <= 2);
}

TEST_CASE("mysql: each client keeps its handshake's character set on a shared backend", "[mysql][mysql-pooling]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyLoginOptions latin1 = sluice.login("app", "app");
    latin1.charset = "latin1";
    MyLoginOptions unicode = sluice.login("app", "app");
    unicode.charset = "utf8mb4";
    MyConnection a = my_connect(latin1);
    MyConnection b = my_connect(unicode);
    for (int round = 0; round < 3; ++round) {
        CHECK(my_value(a.get(), "SELECT CONCAT(@@character_set_client, '/', @@collation_connection)") ==
              "latin1/latin1_swedish_ci");
        CHECK(my_value(b.get(), "SELECT @@character_set_client") == "utf8mb4");
        CHECK(my_value(b.get(), "SELECT HEX('\xC3\xA9')") == "C3A9");  // é in UTF-8 stays two bytes
    }
    CHECK(mariadb().count_connections("app") == 1);
}

TEST_CASE("mysql: character sets beyond the common ones (cp1251, latin2) are put on the backend too",
          "[mysql][mysql-pooling]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    // The last client leaves the backend in utf8mb3_unicode_ci; each next one must get its own.
    MyLoginOptions unicode = sluice.login("app", "app");
    unicode.charset = "utf8mb3";
    {
        MyConnection leaver = my_connect(unicode);
        REQUIRE(my_value(leaver.get(), "SELECT @@character_set_client") == "utf8mb3");
    }
    for (const std::string charset : {"cp1251", "latin2"}) {
        INFO(charset);
        MyLoginOptions options = sluice.login("app", "app");
        options.charset = charset;
        MyConnection client = my_connect(options);
        CHECK(my_value(client.get(), "SELECT CONCAT(@@character_set_client, '/', @@character_set_results)") ==
              charset + "/" + charset);
        // One byte per character in those sets: 0xE9 is one character, not half of one.
        CHECK(my_value(client.get(), "SELECT CHAR_LENGTH('\xE9')") == "1");
    }
}
