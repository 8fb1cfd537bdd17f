// SHOW STATS stays exact however a lease ends: a client that leaves idle in a transaction
// (rolled back, backend reused), one that leaves mid-statement and one whose server is lost
// (backends discarded) all have their queries and bytes counted; query time is counted from a
// Query or Sync to its ReadyForQuery, and averaged per query.
#include <catch2/catch.hpp>

#include <cstdint>
#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

// One database's counters, from SHOW STATS.
struct DatabaseStats {
    std::uint64_t queries = 0;
    std::uint64_t requests = 0;  // total_requests: PgBouncer's old name, the same count
    std::uint64_t transactions = 0;
    std::uint64_t received = 0;
    std::uint64_t sent = 0;
    std::uint64_t query_time_us = 0;
    std::uint64_t transaction_time_us = 0;
    std::uint64_t average_query_time_us = 0;
    std::uint64_t average_queries_per_second = 0;
};

DatabaseStats show_stats(PGconn* console, const std::string& database) {
    const AdminTable stats = admin_show(console, "SHOW STATS");
    const auto rows = stats.where("database", database);
    REQUIRE(rows.size() == 1);
    const auto number = [&](const char* column) { return std::stoull(stats.at(rows[0], column)); };
    return {number("total_query_count"), number("total_requests"),   number("total_xact_count"),
            number("total_received"),    number("total_sent"),       number("total_query_time"),
            number("total_xact_time"),   number("avg_query_time"),   number("avg_query_count")};
}

// Polls SHOW STATS until the database has counted `queries` queries (the leaving client's
// session flushes its counters as it ends, a moment after libpq has let go).
DatabaseStats stats_once_counted(PGconn* console, const std::string& database, std::uint64_t queries) {
    DatabaseStats stats;
    eventually([&] {
        stats = show_stats(console, database);
        return stats.queries >= queries;
    });
    return stats;
}

// BEGIN and `selects` queries inside it: the work a leaving client did, 1 + selects queries.
void run_transaction(PGconn* conn, int selects) {
    exec_ok(conn, "BEGIN");
    for (int i = 0; i < selects; ++i) CHECK(query_value(conn, "select " + std::to_string(i)) == std::to_string(i));
}

}  // namespace

TEST_CASE("SHOW STATS counts a leaving client's queries and bytes however its lease ends", "[admin][stats]") {
    SluiceProcess sluice;
    Connection console = admin_connect(sluice);
    Connection client = connect(sluice.conninfo("app", "app"));
    const DatabaseStats before = show_stats(console, "app");
    constexpr int kSelects = 3;
    constexpr std::uint64_t kQueries = 1 + kSelects;  // BEGIN and the selects; the unfinished one is not a query

    SECTION("idle in a transaction: rolled back, the backend goes back to the pool") {
        run_transaction(client, kSelects);
        client.vanish();
    }
    SECTION("mid-statement: the statement is cancelled and the backend discarded") {
        run_transaction(client, kSelects);
        REQUIRE(PQsendQuery(client, "select pg_sleep(30)") == 1);
        PQflush(client);
        std::this_thread::sleep_for(100ms);  // the statement reaches the server
        client.vanish();
    }
    SECTION("server lost: PostgreSQL ends the backend, Sluice discards it") {
        run_transaction(client, kSelects - 1);
        const std::string pid = query_value(client, "select pg_backend_pid()");
        postgres().execute("select pg_terminate_backend(" + pid + ")");
    }

    const DatabaseStats after = stats_once_counted(console, "app", before.queries + kQueries);
    CHECK(after.queries - before.queries == kQueries);
    CHECK(after.requests == after.queries);
    CHECK(after.received > before.received);
    CHECK(after.sent > before.sent);
    CHECK(after.query_time_us > before.query_time_us);
}

TEST_CASE("SHOW STATS counts query time from Query or Sync to ReadyForQuery, and averages it", "[admin][stats]") {
    SluiceProcess sluice;
    Connection console = admin_connect(sluice);
    Connection client = connect(sluice.conninfo("app", "app"));
    const DatabaseStats before = show_stats(console, "app");  // SHOW STATS' averages start here
    CHECK(before.query_time_us == 0);

    // Three simple-protocol queries and one extended (Parse/Bind/Execute/Sync), each >= 100 ms.
    for (int i = 0; i < 3; ++i) exec_ok(client, "select pg_sleep(0.1)");
    PgResult extended = exec_params(client, "select pg_sleep($1)", {"0.1"});
    REQUIRE(succeeded(extended.get()));

    const DatabaseStats after = stats_once_counted(console, "app", before.queries + 4);
    CHECK(after.queries - before.queries == 4);
    CHECK(after.query_time_us - before.query_time_us >= 400'000);
    CHECK(after.query_time_us <= after.transaction_time_us);  // a query runs inside its lease
    CHECK(after.average_query_time_us >= 100'000);
    CHECK(after.average_query_time_us < 5'000'000);           // microseconds, not a finer unit
    CHECK(after.average_queries_per_second > 0);
}

TEST_CASE("SHOW STATS counts each transaction on a backend its client keeps, as it ends", "[admin][stats]") {
    SluiceOptions options;
    options.defaults = "pool_mode: session";
    SluiceProcess sluice(options);
    Connection console = admin_connect(sluice);
    Connection client = connect(sluice.conninfo("app", "app"));
    const DatabaseStats before = show_stats(console, "app");
    for (int i = 0; i < 5; ++i) CHECK(query_value(client, "select " + std::to_string(i)) == std::to_string(i));
    exec_ok(client, "BEGIN");
    CHECK(query_value(client, "select 9") == "9");
    exec_ok(client, "COMMIT");
    // Still connected, its backend still its own: five autocommit statements and one block, as
    // PgBouncer counts them, not one session when it leaves.
    DatabaseStats after;
    CHECK(eventually([&] {
        after = show_stats(console, "app");
        return after.transactions - before.transactions == 6;
    }));
    INFO("transactions " << after.transactions - before.transactions << ", queries " << after.queries - before.queries);
    CHECK(after.queries - before.queries == 8);
    CHECK(after.transaction_time_us > before.transaction_time_us);
    client.vanish();
    std::this_thread::sleep_for(300ms);
    CHECK(show_stats(console, "app").transactions - before.transactions == 6);  // leaving adds none
}
