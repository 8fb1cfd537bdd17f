// Protocol-level prepared statements in transaction mode, driven with libpq where the real
// drivers (test_drivers.cpp) do not reach: pipelined batches with several Syncs in flight,
// Describe alone, a failing Parse, eviction under max_prepared_statements, SQL DEALLOCATE of a
// protocol-level statement, a duplicate name (refused as PostgreSQL refuses it), and backends
// lost between transactions. Clients
// outnumber backends, so statements meet backends that have not got them.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/admin.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr int kPoolSize = 2;

SluiceOptions transaction_pool(const std::string& extra_defaults = "") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(kPoolSize) + "\n" + extra_defaults;
    return options;
}

Connection client_of(const SluiceProcess& sluice) { return connect(sluice.conninfo("app", "app")); }

// Drains a pipeline's results up to and including its next PGRES_PIPELINE_SYNC; returns the
// first column of the first row of each tuple result, in order ("!" + SQLSTATE for an error).
std::vector<std::string> read_until_sync(PGconn* conn) {
    std::vector<std::string> values;
    const auto deadline = std::chrono::steady_clock::now() + kQueryTimeout;
    for (;;) {
        while (PQisBusy(conn)) {
            if (!wait_readable(conn, deadline)) throw PgTimeout("pipeline results did not come");
            if (!PQconsumeInput(conn)) throw std::runtime_error(PQerrorMessage(conn));
        }
        PgResult result(PQgetResult(conn));
        if (!result) continue;  // the end of one query's results
        const auto status = PQresultStatus(result.get());
        if (status == PGRES_PIPELINE_SYNC) return values;
        if (status == PGRES_TUPLES_OK && PQntuples(result.get()) > 0) values.emplace_back(PQgetvalue(result.get(), 0, 0));
        if (status == PGRES_FATAL_ERROR) values.push_back("!" + sqlstate(result.get()));
    }
}

}  // namespace

TEST_CASE("prepared statements: pipelined batches with several Syncs in flight, 8 clients over 2 backends",
          "[prepared][pipelined]") {
    SluiceProcess sluice(transaction_pool());
    constexpr int kClients = 8;
    constexpr int kRounds = 15;
    std::atomic<int> correct{0};
    std::vector<std::string> failures(kClients);
    std::vector<std::thread> threads;
    for (int client = 0; client < kClients; ++client) {
        threads.emplace_back([&, client] {
            try {
                Connection conn = client_of(sluice);
                REQUIRE(PQenterPipelineMode(conn) == 1);
                const std::string mine = "SELECT $1::int * 10 + " + std::to_string(client);
                for (int round = 0; round < kRounds; ++round) {
                    // Round 0 parses in the same batch as its first executes; later rounds only bind,
                    // on whichever backend the batch gets.
                    if (round == 0) REQUIRE(PQsendPrepare(conn, "mine", mine.c_str(), 1, nullptr) == 1);
                    if (round == 0) REQUIRE(PQsendPrepare(conn, "shared", "SELECT $1::text || '!'", 1, nullptr) == 1);
                    const std::string a = std::to_string(round), b = std::to_string(round + 100);
                    const char* first[] = {a.c_str()};
                    const char* second[] = {b.c_str()};
                    REQUIRE(PQsendQueryPrepared(conn, "mine", 1, first, nullptr, nullptr, 0) == 1);
                    REQUIRE(PQsendQueryPrepared(conn, "shared", 1, second, nullptr, nullptr, 0) == 1);
                    REQUIRE(PQpipelineSync(conn) == 1);
                    REQUIRE(PQsendQueryPrepared(conn, "mine", 1, second, nullptr, nullptr, 0) == 1);
                    REQUIRE(PQpipelineSync(conn) == 1);  // two Syncs in flight
                    const auto batch = read_until_sync(conn);
                    const auto next = read_until_sync(conn);
                    const std::vector<std::string> expected_batch = {std::to_string(round * 10 + client), b + "!"};
                    const std::vector<std::string> expected_next = {std::to_string((round + 100) * 10 + client)};
                    if (batch != expected_batch || next != expected_next) {
                        failures[client] = "round " + a + ": got " + (batch.empty() ? "" : batch[0]) + ", " +
                                           (batch.size() > 1 ? batch[1] : "") + " / " + (next.empty() ? "" : next[0]);
                        return;
                    }
                    ++correct;
                }
            } catch (const std::exception& e) {
                failures[client] = e.what();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (int client = 0; client < kClients; ++client) {
        INFO("client " << client);
        CHECK(failures[client] == "");
    }
    CHECK(correct == kClients * kRounds);
    CHECK(postgres().count_backends("app", "app") <= kPoolSize);
}

TEST_CASE("prepared statements: Describe alone, a failing Parse, SQL DEALLOCATE, a duplicate name",
          "[prepared]") {
    SluiceProcess sluice(transaction_pool());
    Connection conn = client_of(sluice);
    Connection other = client_of(sluice);
    Connection third = client_of(sluice);

    SECTION("Describe of a statement prepared in an earlier transaction, on whichever backend") {
        REQUIRE(succeeded(prepare(conn, "d1", "SELECT $1::int AS a, $2::text AS b, now() AS c", 2).get()));
        // Other clients take the backends meanwhile, so the Describe may meet one without it.
        exec_ok(other, "BEGIN");
        exec_ok(third, "SELECT 1");
        PgResult described = run_async(conn, [&] { return PQsendDescribePrepared(conn, "d1"); });
        REQUIRE(succeeded(described.get()));
        CHECK(PQnparams(described.get()) == 2);
        CHECK(PQparamtype(described.get(), 0) == 23);  // int4
        CHECK(PQnfields(described.get()) == 3);
        CHECK(std::string(PQfname(described.get(), 1)) == "b");
        exec_ok(other, "COMMIT");
    }
    SECTION("a Parse that fails leaves no statement: the same name parses again") {
        PgResult bad = prepare(conn, "p1", "SELEC $1", 1);
        CHECK(sqlstate(bad.get()) == "42601");
        REQUIRE(succeeded(prepare(conn, "p1", "SELECT $1::int + 1", 1).get()));
        PgResult good = exec_prepared(conn, "p1", {"41"});
        REQUIRE(succeeded(good.get()));
        CHECK(std::string(PQgetvalue(good.get(), 0, 0)) == "42");
        CHECK(query_value(conn, "SELECT 'still usable'") == "still usable");
    }
    SECTION("SQL DEALLOCATE of a protocol-level statement, then the name again with another text") {
        REQUIRE(succeeded(prepare(conn, "q1", "SELECT 1", 0).get()));
        exec_ok(conn, "DEALLOCATE q1");
        REQUIRE(succeeded(prepare(conn, "q1", "SELECT 2", 0).get()));
        PgResult again = exec_prepared(conn, "q1", {});
        REQUIRE(succeeded(again.get()));
        CHECK(std::string(PQgetvalue(again.get(), 0, 0)) == "2");
        // Another client's statement of the same first text is not touched by it.
        REQUIRE(succeeded(prepare(other, "q1", "SELECT 1", 0).get()));
        exec_ok(conn, "DEALLOCATE ALL");
        PgResult others = exec_prepared(other, "q1", {});
        REQUIRE(succeeded(others.get()));
        CHECK(std::string(PQgetvalue(others.get(), 0, 0)) == "1");
        CHECK(sqlstate(exec_prepared(conn, "q1", {}).get()) == "26000");  // gone for conn: does not exist
    }
    SECTION("Parse of a name the client already has fails with 42P05 as in PostgreSQL; the client goes on") {
        // PHP's pg_prepare() in code that runs twice, an ORM preparing a name again: PostgreSQL
        // refuses the second Parse and the session goes on with the first statement.
        REQUIRE(succeeded(prepare(conn, "dup", "SELECT 1", 0).get()));
        PgResult duplicate = prepare(conn, "dup", "SELECT 2", 0);
        CHECK(sqlstate(duplicate.get()) == "42P05");
        CHECK(std::string(PQresultErrorField(duplicate.get(), PG_DIAG_MESSAGE_PRIMARY)) ==
              "prepared statement \"dup\" already exists");
        CHECK(PQstatus(conn) == CONNECTION_OK);
        PgResult first = exec_prepared(conn, "dup", {});
        REQUIRE(succeeded(first.get()));
        CHECK(std::string(PQgetvalue(first.get(), 0, 0)) == "1");
        // In a transaction block the refusal fails the block, as PostgreSQL's does; the next
        // statement says so (25P02), and ROLLBACK ends it.
        exec_ok(conn, "BEGIN");
        CHECK(sqlstate(prepare(conn, "dup", "SELECT 3", 0).get()) == "42P05");
        CHECK(PQtransactionStatus(conn) == PQTRANS_INERROR);
        PgResult in_failed_block = exec(conn, "SELECT 1");
        CHECK(sqlstate(in_failed_block.get()) == "25P02");
        exec_ok(conn, "ROLLBACK");
        CHECK(query_value(conn, "SELECT 'usable'") == "usable");
        CHECK(query_value(other, "SELECT 'others unaffected'") == "others unaffected");
    }
}

TEST_CASE("prepared statements: DEALLOCATE and DISCARD ALL sent with the extended protocol (psycopg 3) reach both sides",
          "[prepared]") {
    // One backend: every client's statements meet on it. psycopg 3 sends DEALLOCATE ALL after a
    // rollback and DEALLOCATE name when its cache is full as unnamed Parse/Bind/Execute, and
    // prepares a DISCARD ALL it runs often; libpq's PQexecParams sends the same messages.
    SluiceProcess sluice(SluiceOptions{.defaults = "pool_mode: transaction\npool_size: 1\n"});
    Connection conn = client_of(sluice);
    Connection other = client_of(sluice);
    const auto value_of = [](PgResult result) {
        INFO(describe(result.get()));
        REQUIRE(succeeded(result.get()));
        return std::string(PQgetvalue(result.get(), 0, 0));
    };
    REQUIRE(succeeded(prepare(conn, "s1", "SELECT $1::int + 1", 1).get()));
    CHECK(value_of(exec_prepared(conn, "s1", {"1"})) == "2");

    SECTION("DEALLOCATE ALL") {
        REQUIRE(succeeded(exec_params(conn, "DEALLOCATE ALL", {}).get()));
        // The backend has nothing left: another client's statement of the same text is prepared anew.
        REQUIRE(succeeded(prepare(other, "t1", "SELECT $1::int + 1", 1).get()));
        CHECK(value_of(exec_prepared(other, "t1", {"10"})) == "11");
        // The client's own names are gone too, as in PostgreSQL: the name parses again.
        CHECK(sqlstate(exec_prepared(conn, "s1", {"1"}).get()) == "26000");
        REQUIRE(succeeded(prepare(conn, "s1", "SELECT $1::int + 3", 1).get()));
        CHECK(value_of(exec_prepared(conn, "s1", {"1"})) == "4");
    }
    SECTION("DEALLOCATE name of a protocol-level statement") {
        REQUIRE(succeeded(exec_params(conn, "DEALLOCATE s1", {}).get()));
        CHECK(sqlstate(exec_prepared(conn, "s1", {"1"}).get()) == "26000");
        REQUIRE(succeeded(prepare(other, "t1", "SELECT $1::int + 1", 1).get()));
        CHECK(value_of(exec_prepared(other, "t1", {"20"})) == "21");
        REQUIRE(succeeded(prepare(conn, "s1", "SELECT $1::int + 5", 1).get()));
        CHECK(value_of(exec_prepared(conn, "s1", {"1"})) == "6");
    }
    SECTION("DISCARD ALL as a named prepared statement, run twice") {
        REQUIRE(succeeded(prepare(other, "t1", "SELECT $1::int + 1", 1).get()));
        CHECK(value_of(exec_prepared(other, "t1", {"30"})) == "31");
        REQUIRE(succeeded(prepare(conn, "discard", "DISCARD ALL", 0).get()));
        REQUIRE(succeeded(exec_prepared(conn, "discard", {}).get()));
        // The other client's statement is prepared again where it runs next.
        CHECK(value_of(exec_prepared(other, "t1", {"40"})) == "41");
        REQUIRE(succeeded(prepare(conn, "discard", "DISCARD ALL", 0).get()));
        REQUIRE(succeeded(exec_prepared(conn, "discard", {}).get()));
        CHECK(value_of(exec_prepared(other, "t1", {"50"})) == "51");
    }
}

TEST_CASE("prepared statements: a statement whose columns changed is prepared again, and search_paths do not share one",
          "[prepared]") {
    SluiceProcess sluice(SluiceOptions{.defaults = "pool_mode: transaction\npool_size: 1\n"});
    Connection setup = client_of(sluice);
    exec_ok(setup, "DROP SCHEMA IF EXISTS it_sa CASCADE");
    exec_ok(setup, "DROP SCHEMA IF EXISTS it_sb CASCADE");
    exec_ok(setup, "CREATE SCHEMA it_sa");
    exec_ok(setup, "CREATE SCHEMA it_sb");
    exec_ok(setup, "CREATE TABLE it_sa.shaped (x int)");
    exec_ok(setup, "INSERT INTO it_sa.shaped VALUES (1)");
    exec_ok(setup, "CREATE TABLE it_sb.shaped (x text, y int)");
    exec_ok(setup, "INSERT INTO it_sb.shaped VALUES ('b', 2)");
    const auto row_of = [](PgResult result) {
        INFO(describe(result.get()));
        REQUIRE(succeeded(result.get()));
        std::string row;
        for (int column = 0; column < PQnfields(result.get()); ++column) {
            row += std::string(column ? "," : "") + PQgetvalue(result.get(), 0, column);
        }
        return row;
    };

    SECTION("two clients with other search_paths prepare the same text on one backend") {
        Connection a = client_of(sluice);
        Connection b = client_of(sluice);
        exec_ok(a, "SET search_path = it_sa");
        exec_ok(b, "SET search_path = it_sb");
        REQUIRE(succeeded(prepare(a, "q", "SELECT * FROM shaped", 0).get()));
        REQUIRE(succeeded(prepare(b, "q", "SELECT * FROM shaped", 0).get()));
        for (int round = 0; round < 3; ++round) {
            CHECK(row_of(exec_prepared(a, "q", {})) == "1");
            CHECK(row_of(exec_prepared(b, "q", {})) == "b,2");
        }
    }
    SECTION("after ALTER TABLE the driver's new Parse of the same text gets a fresh statement") {
        Connection a = client_of(sluice);
        exec_ok(a, "SET search_path = it_sa");
        REQUIRE(succeeded(prepare(a, "q1", "SELECT * FROM shaped", 0).get()));
        CHECK(row_of(exec_prepared(a, "q1", {})) == "1");
        exec_ok(setup, "ALTER TABLE it_sa.shaped ADD COLUMN z int DEFAULT 7");
        // PostgreSQL itself fails the old statement once ...
        CHECK(sqlstate(exec_prepared(a, "q1", {}).get()) == "0A000");
        // ... and a statement prepared again (as asyncpg and pgjdbc do) sees the new columns.
        REQUIRE(succeeded(prepare(a, "q2", "SELECT * FROM shaped", 0).get()));
        CHECK(row_of(exec_prepared(a, "q2", {})) == "1,7");
        Connection other = client_of(sluice);
        exec_ok(other, "SET search_path = it_sa");
        REQUIRE(succeeded(prepare(other, "q", "SELECT * FROM shaped", 0).get()));
        CHECK(row_of(exec_prepared(other, "q", {})) == "1,7");
    }
}

TEST_CASE("prepared statements: a Parse while every backend is held is answered without one", "[prepared]") {
    // libpq's PQprepare blocks until answered: behind a pool whose backends other clients hold in
    // transactions it would wait query_wait_timeout (3 s here) if the Parse needed a backend.
    SluiceProcess sluice(transaction_pool("query_wait_timeout: 3s"));
    Connection conn = client_of(sluice);
    Connection other = client_of(sluice);
    Connection third = client_of(sluice);
    exec_ok(other, "BEGIN");
    exec_ok(third, "BEGIN");
    CHECK(query_value(other, "SELECT 'holds one'") == "holds one");
    CHECK(query_value(third, "SELECT 'holds the other'") == "holds the other");

    const auto started = std::chrono::steady_clock::now();
    REQUIRE(succeeded(prepare(conn, "w1", "SELECT $1::int * 2", 1).get()));
    // The server has not read this text yet: its error comes when the statement is first used.
    REQUIRE(succeeded(prepare(conn, "w2", "SELEC broken", 0).get()));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    CHECK(postgres().count_backends("app", "app") <= kPoolSize);

    exec_ok(other, "COMMIT");
    exec_ok(third, "COMMIT");
    PgResult doubled = exec_prepared(conn, "w1", {"21"});
    REQUIRE(succeeded(doubled.get()));
    CHECK(std::string(PQgetvalue(doubled.get(), 0, 0)) == "42");
    CHECK(sqlstate(exec_prepared(conn, "w2", {}).get()) == "42601");
    CHECK(query_value(conn, "SELECT 'still usable'") == "still usable");
    PgResult again = exec_prepared(conn, "w1", {"5"});
    REQUIRE(succeeded(again.get()));
    CHECK(std::string(PQgetvalue(again.get(), 0, 0)) == "10");
    // With a backend free, a bad Parse is refused at once, as PostgreSQL does.
    CHECK(sqlstate(prepare(conn, "w3", "SELEC broken", 0).get()) == "42601");
    // The two Parses answered without a backend count as clients' Parses too (added at the next lease's end).
    Connection console = admin_connect(sluice);
    CHECK(eventually([&] {
        const AdminTable stats = admin_show(console, "SHOW STATS");
        const auto app = stats.where("database", "app");
        return app.size() == 1 && stats.at(app[0], "total_client_parse_count") == "3";
    }));
}

TEST_CASE("prepared statements: in statement mode, 4 clients' named statements follow them over 2 backends",
          "[prepared][statement_mode]") {
    SluiceOptions options;
    options.defaults = "pool_mode: statement\npool_size: 2";
    SluiceProcess sluice(options);
    constexpr int kClients = 4;
    constexpr int kRuns = 30;
    std::vector<Connection> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(client_of(sluice));
    // Same name, another text per client: a mix-up between clients would show in the values.
    for (int i = 0; i < kClients; ++i) {
        const std::string sql = "SELECT $1::int + " + std::to_string(100 * i) + ", pg_backend_pid()";
        REQUIRE(succeeded(prepare(clients[i].get(), "add", sql, 1).get()));
    }
    // All at once, so every client meets both backends (Catch's CHECK is not thread-safe:
    // the threads only record what they saw).
    std::vector<std::vector<std::string>> sums(kClients), pids(kClients);
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
        threads.emplace_back([&, i] {
            for (int run = 0; run < kRuns; ++run) {
                PgResult sum = exec_prepared(clients[i].get(), "add", {std::to_string(run)});
                const bool ok = PQresultStatus(sum.get()) == PGRES_TUPLES_OK;
                sums[i].push_back(ok ? PQgetvalue(sum.get(), 0, 0) : "!" + sqlstate(sum.get()));
                pids[i].push_back(ok ? PQgetvalue(sum.get(), 0, 1) : "");
            }
        });
    }
    for (auto& thread : threads) thread.join();
    std::set<std::string> backends;
    for (int i = 0; i < kClients; ++i) {
        REQUIRE(sums[i].size() == kRuns);
        for (int run = 0; run < kRuns; ++run) CHECK(sums[i][run] == std::to_string(100 * i + run));
        backends.insert(pids[i].begin(), pids[i].end());
    }
    CHECK(backends.size() == 2);
    CHECK(postgres().count_backends("app", "app") <= 2);
}

TEST_CASE("prepared statements: eviction keeps each backend under max_prepared_statements", "[prepared]") {
    SluiceProcess sluice(transaction_pool("max_prepared_statements: 3\n"));
    constexpr int kClients = 4;
    constexpr int kStatements = 6;
    std::vector<Connection> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(client_of(sluice));
    for (int i = 0; i < kClients; ++i) {
        for (int s = 0; s < kStatements; ++s) {
            const std::string text = "SELECT $1::int + " + std::to_string(s * 1000 + i);
            REQUIRE(succeeded(prepare(clients[i], "s" + std::to_string(s), text, 1).get()));
        }
    }
    for (int round = 0; round < 3; ++round) {
        for (int i = 0; i < kClients; ++i) {
            for (int s = 0; s < kStatements; ++s) {
                PgResult result = exec_prepared(clients[i], "s" + std::to_string(s), {std::to_string(round)});
                INFO("client " << i << " statement s" << s << " round " << round << ": " << describe(result.get()));
                REQUIRE(succeeded(result.get()));
                CHECK(std::string(PQgetvalue(result.get(), 0, 0)) == std::to_string(s * 1000 + i + round));
            }
        }
    }
    // What the backend a client lands on holds: at most the limit (simple query: nothing prepared).
    for (int i = 0; i < kClients; ++i) {
        CHECK(std::stoi(query_value(clients[i], "SELECT count(*) FROM pg_prepared_statements")) <= 3);
    }
}

TEST_CASE("prepared statements: backends lost between transactions are prepared again", "[prepared]") {
    SluiceProcess sluice(transaction_pool());
    Connection conn = client_of(sluice);
    REQUIRE(succeeded(prepare(conn, "k1", "SELECT $1::int * 3", 1).get()));
    PgResult before = exec_prepared(conn, "k1", {"5"});
    REQUIRE(succeeded(before.get()));
    CHECK(std::string(PQgetvalue(before.get(), 0, 0)) == "15");
    // Every idle backend of the pool goes away behind Sluice's back; Sluice notices on next use
    // (a closed socket is never handed out) and the statement follows the client to a new one.
    postgres().query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = 'app'", "postgres");
    REQUIRE(eventually([] { return postgres().count_backends("app", "app") == 0; }, Ms(10000)));
    PgResult after = exec_prepared(conn, "k1", {"7"});
    INFO(describe(after.get()));
    REQUIRE(succeeded(after.get()));
    CHECK(std::string(PQgetvalue(after.get(), 0, 0)) == "21");
}

TEST_CASE("prepared statements: a SET or an advisory lock run again by Bind alone is followed like its first run",
          "[prepared][session_state]") {
    // psycopg 3 with prepare_threshold=0 (and pgjdbc past prepareThreshold) runs a statement
    // prepared once again with Bind and Execute only: what it does to the session must count again.
    SluiceProcess sluice(SluiceOptions{.defaults = "pool_mode: transaction\npool_size: 1\nquery_wait_timeout: 500ms\n"});
    Connection owner = client_of(sluice);
    Connection other = client_of(sluice);
    const std::string initial = query_value(other, "SHOW work_mem");
    REQUIRE(initial != "65kB");

    SECTION("a SET: the owner keeps it, nobody else sees it") {
        REQUIRE(succeeded(prepare(owner, "set65", "SET work_mem = '65kB'", 0).get()));
        REQUIRE(succeeded(exec_prepared(owner, "set65", {}).get()));
        exec_ok(owner, "RESET work_mem");
        REQUIRE(succeeded(exec_prepared(owner, "set65", {}).get()));  // Bind and Execute only
        CHECK(query_value(other, "SHOW work_mem") == initial);
        CHECK(query_value(owner, "SHOW work_mem") == "65kB");
        CHECK(query_value(other, "SHOW work_mem") == initial);
    }
    SECTION("an advisory lock taken again pins again") {
        REQUIRE(succeeded(prepare(owner, "lock", "SELECT pg_advisory_lock(4242)", 0).get()));
        REQUIRE(succeeded(exec_prepared(owner, "lock", {}).get()));
        exec_ok(owner, "SELECT pg_advisory_unlock_all()");
        CHECK(query_value(other, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0");
        REQUIRE(succeeded(exec_prepared(owner, "lock", {}).get()));  // Bind and Execute only
        // The only backend holds the lock and stays with its owner: the other client waits.
        PgResult waited = exec(other, "SELECT 1");
        CHECK(sqlstate(waited.get()) == "57014");
        exec_ok(owner, "SELECT pg_advisory_unlock_all()");
    }
}

TEST_CASE("prepared statements: SHOW STATS counts the clients' Parses, the backends' Parses, Binds and logins",
          "[prepared][admin]") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: 1\n";  // one backend: the second Parse is shared
    SluiceProcess sluice(options);
    Connection first = client_of(sluice);
    Connection second = client_of(sluice);
    for (PGconn* conn : {first.get(), second.get()}) {
        REQUIRE(succeeded(prepare(conn, "s1", "SELECT $1::int * 2", 1).get()));
        for (int i = 0; i < 5; ++i) REQUIRE(succeeded(exec_prepared(conn, "s1", {"21"}).get()));
    }
    exec_ok(first, "SELECT 1");  // a simple query: no Parse, no Bind
    Connection console = admin_connect(sluice);
    AdminTable stats;
    std::vector<std::size_t> app;
    // Counted per lease, added when it ends: a moment after the client has its answer.
    REQUIRE(eventually([&] {
        stats = admin_show(console, "SHOW STATS");
        app = stats.where("database", "app");
        return app.size() == 1 && stats.at(app[0], "total_bind_count") == "10";
    }));
    CHECK(stats.at(app[0], "total_client_parse_count") == "2");
    CHECK(stats.at(app[0], "total_server_parse_count") == "1");
    CHECK(stats.at(app[0], "total_client_connect_count") == "2");
}

TEST_CASE("prepared statements: SHOW CLIENTS and SHOW SERVERS count each side's statements", "[prepared][admin]") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: 1\n";  // one backend holds every statement
    SluiceProcess sluice(options);
    Connection three = connect(sluice.conninfo("app", "app", "app", "application_name=it_three"));
    Connection two = connect(sluice.conninfo("app", "app", "app", "application_name=it_two"));
    for (const char* name : {"a", "b", "c"}) {
        REQUIRE(succeeded(prepare(three, name, std::string("SELECT $1::int + 1 /* ") + name + " */", 1).get()));
    }
    REQUIRE(succeeded(prepare(two, "a", "SELECT $1::int + 1 /* a */", 1).get()));  // the same text: shared
    REQUIRE(succeeded(prepare(two, "d", "SELECT $1::int + 2", 1).get()));
    exec_ok(three, "DEALLOCATE b");
    // What the one backend really holds, asked on it.
    const std::string on_backend = query_value(two, "SELECT count(*) FROM pg_prepared_statements");
    CHECK(on_backend != "0");
    Connection console = admin_connect(sluice);
    const auto statements_of = [](const AdminTable& clients, const std::string& application_name) {
        const auto rows = clients.where("application_name", application_name);
        return rows.size() == 1 ? clients.at(rows[0], "prepared_statements") : std::string("?");
    };
    CHECK(eventually([&] {
        const AdminTable clients = admin_show(console, "SHOW CLIENTS");
        return statements_of(clients, "it_three") == "2" && statements_of(clients, "it_two") == "2";
    }));
    const AdminTable servers = admin_show(console, "SHOW SERVERS");
    const auto app = servers.where("database", "app");
    REQUIRE(app.size() == 1);
    CHECK(servers.at(app[0], "prepared_statements") == on_backend);
}

TEST_CASE("prepared statements: DEALLOCATE ALL or DISCARD ALL behind a comment or another statement forgets the backend's",
          "[prepared]") {
    const std::string text = GENERATE(as<std::string>{}, "SELECT 1; DEALLOCATE ALL", "/* app:web */ DEALLOCATE ALL",
                                      "BEGIN; DEALLOCATE ALL; COMMIT", "/* c */ DISCARD ALL", "-- c\nDISCARD ALL");
    INFO(text);
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: 1\n";  // one backend: the DEALLOCATE meets the statement
    SluiceProcess sluice(options);
    Connection owner = client_of(sluice);
    Connection dropper = client_of(sluice);
    REQUIRE(succeeded(prepare(owner, "kept", "SELECT $1::int * 3", 1).get()));
    exec_ok(dropper, text);
    // The owner's statement is prepared again on the backend that lost it, and so is a newcomer's.
    PgResult tripled = exec_prepared(owner, "kept", {"14"});
    INFO(describe(tripled.get()));
    REQUIRE(succeeded(tripled.get()));
    CHECK(std::string(PQgetvalue(tripled.get(), 0, 0)) == "42");
    Connection newcomer = client_of(sluice);
    REQUIRE(succeeded(prepare(newcomer, "again", "SELECT $1::int * 3", 1).get()));
    PgResult again = exec_prepared(newcomer, "again", {"2"});
    INFO(describe(again.get()));
    REQUIRE(succeeded(again.get()));
    CHECK(std::string(PQgetvalue(again.get(), 0, 0)) == "6");
}

TEST_CASE("prepared statements: clients with another TimeZone or DateStyle never share a statement's literals",
          "[prepared]") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: 1\n";  // one backend: both clients' statements meet on it
    SluiceProcess sluice(options);
    Connection tokyo = client_of(sluice);
    Connection utc = client_of(sluice);
    exec_ok(tokyo, "SET TimeZone = 'Asia/Tokyo'; SET DateStyle = 'ISO, DMY'");
    exec_ok(utc, "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'");
    const std::string sql = "SELECT extract(epoch FROM '2024-01-01 00:00'::timestamptz)::bigint, '03/04/2024'::date::text";
    // The same text in both orders: whoever prepares it first must not decide for the other.
    for (PGconn* first : {tokyo.get(), utc.get()}) {
        PGconn* second = first == tokyo.get() ? utc.get() : tokyo.get();
        const std::string name = first == tokyo.get() ? "t1" : "t2";
        REQUIRE(succeeded(prepare(first, name, sql, 0).get()));
        REQUIRE(succeeded(prepare(second, name, sql, 0).get()));
        for (int round = 0; round < 2; ++round) {
            PgResult in_tokyo = exec_prepared(tokyo, name, {});
            PgResult in_utc = exec_prepared(utc, name, {});
            REQUIRE(succeeded(in_tokyo.get()));
            REQUIRE(succeeded(in_utc.get()));
            CHECK(std::string(PQgetvalue(in_tokyo.get(), 0, 0)) == "1704034800");
            CHECK(std::string(PQgetvalue(in_tokyo.get(), 0, 1)) == "2024-04-03");
            CHECK(std::string(PQgetvalue(in_utc.get(), 0, 0)) == "1704067200");
            CHECK(std::string(PQgetvalue(in_utc.get(), 0, 1)) == "2024-03-04");
        }
    }
}

// lib/pq and pgx (describe-exec mode) prepare the unnamed statement in one round trip (Parse +
// Sync) and bind it in the next: in transaction mode the backend may change in between, and the
// new one's unnamed statement is whoever's parsed there last.
TEST_CASE("prepared statements: the unnamed statement follows its client from Parse to a later Bind",
          "[prepared]") {
    SluiceProcess sluice(transaction_pool());
    SECTION("two clients, one backend each time: each runs its own text") {
        Connection a = client_of(sluice);
        Connection b = client_of(sluice);
        REQUIRE(succeeded(prepare(a, "", "SELECT 'A:' || $1", 1).get()));
        REQUIRE(succeeded(prepare(b, "", "SELECT 'B:' || $1 || $1", 1).get()));
        PgResult from_a = exec_prepared(a, "", {"x"});
        REQUIRE(succeeded(from_a.get()));
        CHECK(std::string(PQgetvalue(from_a.get(), 0, 0)) == "A:x");
        PgResult from_b = exec_prepared(b, "", {"y"});
        REQUIRE(succeeded(from_b.get()));
        CHECK(std::string(PQgetvalue(from_b.get(), 0, 0)) == "B:yy");
        // A simple Query destroys the unnamed statement, as in PostgreSQL: a Bind then fails.
        exec_ok(a, "SELECT 1");
        CHECK(sqlstate(exec_prepared(a, "", {"z"}).get()) == "26000");
        CHECK(query_value(a, "SELECT 'still usable'") == "still usable");
    }
    SECTION("8 clients over 2 backends, Parse and Bind in separate round trips") {
        constexpr int kClients = 8;
        constexpr int kRounds = 40;
        std::vector<Connection> clients;
        for (int i = 0; i < kClients; ++i) clients.push_back(client_of(sluice));
        std::atomic<int> wrong{0}, failed{0};
        std::mutex example_mutex;
        std::string example;
        std::vector<std::thread> threads;
        for (int i = 0; i < kClients; ++i) {
            threads.emplace_back([&, i] {
                PGconn* conn = clients[i].get();
                const std::string tag = "c" + std::to_string(i);
                for (int round = 0; round < kRounds; ++round) {
                    PgResult prepared = prepare(conn, "", "SELECT '" + tag + ":' || $1", 1);
                    PgResult bound = exec_prepared(conn, "", {std::to_string(round)});
                    if (!succeeded(prepared.get()) || !succeeded(bound.get())) {
                        ++failed;
                        std::lock_guard lock(example_mutex);
                        example = describe(bound.get());
                        continue;
                    }
                    const std::string got = PQgetvalue(bound.get(), 0, 0);
                    if (got != tag + ":" + std::to_string(round)) {
                        ++wrong;
                        std::lock_guard lock(example_mutex);
                        example = tag + " got " + got;
                    }
                }
            });
        }
        for (auto& thread : threads) thread.join();
        INFO(example);
        CHECK(failed == 0);
        CHECK(wrong == 0);
    }
}
