// What a MySQL client sends and gets back through Sluice, beyond one statement and one small
// result: multi-statements and CALL (several results), LOAD DATA LOCAL INFILE, payloads over
// 16 MiB both ways (split into packets and joined again), COM_PING, COM_STATISTICS.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace sluice_it;

TEST_CASE("mysql: multi-statements and CALL return every result", "[mysql][mysql-protocol]") {
    mariadb().execute("CREATE OR REPLACE PROCEDURE app.two_results() BEGIN SELECT 1; SELECT 2; END");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection connection = my_connect(sluice.login("app", "app"));
    REQUIRE(mysql_real_query(connection.get(), "SELECT 'a'; SELECT 'b'; CALL two_results()", 42) == 0);
    std::vector<std::string> values;
    for (;;) {
        if (MYSQL_RES* result = mysql_store_result(connection.get())) {
            while (MYSQL_ROW row = mysql_fetch_row(result)) values.emplace_back(row[0]);
            mysql_free_result(result);
        }
        const int more = mysql_next_result(connection.get());
        REQUIRE(more <= 0);
        if (more == -1) break;
    }
    CHECK(values == std::vector<std::string>{"a", "b", "1", "2"});
    // The backend went back clean after the last result: the next statement works.
    CHECK(my_value(connection.get(), "SELECT 3") == "3");
}

TEST_CASE("mysql: LOAD DATA LOCAL INFILE goes through", "[mysql][mysql-protocol]") {
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.loaded (n INT NOT NULL, word VARCHAR(20))");
    mariadb().execute("DELETE FROM app.loaded");
    TempDir dir("sluice-it-infile");
    std::string data;
    for (int n = 1; n <= 1000; ++n) data += std::to_string(n) + "\tword" + std::to_string(n) + "\n";
    write_file(dir.file("rows.tsv"), data);
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyLoginOptions options = sluice.login("app", "app");
    options.local_infile = true;
    MyConnection connection = my_connect(options);
    MyResult loaded = my_query(connection.get(), "LOAD DATA LOCAL INFILE '" + dir.file("rows.tsv") + "' INTO TABLE loaded");
    REQUIRE(loaded.error_code == 0);
    CHECK(loaded.affected_rows == 1000);
    CHECK(my_value(connection.get(), "SELECT SUM(n) FROM loaded") == "500500");
    CHECK(my_value(connection.get(), "SELECT word FROM loaded WHERE n = 777") == "word777");
    // The same as a prepared statement (COM_STMT_EXECUTE): MariaDB asks for the file there too
    // (DBD::MariaDB's server-side prepare does this).
    CHECK(my_query(connection.get(), "DELETE FROM loaded").error_code == 0);
    const std::string load = "LOAD DATA LOCAL INFILE '" + dir.file("rows.tsv") + "' INTO TABLE loaded";
    MYSQL_STMT* prepared = mysql_stmt_init(connection.get());
    REQUIRE(mysql_stmt_prepare(prepared, load.c_str(), load.size()) == 0);
    const bool executed = mysql_stmt_execute(prepared) == 0;
    INFO(mysql_stmt_error(prepared));
    CHECK(executed);
    CHECK(mysql_stmt_affected_rows(prepared) == 1000);
    mysql_stmt_close(prepared);
    CHECK(my_value(connection.get(), "SELECT SUM(n) FROM loaded") == "500500");
    // A client that did not allow local files is refused (as by MariaDB) and goes on: backends
    // always offer them, so Sluice must not let the server ask this client for a file.
    MyLoginOptions refusing = sluice.login("app", "app");
    refusing.local_infile = false;
    MyConnection without = my_connect(refusing);
    MyResult refused = my_query(without.get(), "LOAD DATA LOCAL INFILE '" + dir.file("rows.tsv") + "' INTO TABLE loaded");
    CHECK(refused.error_code != 0);
    CHECK(my_value(without.get(), "SELECT COUNT(*) FROM loaded") == "1000");
}

TEST_CASE("mysql: a 20 MB value goes both ways (packets over 16 MiB)", "[mysql][mysql-protocol]") {
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.blobs (id INT PRIMARY KEY, body LONGBLOB)");
    mariadb().execute("DELETE FROM app.blobs");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyLoginOptions options = sluice.login("app", "app");
    options.timeout_s = 60;
    MyConnection connection = my_connect(options);
    constexpr std::size_t kSize = 20 * 1000 * 1000;
    std::string body(kSize, 'x');
    for (std::size_t i = 0; i < kSize; i += 4096) body[i] = static_cast<char>('a' + (i / 4096) % 26);
    // The INSERT is one COM_QUERY of 20 MB: two full packets and a shorter one.
    my_exec(connection.get(), "INSERT INTO blobs VALUES (1, '" + body + "')");
    CHECK(my_value(connection.get(), "SELECT LENGTH(body) FROM blobs WHERE id = 1") == std::to_string(kSize));
    CHECK(my_value(connection.get(), "SELECT MD5(body) FROM blobs WHERE id = 1") ==
          mariadb().query("SELECT MD5(body) FROM app.blobs WHERE id = 1"));
    // Back: one row of 20 MB, split by the server and joined by the client.
    MyResult fetched = my_query(connection.get(), "SELECT body FROM blobs WHERE id = 1");
    REQUIRE(fetched.error_code == 0);
    REQUIRE(fetched.rows.size() == 1);
    CHECK(fetched.rows[0][0] == body);
    CHECK(my_value(connection.get(), "SELECT 1") == "1");
}

TEST_CASE("mysql: COM_PING and COM_STATISTICS are answered", "[mysql][mysql-protocol]") {
    MySluice sluice;
    MyConnection connection = my_connect(sluice.login("app", "app"));
    CHECK(mysql_ping(connection.get()) == 0);
    const char* statistics = mysql_stat(connection.get());
    REQUIRE(statistics != nullptr);
    CHECK_THAT(std::string(statistics), Catch::Contains("Uptime"));
    CHECK(my_value(connection.get(), "SELECT 5") == "5");
}

namespace {

// An UPDATE's affected rows as Connector/C reports them, through a prepared statement.
std::uint64_t prepared_update_rows(MYSQL* connection, const std::string& sql) {
    MYSQL_STMT* statement = mysql_stmt_init(connection);
    REQUIRE(statement != nullptr);
    const bool ran = mysql_stmt_prepare(statement, sql.c_str(), sql.size()) == 0 && mysql_stmt_execute(statement) == 0;
    INFO(mysql_stmt_error(statement));
    const auto rows = static_cast<std::uint64_t>(mysql_stmt_affected_rows(statement));
    mysql_stmt_close(statement);
    REQUIRE(ran);
    return rows;
}

}  // namespace

TEST_CASE("mysql: CLIENT_FOUND_ROWS clients get matched rows, the others changed rows, on one backend",
          "[mysql][mysql-protocol]") {
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.found (id INT PRIMARY KEY, v INT NOT NULL)");
    mariadb().execute("DELETE FROM app.found");
    mariadb().execute("INSERT INTO app.found VALUES (1, 1), (2, 1), (3, 2)");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\npool_mode: transaction\n"});
    MyLoginOptions found_options = sluice.login("app", "app");
    found_options.found_rows = true;
    MyConnection found = my_connect(found_options);
    MyConnection changed = my_connect(sluice.login("app", "app"));
    // The same statements straight against MariaDB, with and without the flag, say what is right.
    MyLoginOptions direct_options = found_options;
    direct_options.port = mariadb().port();
    MyConnection direct_found = my_connect(direct_options);
    direct_options.found_rows = false;
    MyConnection direct_changed = my_connect(direct_options);

    const std::string update = "UPDATE found SET v = 1";  // matches 3 rows, changes 1 (then 0)
    for (int round = 0; round < 2; ++round) {
        INFO("round " << round);
        mariadb().execute("UPDATE app.found SET v = 2 WHERE id = 3");
        CHECK(my_query(direct_found.get(), update).affected_rows == 3);
        mariadb().execute("UPDATE app.found SET v = 2 WHERE id = 3");
        CHECK(my_query(found.get(), update).affected_rows == 3);
        CHECK(my_query(found.get(), update).affected_rows == 3);  // nothing changed, still 3 matched
        mariadb().execute("UPDATE app.found SET v = 2 WHERE id = 3");
        CHECK(my_query(changed.get(), update).affected_rows == 1);
        CHECK(my_query(changed.get(), update).affected_rows == 0);
        CHECK(my_query(direct_changed.get(), update).affected_rows == 0);
    }
    // Django's save() of an unchanged row: one matched row means "it exists", not "insert it".
    CHECK(my_query(found.get(), "UPDATE found SET v = 1 WHERE id = 1").affected_rows == 1);
    CHECK(my_query(changed.get(), "UPDATE found SET v = 1 WHERE id = 1").affected_rows == 0);
    // Binary protocol (Connector/J's server-side statements) and a multi-statement's every result.
    CHECK(prepared_update_rows(found.get(), "UPDATE found SET v = 1 WHERE id < 3") == 2);
    CHECK(prepared_update_rows(changed.get(), "UPDATE found SET v = 1 WHERE id < 3") == 0);
    const std::string both = "UPDATE found SET v = 1; UPDATE found SET v = v WHERE id = 2";
    REQUIRE(mysql_real_query(found.get(), both.c_str(), both.size()) == 0);
    CHECK(mysql_affected_rows(found.get()) == 3);
    REQUIRE(mysql_next_result(found.get()) == 0);
    CHECK(mysql_affected_rows(found.get()) == 1);
    CHECK(mysql_next_result(found.get()) == -1);
    // Other statements' counts are the server's own.
    CHECK(my_query(found.get(), "DELETE FROM found WHERE id = 3").affected_rows == 1);
    CHECK(my_query(found.get(), "INSERT INTO found VALUES (3, 5), (4, 5)").affected_rows == 2);
}
