// Pool modes: session (one backend for the client's life, reset afterwards), transaction
// (backends shared between transactions, the client's own parameters follow it), statement
// (no multi-statement transactions), and no dirty backend after a client leaves mid-transaction.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <thread>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

SluiceOptions pool(const std::string& mode, int size) {
    SluiceOptions options;
    options.defaults = "pool_mode: " + mode + "\npool_size: " + std::to_string(size);
    return options;
}

// Backends of user `app` idle inside a transaction, read directly from PostgreSQL.
int idle_in_transaction_backends() {
    return std::stoi(postgres().query(
        "select count(*) from pg_stat_activity where usename = 'app' and state like 'idle in transaction%'"));
}

// Sets or clears an environment variable libpq reads at connect time (PGTZ, PGDATESTYLE).
void set_env(const char* name, const char* value) {
    if (value) {
        setenv(name, value, 1);
    } else {
        unsetenv(name);
    }
}

}  // namespace

TEST_CASE("a client that leaves inside a transaction leaves no dirty backend", "[pg][dirty][faults][client-vanish]") {
    std::string mode = GENERATE(as<std::string>{}, "transaction", "session");
    // With a Terminate, or vanishing without one (a crashed client: its socket just closes).
    std::string leave = GENERATE(as<std::string>{}, "terminate", "vanish");
    INFO("pool_mode " << mode << ", client leaves by " << leave);
    postgres().execute("create table if not exists dirty_t(x int)", "app");
    postgres().execute("grant all on dirty_t to app", "app");
    postgres().execute("truncate dirty_t", "app");
    SluiceProcess sluice(pool(mode, 1));

    Connection leaver = connect(sluice.conninfo("app", "app"));
    exec_ok(leaver, "begin");
    exec_ok(leaver, "insert into dirty_t values (1)");
    // The transaction really is open on the backend.
    REQUIRE(idle_in_transaction_backends() == 1);
    if (leave == "vanish") {
        leaver.vanish();
    } else {
        leaver.close();  // Terminate without COMMIT
    }

    CHECK(eventually([] { return idle_in_transaction_backends() == 0; }));
    Connection next = connect(sluice.conninfo("app", "app"));
    CHECK_FALSE(query_optional(next, "select txid_current_if_assigned()::text").has_value());
    CHECK(query_value(next, "select count(*) from dirty_t") == "0");
    CHECK(PQtransactionStatus(next) == PQTRANS_IDLE);
    CHECK(postgres().query("select count(*) from dirty_t", "app") == "0");
}

TEST_CASE("a client that leaves with an aborted transaction leaves no dirty backend", "[pg][dirty]") {
    SluiceProcess sluice(pool("transaction", 1));
    Connection leaver = connect(sluice.conninfo("app", "app"));
    exec_ok(leaver, "begin");
    PgResult failed = exec(leaver, "select 1/0");
    REQUIRE(sqlstate(failed.get()) == "22012");
    leaver.close();

    Connection next = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(next, "select 1") == "1");
    CHECK(eventually([] { return idle_in_transaction_backends() == 0; }));
}

TEST_CASE("session mode keeps one backend per client", "[pg][session]") {
    SluiceProcess sluice(pool("session", 2));
    Connection a = connect(sluice.conninfo("app", "app"));
    Connection b = connect(sluice.conninfo("app", "app"));
    std::string pid_a = query_value(a, "select pg_backend_pid()");
    std::string pid_b = query_value(b, "select pg_backend_pid()");
    CHECK(pid_a != pid_b);
    for (int i = 0; i < 5; ++i) {
        exec_ok(a, "begin");
        exec_ok(b, "begin");
        CHECK(query_value(a, "select pg_backend_pid()") == pid_a);
        CHECK(query_value(b, "select pg_backend_pid()") == pid_b);
        exec_ok(a, "commit");
        exec_ok(b, "commit");
        CHECK(query_value(a, "select pg_backend_pid()") == pid_a);
    }
    // Session state survives between transactions.
    exec_ok(a, "set work_mem = '3MB'");
    exec_ok(b, "select 1");
    CHECK(query_value(a, "show work_mem") == "3MB");
}

TEST_CASE("session mode resets the backend before the next client", "[pg][session]") {
    SluiceProcess sluice(pool("session", 1));
    std::string first_pid;
    {
        Connection first = connect(sluice.conninfo("app", "app"));
        first_pid = query_value(first, "select pg_backend_pid()");
        exec_ok(first, "set work_mem = '77MB'");
        exec_ok(first, "create temp table session_tmp(x int)");
        exec_ok(first, "prepare leftover as select 1");
        exec_ok(first, "listen leftover_channel");
    }
    Connection second = connect(sluice.conninfo("app", "app"));
    INFO("first backend " << first_pid << ", second " << query_value(second, "select pg_backend_pid()"));
    CHECK(query_value(second, "show work_mem") != "77MB");
    CHECK_FALSE(query_optional(second, "select to_regclass('pg_temp.session_tmp')::text").has_value());
    CHECK(query_value(second, "select count(*) from pg_prepared_statements") == "0");
    CHECK(query_value(second, "select count(*) from pg_listening_channels()") == "0");
    // pool_size 1: at most one backend ever served the two clients.
    CHECK(postgres().count_backends("app", "app") <= 1);
}

TEST_CASE("transaction mode shares one backend between alternating clients", "[pg][transaction]") {
    SluiceProcess sluice(pool("transaction", 1));
    Connection a = connect(sluice.conninfo("app", "app"));
    Connection b = connect(sluice.conninfo("app", "app"));
    for (int i = 0; i < 10; ++i) {
        CHECK(query_value(a, "select 'a" + std::to_string(i) + "'") == "a" + std::to_string(i));
        CHECK(query_value(b, "select 'b" + std::to_string(i) + "'") == "b" + std::to_string(i));
    }
    CHECK(query_value(a, "select pg_backend_pid()") == query_value(b, "select pg_backend_pid()"));
    CHECK(postgres().count_backends("app", "app") == 1);
}

TEST_CASE("transaction mode: a transaction holds its backend until it ends", "[pg][transaction]") {
    SluiceProcess sluice(pool("transaction", 1));
    Connection a = connect(sluice.conninfo("app", "app"));
    Connection b = connect(sluice.conninfo("app", "app"));
    exec_ok(a, "begin");
    std::string pid_in_transaction = query_value(a, "select pg_backend_pid()");

    REQUIRE(PQsendQuery(b, "select 'b ran'") == 1);
    std::this_thread::sleep_for(300ms);
    PQconsumeInput(b);
    CHECK(PQisBusy(b) == 1);  // waiting for the only backend
    CHECK(query_value(a, "select pg_backend_pid()") == pid_in_transaction);
    exec_ok(a, "commit");

    PgResult result = wait_for_result(b, 5s);
    REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
    CHECK(std::string(PQgetvalue(result.get(), 0, 0)) == "b ran");
}

TEST_CASE("transaction mode: each client keeps its own parameters across backend switches",
          "[pg][transaction][parameters]") {
    SluiceProcess sluice(pool("transaction", 1));
    // libpq puts PGTZ and PGDATESTYLE into the StartupMessage.
    set_env("PGTZ", "Asia/Tokyo");
    set_env("PGDATESTYLE", "SQL, DMY");
    Connection a = try_connect(sluice.conninfo("app", "app", "app", "application_name=client-a"));
    set_env("PGTZ", "UTC");
    set_env("PGDATESTYLE", "ISO, MDY");
    Connection b = try_connect(sluice.conninfo("app", "app", "app", "application_name=client-b"));
    set_env("PGTZ", nullptr);
    set_env("PGDATESTYLE", nullptr);
    REQUIRE(a.ok());
    REQUIRE(b.ok());

    for (int i = 0; i < 3; ++i) {
        CHECK(query_value(a, "show TimeZone") == "Asia/Tokyo");
        CHECK(query_value(b, "show TimeZone") == "UTC");
        CHECK(query_value(a, "show application_name") == "client-a");
        CHECK(query_value(b, "show application_name") == "client-b");
        CHECK(query_value(a, "show DateStyle") == "SQL, DMY");
        CHECK(query_value(b, "show DateStyle") == "ISO, MDY");
    }
    // Values the client SETs later follow it as well.
    exec_ok(a, "set application_name = 'renamed-a'");
    exec_ok(b, "set TimeZone = 'America/New_York'");
    CHECK(query_value(b, "show application_name") == "client-b");
    CHECK(query_value(a, "show application_name") == "renamed-a");
    CHECK(query_value(a, "show TimeZone") == "Asia/Tokyo");
    CHECK(query_value(b, "show TimeZone") == "America/New_York");
    // Both really shared the one backend.
    CHECK(query_value(a, "select pg_backend_pid()") == query_value(b, "select pg_backend_pid()"));
}

TEST_CASE("statement mode runs single statements and refuses transactions", "[pg][statement]") {
    SluiceProcess sluice(pool("statement", 2));
    Connection conn = connect(sluice.conninfo("app", "app"));
    for (int i = 0; i < 5; ++i) CHECK(query_value(conn, "select " + std::to_string(i)) == std::to_string(i));
    PgResult params = exec_params(conn, "select $1::int + 1", {"1"});
    CHECK(describe(params.get()) == "PGRES_TUPLES_OK");

    // BEGIN, then statements: one of them fails (or the connection is closed), never a hang.
    // An error may also arrive while libpq is idle, in which case libpq passes it as a notice.
    std::vector<std::string> errors_as_notices;
    PQsetNoticeReceiver(
        conn,
        [](void* arg, const PGresult* result) {
            const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
            if (severity && (std::string(severity) == "ERROR" || std::string(severity) == "FATAL")) {
                static_cast<std::vector<std::string>*>(arg)->push_back(PQresultErrorMessage(result));
            }
        },
        &errors_as_notices);
    std::string transcript;
    bool refused = false;
    for (const char* sql : {"begin", "select 1", "select 2"}) {
        PgResult result = exec(conn, sql, 5s);
        transcript += std::string(sql) + " -> " + describe(result.get()) + "\n";
        refused = refused || !succeeded(result.get()) || !errors_as_notices.empty();
        if (refused || PQstatus(conn) != CONNECTION_OK) break;
    }
    for (const auto& error : errors_as_notices) transcript += "error received while idle: " + error;
    INFO(transcript);
    CHECK((refused || PQstatus(conn) != CONNECTION_OK));
    if (PQstatus(conn) == CONNECTION_OK) {
        // Still usable: a plain statement works again.
        PgResult rollback = exec(conn, "rollback", 5s);
        PgResult after = exec(conn, "select 'usable'", 5s);
        INFO("after the refusal: " << describe(after.get()));
        CHECK((succeeded(after.get()) || PQstatus(conn) != CONNECTION_OK));
    }
    Connection fresh = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(fresh, "select 'fresh'") == "fresh");
    CHECK(idle_in_transaction_backends() == 0);
}
