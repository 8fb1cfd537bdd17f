// CancelRequest through Sluice reaches the backend serving that client (and only it); a backend
// that dies mid-query gives its client an error and is replaced.
#include <catch2/catch.hpp>

#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"
#include "support/poll.hpp"
#include "support/process.hpp"

using namespace sluice_it;

namespace {

SluiceOptions transaction_pool(int size) {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(size);
    return options;
}

// Whether a tracer (strace) is attached to process `pid`.
bool traced(const std::string& pid) {
    std::ifstream status("/proc/" + pid + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("TracerPid:", 0) == 0) return std::stoi(line.substr(10)) != 0;
    }
    return false;
}

// Sends a CancelRequest for `conn` the way libpq does; returns libpq's verdict.
bool send_cancel(PGconn* conn, std::string& error) {
    PGcancel* cancel = PQgetCancel(conn);
    REQUIRE(cancel != nullptr);
    char buffer[256] = {};
    int ok = PQcancel(cancel, buffer, sizeof buffer);
    PQfreeCancel(cancel);
    error = buffer;
    return ok == 1;
}

// Waits (directly in PostgreSQL) until a query containing `marker` is active; returns its pid or 0.
int wait_for_active_query(const std::string& marker, std::chrono::milliseconds timeout = 5s) {
    Connection direct = connect(postgres().superuser_conninfo());
    std::string sql = "select coalesce(max(pid), 0) from pg_stat_activity where state = 'active' "
                      "and pid <> pg_backend_pid() and (application_name = " + sql_literal(marker) +
                      " or query like " + sql_literal("%" + marker + "%") + ")";
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        int pid = std::stoi(query_value(direct, sql));
        if (pid != 0) return pid;
        std::this_thread::sleep_for(20ms);
    }
    return 0;
}

}  // namespace

TEST_CASE("CancelRequest cancels the client's running query", "[pg][cancel]") {
    SluiceProcess sluice(transaction_pool(2));
    Connection victim = connect(sluice.conninfo("app", "app"));
    Connection bystander = connect(sluice.conninfo("app", "app"));

    REQUIRE(PQsendQuery(victim, "select pg_sleep(30) /* it-cancel-victim */") == 1);
    REQUIRE(PQsendQuery(bystander, "select 'not cancelled' from pg_sleep(1.5) /* it-cancel-bystander */") == 1);
    REQUIRE(wait_for_active_query("it-cancel-victim") != 0);
    REQUIRE(wait_for_active_query("it-cancel-bystander") != 0);

    auto started = Clock::now();
    std::string error;
    CHECK(send_cancel(victim, error));
    INFO("PQcancel: " << error);
    PgResult result = wait_for_result(victim, 5s);
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    CHECK(sqlstate(result.get()) == "57014");
    CHECK(elapsed < 2s);

    // The other client's query on the other backend was not touched.
    PgResult other = wait_for_result(bystander, 5s);
    REQUIRE(PQresultStatus(other.get()) == PGRES_TUPLES_OK);
    CHECK(std::string(PQgetvalue(other.get(), 0, 0)) == "not cancelled");
    // And the cancelled client carries on.
    CHECK(query_value(victim, "select 'after cancel'") == "after cancel");
}

TEST_CASE("CancelRequest from an idle client harms nobody", "[pg][cancel]") {
    // One backend: the idle client used it before the busy client got it.
    SluiceProcess sluice(transaction_pool(1));
    Connection idle = connect(sluice.conninfo("app", "app"));
    Connection busy = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(idle, "select 1") == "1");

    REQUIRE(PQsendQuery(busy, "select 'finished' from pg_sleep(1) /* it-cancel-busy */") == 1);
    REQUIRE(wait_for_active_query("it-cancel-busy") != 0);
    std::string error;
    send_cancel(idle, error);  // whether Sluice acknowledges it or not, nothing may be cancelled

    PgResult result = wait_for_result(busy, 5s);
    INFO(describe(result.get()));
    REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
    CHECK(std::string(PQgetvalue(result.get(), 0, 0)) == "finished");
    // The idle client's own next query is not hit by a late cancel either.
    PgResult later = exec(idle, "select 'ok' from pg_sleep(0.3)");
    CHECK(describe(later.get()) == "PGRES_TUPLES_OK");
}

TEST_CASE("a cancel from a client idle in its transaction never reaches the next client on that backend",
          "[pg][cancel]") {
    // One backend, two clients taking turns on it: the canceller's cancels arrive while its
    // backend is about to go to the sleeper (the psycopg pattern: cancel, then COMMIT).
    SluiceProcess sluice(transaction_pool(1));
    Connection canceller = connect(sluice.conninfo("app", "app"));
    Connection sleeper = connect(sluice.conninfo("app", "app"));
    std::atomic<bool> done{false};
    std::atomic<int> sleeper_cancelled{0};
    std::atomic<int> sleeper_ran{0};
    std::thread sleeping([&] {
        while (!done) {
            PgResult result = exec(sleeper, "select pg_sleep(0.01)");
            if (sqlstate(result.get()) == "57014") ++sleeper_cancelled;
            if (PQresultStatus(result.get()) == PGRES_TUPLES_OK) ++sleeper_ran;
        }
    });
    int cancels = 0;
    for (int i = 0; i < 150; ++i) {
        CHECK(describe(exec(canceller, "begin").get()) == "PGRES_COMMAND_OK");
        CHECK(query_value(canceller, "select 1") == "1");
        std::string error;
        cancels += send_cancel(canceller, error) ? 1 : 0;
        CHECK(describe(exec(canceller, "commit").get()) == "PGRES_COMMAND_OK");
    }
    done = true;
    sleeping.join();
    CHECK(cancels == 150);
    CHECK(sleeper_ran > 0);
    CHECK(sleeper_cancelled == 0);
}

namespace {
// `holder` takes a one-backend pool's only backend for 1.5 s; `queued` sends a 10 s statement,
// waits for that backend, and is cancelled while it waits. The statement runs once the backend
// is free, and must be cancelled then: an error 57014 well before its 10 s.
void check_cancel_while_queued(const SluiceProcess& sluice, PGconn* holder, PGconn* queued, const std::string& marker) {
    Connection console = admin_connect(sluice);
    REQUIRE(PQsendQuery(holder, ("select 'held' from pg_sleep(1.5) /* " + marker + " */").c_str()) == 1);
    REQUIRE(wait_for_active_query(marker) != 0);
    const auto started = Clock::now();
    REQUIRE(PQsendQuery(queued, "select pg_sleep(10)") == 1);
    REQUIRE(eventually([&] { return pool_view(console, "app", "app").cl_waiting == 1; }, Ms(5000), Ms(5)));
    std::string error;
    CHECK(send_cancel(queued, error));
    PgResult result = wait_for_result(queued, 15s);
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    CHECK(sqlstate(result.get()) == "57014");
    CHECK(elapsed < 5s);  // not the 10 s it would run to the end
    CHECK(describe(wait_for_result(holder, 5s).get()) == "PGRES_TUPLES_OK");
}
}  // namespace

TEST_CASE("a cancel sent while the query waits for a backend cancels it when it starts", "[pg][cancel]") {
    SluiceProcess sluice(transaction_pool(1));
    Connection holder = connect(sluice.conninfo("app", "app"));
    Connection queued = connect(sluice.conninfo("app", "app"));
    check_cancel_while_queued(sluice, holder, queued, "it-cancel-holder");
    CHECK(query_value(queued, "select 'after'") == "after");
}

// The cancel of a statement cancelled while queued leaves right behind the statement, and can
// reach PostgreSQL before the backend has read it: PostgreSQL ignores a cancel while it waits for
// a command. strace holds each of the backend's reads back 300 ms, so the first cancel always
// comes too early; Sluice sends it again while that statement still runs.
TEST_CASE("a cancel that reaches the backend before the statement does is sent again", "[pg][cancel]") {
    SluiceProcess sluice(transaction_pool(1));
    Connection holder = connect(sluice.conninfo("app", "app"));
    Connection queued = connect(sluice.conninfo("app", "app"));
    const std::string backend_pid = query_value(holder, "select pg_backend_pid()");
    ChildProcess slow_reads(SpawnOptions{{"/usr/bin/strace", "-qq", "-o", "/dev/null", "-p", backend_pid, "-e",
                                          "trace=recvfrom", "-e", "inject=recvfrom:delay_enter=300000"}});
    REQUIRE(eventually([&] { return traced(backend_pid); }, Ms(5000)));
    check_cancel_while_queued(sluice, holder, queued, "it-slow-read-holder");
    slow_reads.stop(SIGTERM, 5s);
    CHECK(query_value(queued, "select 'after'") == "after");
}

TEST_CASE("a backend killed mid-query gives its client an error and is replaced", "[pg][backend-loss]") {
    SluiceProcess sluice(transaction_pool(2));
    const std::string marker = "it-backend-victim";
    Connection victim = connect(sluice.conninfo("app", "app", "app", "application_name=" + marker));
    REQUIRE(PQsendQuery(victim, ("select pg_sleep(30) /* " + marker + " */").c_str()) == 1);
    int pid = wait_for_active_query(marker);
    REQUIRE(pid != 0);

    postgres().execute("select pg_terminate_backend(" + std::to_string(pid) + ")");
    PgResult result = wait_for_result(victim, 5s);
    std::string state = sqlstate(result.get());
    INFO("client saw: " << describe(result.get()) << " connection status " << PQstatus(victim));
    CHECK(PQresultStatus(result.get()) == PGRES_FATAL_ERROR);
    // 08006 per the contract; the server's own 57P01 is accepted, as is a closed connection.
    CHECK((state == "08006" || state == "57P01" || (state.empty() && PQstatus(victim) != CONNECTION_OK)));

    // New clients are served by a healthy backend.
    Connection fresh = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(fresh, "select 'replaced'") == "replaced");
    for (int i = 0; i < 5; ++i) CHECK(query_value(fresh, "select " + std::to_string(i)) == std::to_string(i));
    CHECK(sluice.running());
}

TEST_CASE("a backend that vanishes mid-query gives its client 08006", "[pg][backend-loss]") {
    SluiceProcess sluice(transaction_pool(2));
    const std::string marker = "it-backend-vanishes";
    Connection victim = connect(sluice.conninfo("app", "app", "app", "application_name=" + marker));
    REQUIRE(PQsendQuery(victim, ("select pg_sleep(30) /* " + marker + " */").c_str()) == 1);
    int pid = wait_for_active_query(marker);
    REQUIRE(pid != 0);

    // SIGKILL: the backend sends nothing, its socket just closes. (PostgreSQL then restarts
    // every backend; the server is back within a few seconds.)
    REQUIRE(kill(pid, SIGKILL) == 0);
    PgResult result = wait_for_result(victim, 10s);
    INFO("client saw: " << describe(result.get()));
    CHECK(sqlstate(result.get()) == "08006");
    CHECK_THAT(std::string(PQresultErrorMessage(result.get())), Catch::Contains("server connection lost"));

    // Once PostgreSQL has recovered, Sluice serves new clients again.
    auto deadline = Clock::now() + 30s;
    std::string ping = postgres().superuser_conninfo() + " connect_timeout=2";
    while (PQping(ping.c_str()) != PQPING_OK && Clock::now() < deadline) std::this_thread::sleep_for(100ms);
    bool served = false;
    while (!served && Clock::now() < deadline) {
        Connection fresh = try_connect(sluice.conninfo("app", "app"));
        served = fresh.ok() && succeeded(exec(fresh, "select 1").get());
        if (!served) std::this_thread::sleep_for(200ms);
    }
    CHECK(served);
    CHECK(sluice.running());
}
