// Binary prepared statements under MySQL transaction pooling, against the real MariaDB through
// Connector/C: statements follow their client to any backend, ids stay the client's, and the
// per-backend LRU keeps Prepared_stmt_count bounded. COM_PING needs no backend.
#include <atomic>
#include <memory>
#include <catch2/catch.hpp>
#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"
#include "support/my_clients.hpp"
#include "support/my_statement.hpp"

using namespace sluice_it;

namespace {

int global_status(const std::string& name) {
    MyConnection root = mariadb().root();
    MyResult status = my_query(root.get(), "SHOW GLOBAL STATUS LIKE '" + name + "'");
    return std::stoi(status.rows.at(0).at(1).value_or("0"));
}

int prepared_statements_now() { return global_status("Prepared_stmt_count"); }

}  // namespace

TEST_CASE("mysql: 8 clients keep binary prepared statements open over 2 backends", "[mysql][mysql_ps]") {
    close_backends_of("app");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.ps_rows (client INT NOT NULL, n INT NOT NULL) ENGINE=InnoDB");
    mariadb().execute("DELETE FROM app.ps_rows");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n",
                                    .users = "app:\n  password: app\nadmin:\n  password: admin\n"});
    constexpr int kClients = 8;
    constexpr int kRounds = 25;
    std::atomic<int> wrong{0};
    std::atomic<int> failed{0};
    std::atomic<int> peak{0};
    std::atomic<bool> done{false};
    std::thread monitor([&] {
        while (!done) {
            peak = std::max(peak.load(), mariadb().count_connections("app"));
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    std::vector<std::thread> clients;
    for (int client = 0; client < kClients; ++client) {
        clients.emplace_back([&, client] {
            try {
                MyConnection connection = my_connect(sluice.login("app", "app"));
                // Two statements each: their ids are the client's whatever backend runs them.
                MyStatement insert(connection.get(), "INSERT INTO ps_rows VALUES (?, ?)");
                MyStatement sum(connection.get(), "SELECT COUNT(*), COALESCE(SUM(n), 0), ? FROM ps_rows WHERE client = ?");
                long long expected_sum = 0;
                for (int n = 1; n <= kRounds; ++n) {
                    insert.execute({client, n});
                    if (insert.affected_rows() != 1) ++wrong;
                    expected_sum += n;
                    const auto rows = sum.execute({n * 1000 + client, client});
                    if (rows.size() != 1 || rows[0][0] != std::to_string(n) || rows[0][1] != std::to_string(expected_sum) ||
                        rows[0][2] != std::to_string(n * 1000 + client)) {
                        ++wrong;
                    }
                }
            } catch (const std::exception& error) {
                UNSCOPED_INFO(error.what());
                ++failed;
            }
        });
    }
    for (auto& thread : clients) thread.join();
    done = true;
    monitor.join();
    CHECK(failed == 0);
    CHECK(wrong == 0);
    CHECK(mariadb().query("SELECT COUNT(*) FROM app.ps_rows") == std::to_string(kClients * kRounds));
    CHECK(peak >= 1);
    CHECK(peak <= 2);
    // Sluice's own view agrees: two backends at most for the pool.
    Connection console = admin_connect(sluice.process());
    AdminTable pools = admin_show(console.get(), "SHOW POOLS");
    const auto rows = pools.where("database", "app");
    REQUIRE(rows.size() == 1);
    CHECK(std::stoi(pools.at(rows[0], "sv_active")) + std::stoi(pools.at(rows[0], "sv_idle")) +
              std::stoi(pools.at(rows[0], "sv_used")) <= 2);
}

// Each of 8 clients prepares the same two statements and runs them in 40 transactions of one
// statement over 2 backends. A backend changes hands as it is (its last client left no session
// state) and keeps its statements for every client with the same text, schema and character set:
// the server prepares the clients' own 16 and at most one more per statement and backend. (A
// reset per change of hands, or statements kept per client, would prepare on most of the 320.)
TEST_CASE("mysql: clients with the same statements share them on a backend that changes hands unreset",
          "[mysql][mysql_ps]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    const int prepared_before = global_status("Com_stmt_prepare");
    std::atomic<int> wrong{0};
    const int failed = run_clients(sluice, 8, [&](int client, MYSQL* connection) {
        MyStatement twice(connection, "SELECT ? * 2");
        MyStatement plus(connection, "SELECT ? + 1");
        for (int n = 0; n < 20; ++n) {
            const auto doubled = twice.execute({client * 100 + n});
            const auto incremented = plus.execute({client * 100 + n});
            if (doubled.size() != 1 || doubled[0][0] != std::to_string((client * 100 + n) * 2)) ++wrong;
            if (incremented.size() != 1 || incremented[0][0] != std::to_string(client * 100 + n + 1)) ++wrong;
        }
    });
    CHECK(failed == 0);
    CHECK(wrong == 0);
    const int prepared = global_status("Com_stmt_prepare") - prepared_before;
    CHECK(prepared >= 16);
    CHECK(prepared <= 16 + 2 * 2);
}

// Connector/J sends the same SETs at every connect: a backend changes hands between such
// clients without COM_RESET_CONNECTION, its statements kept; a client with other SETs still
// gets it reset.
TEST_CASE("mysql: clients with the same SETs take a backend over unreset, its statements kept",
          "[mysql][mysql_ps][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    constexpr int kClients = 8;
    std::vector<MyConnection> connections;
    std::vector<std::unique_ptr<MyStatement>> statements;
    for (int client = 0; client < kClients; ++client) {
        connections.push_back(my_connect(sluice.login("app", "app")));
        my_exec(connections.back().get(), "SET sql_mode = 'STRICT_ALL_TABLES'");
        my_exec(connections.back().get(), "SET SESSION group_concat_max_len = 4096");
        statements.push_back(std::make_unique<MyStatement>(connections.back().get(),
                                                           "SELECT ? * 2, @@sql_mode, @@group_concat_max_len"));
    }
    // Every client has the same SETs now: handing a backend over needs no reset, so each backend
    // prepares the statement once at most, however often it changes hands.
    const int prepared_before = global_status("Com_stmt_prepare");
    std::atomic<int> wrong{0}, failed{0};
    std::vector<std::thread> threads;
    for (int client = 0; client < kClients; ++client) {
        threads.emplace_back([&, client] {
            try {
                for (int n = 0; n < 20; ++n) {
                    const auto row = statements[client]->execute({client * 100 + n});
                    if (row.size() != 1 || row[0][0] != std::to_string((client * 100 + n) * 2) ||
                        row[0][1] != "STRICT_ALL_TABLES" || row[0][2] != "4096") {
                        ++wrong;
                    }
                }
            } catch (const std::exception& error) {
                UNSCOPED_INFO(error.what());
                ++failed;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    CHECK(failed == 0);
    CHECK(wrong == 0);
    CHECK(global_status("Com_stmt_prepare") - prepared_before <= 2);

    // Fewer SETs than the backend has: reset first, so the length is the default again.
    MyConnection partial = my_connect(sluice.login("app", "app"));
    my_exec(partial.get(), "SET sql_mode = 'STRICT_ALL_TABLES'");
    for (int n = 0; n < 4; ++n) {  // whichever backend it gets
        CHECK(my_value(partial.get(), "SELECT @@group_concat_max_len") != "4096");
        CHECK(my_value(partial.get(), "SELECT @@sql_mode") == "STRICT_ALL_TABLES");
    }
}

TEST_CASE("mysql: a prepared statement executes on another backend than the one that prepared it",
          "[mysql][mysql_ps]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    MyConnection mover = my_connect(sluice.login("app", "app"));
    MyStatement statement(mover.get(), "SELECT CONNECTION_ID(), ? * 2");
    MyStatement later(mover.get(), "SELECT CONNECTION_ID(), ? + 1");  // first run inside a transaction
    const auto first = statement.execute({21});
    REQUIRE(first.size() == 1);
    CHECK(first[0][1] == "42");
    const std::string prepared_on = first[0][0];
    // Others hold the backend that prepared it (inside transactions) until one of them has it.
    std::vector<MyConnection> holders;
    bool held = false;
    for (int attempt = 0; attempt < 2 && !held; ++attempt) {
        holders.push_back(my_connect(sluice.login("app", "app")));
        my_exec(holders.back().get(), "BEGIN");
        held = my_value(holders.back().get(), "SELECT CONNECTION_ID()") == prepared_on;
    }
    REQUIRE(held);
    if (holders.size() == 2) my_exec(holders.front().get(), "COMMIT");  // frees the other backend
    // Same statement, same bound buffers (Connector/C sends no types now), another backend.
    const auto second = statement.execute({50});
    REQUIRE(second.size() == 1);
    CHECK(second[0][0] != prepared_on);
    CHECK(second[0][1] == "100");
    const auto third = statement.execute({-7});
    REQUIRE(third.size() == 1);
    CHECK(third[0][1] == "-14");
    // Inside a transaction on the new backend: prepared there on the way, unseen by the client.
    my_exec(mover.get(), "BEGIN");
    const std::string in_transaction = my_value(mover.get(), "SELECT CONNECTION_ID()");
    const auto fourth = later.execute({41});
    REQUIRE(fourth.size() == 1);
    CHECK(fourth[0][0] == in_transaction);
    CHECK(fourth[0][0] != prepared_on);
    CHECK(fourth[0][1] == "42");
    const auto fifth = statement.execute({4});
    REQUIRE(fifth.size() == 1);
    CHECK(fifth[0][1] == "8");
    my_exec(mover.get(), "COMMIT");
    my_exec(holders.back().get(), "COMMIT");
}

TEST_CASE("mysql: the per-backend LRU keeps Prepared_stmt_count bounded", "[mysql][mysql_ps]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nmax_prepared_statements: 5\n"});
    const int before = prepared_statements_now();
    MyConnection connection = my_connect(sluice.login("app", "app"));
    std::vector<std::unique_ptr<MyStatement>> statements;
    for (int i = 0; i < 20; ++i) {
        statements.push_back(std::make_unique<MyStatement>(connection.get(), "SELECT ? + " + std::to_string(i)));
        const auto rows = statements.back()->execute({1000});
        REQUIRE(rows.size() == 1);
        CHECK(rows[0][0] == std::to_string(1000 + i));
        CHECK(prepared_statements_now() - before <= 5);
    }
    // Every one still works, prepared again where the LRU let it go.
    for (int i = 0; i < 20; ++i) {
        const auto rows = statements[i]->execute({i});
        REQUIRE(rows.size() == 1);
        CHECK(rows[0][0] == std::to_string(2 * i));
    }
    CHECK(prepared_statements_now() - before <= 5);
    // All twenty inside one transaction: each prepared again on the way, the LRU closing others.
    my_exec(connection.get(), "BEGIN");
    for (int i = 19; i >= 0; --i) {
        const auto rows = statements[i]->execute({3 * i});
        REQUIRE(rows.size() == 1);
        CHECK(rows[0][0] == std::to_string(4 * i));
        CHECK(prepared_statements_now() - before <= 5);
    }
    my_exec(connection.get(), "COMMIT");
    // Closing forgets: the client's ids are gone, and the backend's.
    statements.clear();
    CHECK(prepared_statements_now() - before <= 5);
}

TEST_CASE("mysql: COM_PING is answered without a backend", "[mysql][mysql_ps]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection holder = my_connect(sluice.login("app", "app"));
    my_exec(holder.get(), "BEGIN");
    my_exec(holder.get(), "SELECT 1");  // the only backend is now inside holder's transaction
    MyConnection pinger = my_connect(sluice.login("app", "app"));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 5; ++i) CHECK(mysql_ping(pinger.get()) == 0);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
    my_exec(holder.get(), "COMMIT");
    CHECK(my_value(pinger.get(), "SELECT 7") == "7");
}

TEST_CASE("mysql: COM_STMT_SEND_LONG_DATA keeps the backend until its execute", "[mysql][mysql_ps]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    MyConnection connection = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    MYSQL_STMT* statement = mysql_stmt_init(connection.get());
    const std::string sql = "SELECT LENGTH(?), CONNECTION_ID()";
    REQUIRE(mysql_stmt_prepare(statement, sql.data(), sql.size()) == 0);
    for (int round = 0; round < 3; ++round) {
        MYSQL_BIND parameter{};
        parameter.buffer_type = MYSQL_TYPE_BLOB;
        REQUIRE(mysql_stmt_bind_param(statement, &parameter) == 0);
        const std::string part(70000, 'x');
        REQUIRE(mysql_stmt_send_long_data(statement, 0, part.data(), part.size()) == 0);
        // Others work meanwhile: the data stays on the backend it went to.
        for (int i = 0; i < 3; ++i) CHECK(my_value(other.get(), "SELECT 1") == "1");
        REQUIRE(mysql_stmt_send_long_data(statement, 0, part.data(), part.size()) == 0);
        REQUIRE(mysql_stmt_execute(statement) == 0);
        long long length = 0;
        long long thread = 0;
        MYSQL_BIND results[2]{};
        results[0].buffer_type = MYSQL_TYPE_LONGLONG;
        results[0].buffer = &length;
        results[1].buffer_type = MYSQL_TYPE_LONGLONG;
        results[1].buffer = &thread;
        REQUIRE(mysql_stmt_bind_result(statement, results) == 0);
        REQUIRE(mysql_stmt_store_result(statement) == 0);
        REQUIRE(mysql_stmt_fetch(statement) == 0);
        CHECK(length == 140000);
        mysql_stmt_free_result(statement);
    }
    mysql_stmt_close(statement);
}

TEST_CASE("mysql: a client that closes its statement leaves the only backend to the next client",
          "[mysql][mysql_ps]") {
    close_backends_of("app");
    // query_wait_timeout bounds how long the other client would wait for a backend left held.
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nquery_wait_timeout: 3s\n"});
    MyConnection closer = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    for (int round = 0; round < 5; ++round) {
        INFO("round " << round);
        MYSQL_STMT* statement = mysql_stmt_init(closer.get());
        REQUIRE(statement != nullptr);
        const std::string sql = "SELECT 6 * 7";
        REQUIRE(mysql_stmt_prepare(statement, sql.c_str(), sql.size()) == 0);
        REQUIRE(mysql_stmt_execute(statement) == 0);
        REQUIRE(mysql_stmt_store_result(statement) == 0);
        mysql_stmt_free_result(statement);
        // COM_STMT_CLOSE gets no answer: nothing from the server would end a lease taken for it.
        mysql_stmt_close(statement);
        const auto started = std::chrono::steady_clock::now();
        MyResult answer = my_query(other.get(), "SELECT 42");
        CHECK(answer.error_code == 0);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    }
    // The statement is gone for its client; the next prepare works on whichever backend.
    CHECK(my_value(closer.get(), "SELECT 1") == "1");
}

namespace {

MYSQL_STMT* prepared(MYSQL* connection, const std::string& sql) {
    MYSQL_STMT* statement = mysql_stmt_init(connection);
    REQUIRE(statement != nullptr);
    INFO(sql);
    REQUIRE(mysql_stmt_prepare(statement, sql.c_str(), sql.size()) == 0);
    return statement;
}

// Prepares, runs and closes `count` other statements: each new key pushes the LRU.
void run_others(MYSQL* connection, int count) {
    for (int i = 0; i < count; ++i) {
        MYSQL_STMT* other = prepared(connection, "SELECT " + std::to_string(1000 + i));
        REQUIRE(mysql_stmt_execute(other) == 0);
        REQUIRE(mysql_stmt_store_result(other) == 0);
        mysql_stmt_free_result(other);
        mysql_stmt_close(other);
    }
}

}  // namespace

TEST_CASE("mysql: the statement LRU keeps statements with long data sent or a cursor open", "[mysql][mysql_ps]") {
    close_backends_of("app");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.lru_blobs (id INT PRIMARY KEY, b LONGBLOB)");
    mariadb().execute("DELETE FROM app.lru_blobs");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.lru_rows (id INT PRIMARY KEY)");
    mariadb().execute("DELETE FROM app.lru_rows");
    std::string values;
    for (int n = 1; n <= 20; ++n) values += (n > 1 ? ",(" : "(") + std::to_string(n) + ")";
    mariadb().execute("INSERT INTO app.lru_rows VALUES " + values);
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nmax_prepared_statements: 2\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));

    // Long data waits on the backend's statement for its execute: evicting it lost the data.
    MYSQL_STMT* insert = prepared(client.get(), "INSERT INTO lru_blobs VALUES (10, ?)");
    MYSQL_BIND parameter{};
    parameter.buffer_type = MYSQL_TYPE_BLOB;
    REQUIRE(mysql_stmt_bind_param(insert, &parameter) == 0);
    const std::string payload = "LONGDATA-PAYLOAD";
    REQUIRE(mysql_stmt_send_long_data(insert, 0, payload.data(), payload.size()) == 0);
    run_others(client.get(), 3);
    INFO(mysql_stmt_error(insert));
    REQUIRE(mysql_stmt_execute(insert) == 0);
    mysql_stmt_close(insert);
    CHECK(mariadb().query("SELECT IFNULL(b, 'NULL') FROM app.lru_blobs WHERE id = 10") == payload);

    // An open cursor's rows are fetched later: evicting its statement closed the cursor.
    MYSQL_STMT* cursor = prepared(client.get(), "SELECT id FROM lru_rows ORDER BY id");
    unsigned long cursor_type = CURSOR_TYPE_READ_ONLY;
    unsigned long prefetch = 2;
    REQUIRE(mysql_stmt_attr_set(cursor, STMT_ATTR_CURSOR_TYPE, &cursor_type) == 0);
    REQUIRE(mysql_stmt_attr_set(cursor, STMT_ATTR_PREFETCH_ROWS, &prefetch) == 0);
    REQUIRE(mysql_stmt_execute(cursor) == 0);
    int id = 0;
    MYSQL_BIND column{};
    column.buffer_type = MYSQL_TYPE_LONG;
    column.buffer = &id;
    REQUIRE(mysql_stmt_bind_result(cursor, &column) == 0);
    REQUIRE(mysql_stmt_fetch(cursor) == 0);
    int rows = 1;
    run_others(client.get(), 3);
    int fetched = 0;
    while ((fetched = mysql_stmt_fetch(cursor)) == 0) ++rows;
    INFO(mysql_stmt_error(cursor));
    CHECK(fetched == MYSQL_NO_DATA);
    CHECK(rows == 20);
    mysql_stmt_close(cursor);
}

TEST_CASE("mysql: a cursor that never opened and long data of a closed statement do not pin",
          "[mysql][mysql_ps]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nquery_wait_timeout: 3s\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    // A cursor asked for a statement with no result set: none opens, nothing to keep.
    MYSQL_STMT* no_rows = prepared(client.get(), "DO 1");
    unsigned long cursor_type = CURSOR_TYPE_READ_ONLY;
    REQUIRE(mysql_stmt_attr_set(no_rows, STMT_ATTR_CURSOR_TYPE, &cursor_type) == 0);
    REQUIRE(mysql_stmt_execute(no_rows) == 0);
    CHECK(my_query(other.get(), "SELECT 1").error_code == 0);  // the only backend came back
    mysql_stmt_close(no_rows);
    // Long data for a statement then closed without an execute: the data went with it.
    MYSQL_STMT* abandoned = prepared(client.get(), "SELECT LENGTH(?)");
    MYSQL_BIND parameter{};
    parameter.buffer_type = MYSQL_TYPE_BLOB;
    REQUIRE(mysql_stmt_bind_param(abandoned, &parameter) == 0);
    REQUIRE(mysql_stmt_send_long_data(abandoned, 0, "abc", 3) == 0);
    mysql_stmt_close(abandoned);
    CHECK(my_query(client.get(), "SELECT 2").error_code == 0);  // its session goes on
    CHECK(my_query(other.get(), "SELECT 3").error_code == 0);   // and holds nothing
}

TEST_CASE("mysql: a statement is never prepared again under another schema than its own", "[mysql][mysql_ps]") {
    close_backends_of("app");
    for (const std::string schema : {"app", "app2"}) {
        mariadb().execute("CREATE TABLE IF NOT EXISTS " + schema + ".ctx_rows (v VARCHAR(20))");
        mariadb().execute("DELETE FROM " + schema + ".ctx_rows");
        mariadb().execute("INSERT INTO " + schema + ".ctx_rows VALUES ('from_" + schema + "')");
    }
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    MYSQL_STMT* statement = prepared(client.get(), "SELECT v FROM ctx_rows");
    REQUIRE(mysql_select_db(client.get(), "app2") == 0);
    // Another client's SET: the backend is reset before this client has it again, and its
    // statements with it.
    my_exec(other.get(), "SET time_zone = '+03:00'");
    const bool ran = mysql_stmt_execute(statement) == 0;
    std::string value;
    if (ran) {
        char buffer[32] = {};
        unsigned long length = 0;
        MYSQL_BIND column{};
        column.buffer_type = MYSQL_TYPE_STRING;
        column.buffer = buffer;
        column.buffer_length = sizeof buffer;
        column.length = &length;
        REQUIRE(mysql_stmt_bind_result(statement, &column) == 0);
        REQUIRE(mysql_stmt_fetch(statement) == 0);
        value.assign(buffer, length);
    }
    INFO(mysql_stmt_error(statement));
    // Its own schema's row, or the server's error: never app2's row for a statement on app's table.
    CHECK(value != "from_app2");
    CHECK((ran ? value == "from_app" : mysql_stmt_errno(statement) == 1243));
    mysql_stmt_close(statement);
}

// Connector/J's setAutoCommit(false), commit(), setAutoCommit(true) between two runs of a cached
// statement: autocommit changes nothing a prepare sees, so the statement is prepared again on
// the backend another client's SETs had reset (it got 1243 "Unknown prepared statement").
TEST_CASE("mysql: a statement still runs on another backend after the client toggled autocommit",
          "[mysql][mysql_ps]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    MyStatement doubled(client.get(), "SELECT ? * 2");
    REQUIRE(doubled.execute({21}).at(0).at(0) == "42");
    my_exec(client.get(), "SET autocommit = 0");
    my_exec(client.get(), "COMMIT");
    my_exec(client.get(), "SET autocommit = 1");
    // Another client's SET: the one backend is reset before this client has it again.
    my_exec(other.get(), "SET time_zone = '+03:00'");
    const auto again = doubled.execute({50});
    REQUIRE(again.size() == 1);
    CHECK(again[0][0] == "100");
    CHECK(my_value(client.get(), "SELECT @@autocommit") == "1");
}
