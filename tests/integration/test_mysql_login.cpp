// MySQL clients logging in through Sluice to the throwaway MariaDB: the MySQL error table
// (../shared/design/config.md) and a first query's values.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace sluice_it;

TEST_CASE("mysql: a client logs in through Sluice and queries MariaDB", "[mysql][mysql-login]") {
    MySluice sluice;
    MyConnection connection = my_connect(sluice.login("app", "app"));
    CHECK(my_value(connection.get(), "SELECT 40 + 2") == "42");
    CHECK(my_value(connection.get(), "SELECT DATABASE()") == "app");
    CHECK(my_value(connection.get(), "SELECT CURRENT_USER()") == "app@%");
    // The server version a client sees is MariaDB-compatible.
    CHECK(std::string(mysql_get_server_info(connection.get())).find("MariaDB") != std::string::npos);
    MyResult rows = my_query(connection.get(), "SELECT 1 UNION ALL SELECT NULL UNION ALL SELECT 'x'");
    REQUIRE(rows.error_code == 0);
    REQUIRE(rows.rows.size() == 3);
    CHECK(rows.rows[1][0] == std::nullopt);
    CHECK(rows.rows[2][0] == "x");
}

TEST_CASE("mysql: the mariadb command-line client works through Sluice", "[mysql][mysql-login]") {
    MySluice sluice;
    CommandResult result = run_command({"/usr/bin/mariadb", "--no-defaults", "-h127.0.0.1",
                                        "-P" + std::to_string(sluice.mysql_port()), "-uapp", "-papp", "app", "-N",
                                        "-B", "-e", "SELECT 6 * 7; SELECT DATABASE()"},
                                       {}, std::chrono::seconds(20));
    CHECK(result.exit_code == 0);
    CHECK(result.output == "42\napp\n");
}

TEST_CASE("mysql: login errors carry MySQL's codes", "[mysql][mysql-login]") {
    MySluice sluice(MySluiceOptions{.users = "app:\n  password: app\nhashed:\n  password: \"*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\"\n"});
    SECTION("a wrong password is 1045") {
        MyLogin login = my_try_connect(sluice.login("app", "wrong"));
        CHECK_FALSE(login);
        CHECK(login.error_code == 1045);
        CHECK_THAT(login.error, Catch::StartsWith("Access denied for user 'app'"));
    }
    SECTION("an unknown user is 1045") {
        MyLogin login = my_try_connect(sluice.login("nobody", "app"));
        CHECK(login.error_code == 1045);
    }
    SECTION("an unknown database is 1049") {
        MyLogin login = my_try_connect(sluice.login("app", "app", "nosuchdb"));
        CHECK_FALSE(login);
        CHECK(login.error_code == 1049);
        CHECK_THAT(login.error, Catch::StartsWith("Unknown database 'nosuchdb'"));
    }
    SECTION("a mysql_native_password hash in the config checks the client's password") {
        // *5BCB...: PASSWORD('app'); the hash cannot log in to MariaDB, so the backend login fails.
        MyLogin wrong = my_try_connect(sluice.login("hashed", "nope"));
        CHECK(wrong.error_code == 1045);
        MyLogin right = my_try_connect(sluice.login("hashed", "app"));
        CHECK(right);
    }
}

TEST_CASE("mysql: a client without a database gets its user's default_database", "[mysql][mysql-login]") {
    MySluice sluice(MySluiceOptions{.users = "app:\n  password: app\n  default_database: app2\nbob:\n  password: bob\n"});
    MyConnection connection = my_connect(sluice.login("app", "app", ""));
    CHECK(my_value(connection.get(), "SELECT DATABASE()") == "app2");
    // Without one, the login is refused as an unknown database.
    MyLogin none = my_try_connect(sluice.login("bob", "bob", ""));
    CHECK(none.error_code == 1049);
    CHECK_THAT(none.error, Catch::Contains("default_database"));
}

TEST_CASE("mysql: with one MySQL database, a client that names none gets it (mariadb-admin works)",
          "[mysql][mysql-login]") {
    // A PostgreSQL database beside it does not count: it is not one a MySQL client could use.
    MySluice sluice(MySluiceOptions{
        .databases = "app:\n" + indent(mariadb_database(mariadb().port()), 2) + "pgdb:\n  protocol: postgres\n  host: 127.0.0.1\n  port: " +
                     std::to_string(postgres().port()) + "\n  dbname: app\n"});
    MyConnection connection = my_connect(sluice.login("bob", "bob", ""));
    CHECK(my_value(connection.get(), "SELECT DATABASE()") == "app");
    CommandResult ping = run_command({"/usr/bin/mariadb-admin", "--no-defaults", "-h127.0.0.1",
                                      "-P" + std::to_string(sluice.mysql_port()), "-uapp", "-papp", "ping"},
                                     {}, std::chrono::seconds(20));
    CHECK(ping.exit_code == 0);
    CHECK_THAT(ping.output, Catch::Contains("mysqld is alive"));
    // A wrong password is still refused, as for any login (ping exits 0 then too: the server is up).
    CommandResult wrong = run_command({"/usr/bin/mariadb-admin", "--no-defaults", "-h127.0.0.1",
                                       "-P" + std::to_string(sluice.mysql_port()), "-uapp", "-pnope", "ping"},
                                      {}, std::chrono::seconds(20));
    CHECK_THAT(wrong.output, Catch::Contains("Access denied for user 'app'"));
}

TEST_CASE("mysql: each protocol sees only its own databases", "[mysql][mysql-login]") {
    MySluice sluice(MySluiceOptions{.extra_databases = "pgdb:\n  protocol: postgres\n  host: 127.0.0.1\n  port: " +
                                                       std::to_string(postgres().port()) + "\n  dbname: app\n"});
    // A PostgreSQL client asking for a MySQL database: no such database (and Sluice lives on).
    Connection pg = try_connect(sluice.process().conninfo("app", "app", "app"));
    CHECK_FALSE(pg.ok());
    CHECK_THAT(pg.error_message(), Catch::Contains("no such database"));
    // A MySQL client asking for a PostgreSQL database: 1049.
    MyLogin mysql = my_try_connect(sluice.login("app", "app", "pgdb"));
    CHECK(mysql.error_code == 1049);
    // Both listeners still serve their own.
    MyConnection connection = my_connect(sluice.login("app", "app"));
    CHECK(my_value(connection.get(), "SELECT 1") == "1");
    Connection pg_ok = connect(sluice.process().conninfo("app", "app", "pgdb"));
    CHECK(query_value(pg_ok, "select 2") == "2");
    CHECK(sluice.process().running());
}

TEST_CASE("mysql: clients are greeted with the backends' server version once one has been seen", "[mysql][mysql-login]") {
    MySluice sluice;
    MyConnection first = my_connect(sluice.login("app", "app"));
    const std::string version = my_value(first.get(), "SELECT VERSION()");  // a backend is seen
    MyConnection next = my_connect(sluice.login("app", "app"));
    // Connector/C drops MariaDB's "5.5.5-" prefix, as it does connected directly.
    CHECK(std::string(mysql_get_server_info(next.get())) == version);
}
