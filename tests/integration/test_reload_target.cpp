// A reload reaches pools that already exist (docs/limits.md, "What a reload changes"): a database
// moved to another PostgreSQL sends new backends there at once, while a client inside a
// transaction keeps its backend on the old server until the transaction ends; a changed
// server_connect_timeout applies to a live pool's next login.
#include <catch2/catch.hpp>

#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

std::string database_entry(const std::string& name, int port) {
    return name + ":\n  host: 127.0.0.1\n  port: " + std::to_string(port) + "\n  dbname: app\n";
}

// `app` on the PostgreSQL at app_port; `stalled` on a listener that never says a word.
SluiceOptions reload_options(int app_port, int stalled_port, const std::string& connect_timeout) {
    SluiceOptions options;
    options.databases = {};
    options.defaults =
        "server_connect_timeout: " + connect_timeout + "\nserver_login_retry: 100ms\nquery_wait_timeout: 20s";
    options.extra_databases = database_entry("app", app_port) + database_entry("stalled", stalled_port);
    return options;
}

int count_of(const std::string& text, const std::string& needle) {
    int count = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++count;
    return count;
}

// Writes the new file, sends SIGHUP and waits until the log says it is in force.
void reload_with(SluiceProcess& sluice, const SluiceOptions& options) {
    const int reloads = count_of(sluice.log(), "configuration reloaded");
    sluice.write_config(sluice_config(sluice.port(), options));
    sluice.reload();
    REQUIRE(eventually([&] { return count_of(sluice.log(), "configuration reloaded") > reloads; }));
}

// The port of the PostgreSQL a client's current backend runs on.
int server_port(PGconn* conn) { return std::stoi(query_value(conn, "select current_setting('port')")); }
std::string backend_pid(PGconn* conn) { return query_value(conn, "select pg_backend_pid()"); }

// A client of `stalled`: how long until it is refused, and with what.
struct Refusal {
    std::string message;
    Ms elapsed{0};
};
Refusal refusal_from_stalled(const SluiceProcess& sluice) {
    const auto started = Clock::now();
    Connection conn = try_connect(sluice.conninfo("app", "app", "stalled"), 20s);
    Refusal refusal{conn.ok() ? "" : conn.error_message(), since(started)};
    if (conn.ok()) {
        PgResult result = exec(conn, "select 1", 20s);
        refusal.message = succeeded(result.get()) ? "served" : describe(result.get());
        refusal.elapsed = since(started);
    }
    return refusal;
}

// Cancels `sql` (which must sleep) on `conn` through Sluice; returns the statement's SQLSTATE.
std::string cancelled_sqlstate(PGconn* conn, const PostgresServer& server, const std::string& sql,
                               const std::string& marker) {
    REQUIRE(PQsendQuery(conn, sql.c_str()) == 1);
    REQUIRE(eventually([&] {
        return server.query("select count(*) from pg_stat_activity where state = 'active' and query like " +
                            sql_literal("%" + marker + "%") + " and pid <> pg_backend_pid()") == "1";
    }));
    PGcancel* cancel = PQgetCancel(conn);
    REQUIRE(cancel != nullptr);
    char error[256] = {};
    const int sent = PQcancel(cancel, error, sizeof error);
    PQfreeCancel(cancel);
    INFO("PQcancel: " << error);
    CHECK(sent == 1);
    PgResult result = wait_for_result(conn, 5s);
    return sqlstate(result.get());
}

}  // namespace

TEST_CASE("a reload that moves a database reaches its live pool, and a client in a transaction keeps its backend",
          "[reload]") {
    PostgresServer& first = postgres();
    PostgresServer second;  // from the same template: the same roles and databases
    DeadListener stalled(false);
    SluiceProcess sluice(reload_options(first.port(), stalled.port(), "4s"));

    // The old server_connect_timeout holds on `stalled`'s pool, which this first client creates.
    Refusal slow = refusal_from_stalled(sluice);
    INFO("before the reload: " << slow.message << " after " << slow.elapsed.count() << " ms");
    CHECK_THAT(slow.message, Catch::Contains("server_connect_timeout"));
    CHECK(slow.elapsed >= 3500ms);

    // A table only the first server has: a row written there proves where a transaction ran.
    first.execute("drop table if exists reload_marker", "app");
    first.execute("create table reload_marker (n int)", "app");
    first.execute("grant all on reload_marker to app", "app");

    Connection inside = connect(sluice.conninfo("app", "app"));
    exec_ok(inside, "begin");
    exec_ok(inside, "insert into reload_marker values (1)");
    const std::string inside_pid = backend_pid(inside);
    REQUIRE(server_port(inside) == first.port());
    Connection between = connect(sluice.conninfo("app", "app"));
    REQUIRE(server_port(between) == first.port());  // its backend is idle in the pool now
    REQUIRE(eventually([&] { return first.count_backends("app", "app") == 2; }));

    reload_with(sluice, reload_options(second.port(), stalled.port(), "500ms"));

    // One log line for the moved pool, none for `stalled` (only its timeout changed).
    const std::string log = sluice.log();
    CHECK(count_of(log, "backend target changed: database=app user=app (port " + std::to_string(first.port()) +
                            " -> " + std::to_string(second.port()) + ", server_connect_timeout)") == 1);
    CHECK(count_of(log, "backend target changed") == 1);

    // New transactions, of new and of connected clients, run on the second server at once.
    Connection newcomer = connect(sluice.conninfo("app", "app"));
    CHECK(server_port(newcomer) == second.port());
    CHECK(server_port(between) == second.port());
    // The idle backend on the first server was closed; only the transaction's is left there.
    CHECK(eventually([&] { return first.count_backends("app", "app") == 1; }));

    // The client inside its transaction still has its backend, on the first server...
    CHECK(backend_pid(inside) == inside_pid);
    CHECK(server_port(inside) == first.port());
    {
        Connection console = admin_connect(sluice);
        const AdminTable servers = admin_show(console, "SHOW SERVERS");
        const auto rows = servers.where("remote_pid", inside_pid);
        REQUIRE(rows.size() == 1);
        CHECK(servers.at(rows[0], "close_needed") == "1");
        CHECK(servers.at(rows[0], "port") == std::to_string(first.port()));  // where it is, not the config's
    }
    // ...where its cancel requests still go (not to the pool's new server)...
    exec_ok(inside, "savepoint before_cancel");
    CHECK(cancelled_sqlstate(inside, first, "select pg_sleep(30) /* it-reload-cancel */", "it-reload-cancel") ==
          "57014");
    exec_ok(inside, "rollback to savepoint before_cancel");
    // ...and it commits there.
    exec_ok(inside, "insert into reload_marker values (2)");
    exec_ok(inside, "commit");
    CHECK(first.query("select string_agg(n::text, ',' order by n) from reload_marker", "app") == "1,2");

    // Its next transaction runs on the second server; the old backend is gone, not reused.
    CHECK(server_port(inside) == second.port());
    CHECK(eventually([&] { return first.count_backends("app", "app") == 0; }));
    CHECK(second.count_backends("app", "app") >= 1);
    CHECK(second.query("select to_regclass('public.reload_marker') is null", "app") == "t");
    first.execute("drop table reload_marker", "app");

    // The new server_connect_timeout is in force on `stalled`'s pool, which existed before
    // (once its server_login_retry has passed: until then it would refuse without trying).
    std::this_thread::sleep_for(200ms);
    Refusal fast = refusal_from_stalled(sluice);
    INFO("after the reload: " << fast.message << " after " << fast.elapsed.count() << " ms");
    CHECK_THAT(fast.message, Catch::Contains("server_connect_timeout"));
    CHECK(fast.elapsed >= 400ms);
    CHECK(fast.elapsed < 2500ms);
}
