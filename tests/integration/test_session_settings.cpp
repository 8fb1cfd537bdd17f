// Issue 12, parts 2 and 3, in transaction mode over a pool of 2: a client's session settings
// follow it to every backend it gets and never reach another client; state that cannot move
// (LISTEN, temporary tables) pins the client to its backend, shows in SHOW CLIENTS and
// /metrics, and with `session_state: error` is refused with 0A000.
#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

SluiceOptions transaction_pool(int size, const std::string& more = "") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(size) + "\n" + more;
    return options;
}

// A role `app` may SET ROLE to, made once per PostgreSQL.
void ensure_reader_role() {
    postgres().execute(
        "do $$ begin create role sluice_it_reader nologin; exception when duplicate_object then null; end $$");
    postgres().execute("grant sluice_it_reader to app");
}

// What a client sees of the settings the first client changes, in one round trip.
struct Seen {
    std::string search_path, statement_timeout, timezone, tenant, user;
    int pid = 0;
    bool operator==(const Seen&) const = default;
};

Seen look(PGconn* conn) {
    PgResult result = exec(conn,
                           "select current_setting('search_path'), current_setting('statement_timeout'), "
                           "current_setting('TimeZone'), coalesce(current_setting('myapp.tenant', true), ''), "
                           "current_user::text, pg_backend_pid()");
    REQUIRE(PQresultStatus(result.get()) == PGRES_TUPLES_OK);
    auto at = [&](int column) { return std::string(PQgetvalue(result.get(), 0, column)); };
    return Seen{at(0), at(1), at(2), at(3), at(4), std::stoi(at(5))};
}

std::string describe(const Seen& seen) {
    return seen.search_path + " | " + seen.statement_timeout + " | " + seen.timezone + " | " + seen.tenant + " | " +
           seen.user + " | pid " + std::to_string(seen.pid);
}

// The same settings but not the backend.
bool same_settings(Seen a, const Seen& b) {
    a.pid = b.pid;
    return a == b;
}

// The `pinned` column of the SHOW CLIENTS row of the client whose backend has `pid`.
std::string pinned_reason(PGconn* console, int pid) {
    const auto clients = admin_show(console, "SHOW CLIENTS");
    for (auto row : clients.where("server_pid", std::to_string(pid))) return clients.at(row, "pinned");
    return "<no such client>";
}

int listening_channels(PGconn* conn) { return std::stoi(query_value(conn, "select count(*) from pg_listening_channels()")); }

}  // namespace

TEST_CASE("a client's session settings follow it across backends and reach no other client",
          "[pg][transaction][session_settings]") {
    ensure_reader_role();
    SluiceProcess sluice(transaction_pool(2));
    Connection first = connect(sluice.conninfo("app", "app"));
    std::vector<Connection> others;
    for (int i = 0; i < 10; ++i) others.push_back(connect(sluice.conninfo("app", "app")));
    const Seen defaults = look(others[0]);
    REQUIRE(defaults.user == "app");

    exec_ok(first, "SET search_path TO sluice_it_a, public");
    exec_ok(first, "SET statement_timeout = '4321ms'");
    exec_ok(first, "SET TimeZone = 'Asia/Tokyo'");
    exec_ok(first, "SET myapp.tenant = 'tenant-a'");
    exec_ok(first, "SET ROLE sluice_it_reader");
    const Seen own = look(first);
    INFO("first client: " << describe(own));
    REQUIRE(own.search_path == "sluice_it_a, public");
    REQUIRE(own.statement_timeout == "4321ms");
    REQUIRE(own.timezone == "Asia/Tokyo");
    REQUIRE(own.tenant == "tenant-a");
    REQUIRE(own.user == "sluice_it_reader");

    // Two other clients hold both backends in transactions; one lets go, the first client runs
    // on the backend it freed, then another client runs there right after it. The one that lets
    // go holds the backend the first client did not use last round, so the first client moves
    // between the two backends whichever worker each backend prefers.
    std::set<int> first_pids, other_pids;
    int last_first_pid = 0;
    for (int round = 0; round < 20; ++round) {
        PGconn* one = others[round % others.size()];
        PGconn* two = others[(round + 5) % others.size()];
        PGconn* follower = others[(round + 2) % others.size()];
        exec_ok(one, "begin");
        exec_ok(two, "begin");
        const Seen held_one = look(one), held_two = look(two);
        INFO("round " << round << ": holders saw " << describe(held_one) << " and " << describe(held_two));
        CHECK(same_settings(held_one, defaults));
        CHECK(same_settings(held_two, defaults));
        REQUIRE(held_one.pid != held_two.pid);
        PGconn* freed = held_one.pid != last_first_pid ? one : two;
        exec_ok(freed, "commit");
        const Seen mine = look(first);
        INFO("first client saw " << describe(mine));
        CHECK(same_settings(mine, own));
        CHECK(mine.pid == (freed == one ? held_one.pid : held_two.pid));
        first_pids.insert(mine.pid);
        last_first_pid = mine.pid;
        const Seen next = look(follower);  // the backend the first client has just used
        INFO("the next client saw " << describe(next));
        CHECK(same_settings(next, defaults));
        CHECK(next.pid == mine.pid);
        other_pids.insert(next.pid);
        exec_ok(freed == one ? two : one, "commit");
    }
    CHECK(first_pids.size() == 2);  // it changed backends, and kept its settings each time
    CHECK(other_pids.size() == 2);  // others ran right after it on both

    // All at once: 10 clients and the first, each on whichever backend is free.
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (auto& other : others) {
        threads.emplace_back([&, conn = other.get()] {
            for (int i = 0; i < 20; ++i) {
                if (!same_settings(look(conn), defaults)) ++wrong;
            }
        });
    }
    for (int i = 0; i < 40; ++i) {
        if (!same_settings(look(first), own)) ++wrong;
    }
    for (auto& thread : threads) thread.join();
    CHECK(wrong == 0);

    // RESET brings the first client back to the defaults, wherever it runs next.
    exec_ok(first, "RESET ALL");
    exec_ok(first, "RESET ROLE");
    CHECK(same_settings(look(first), defaults));
}

TEST_CASE("a setting rolled back with its transaction does not follow the client",
          "[pg][transaction][session_settings]") {
    SluiceProcess sluice(transaction_pool(2));
    Connection client = connect(sluice.conninfo("app", "app"));
    Connection holder = connect(sluice.conninfo("app", "app"));
    const std::string initial = query_value(client, "show search_path");
    exec_ok(client, "begin");
    exec_ok(client, "set search_path to rolled_back");
    exec_ok(client, "rollback");
    exec_ok(client, "begin; set statement_timeout = '7s'; commit");
    for (int i = 0; i < 4; ++i) {
        exec_ok(holder, "begin");
        CHECK(query_value(client, "show search_path") == initial);
        CHECK(query_value(client, "show statement_timeout") == "7s");
        exec_ok(holder, "commit");
    }
}

TEST_CASE("LISTEN pins the client: NOTIFY across transactions, SHOW CLIENTS, /metrics",
          "[pg][transaction][session_pin]") {
    const int metrics_port = pick_free_port();
    SluiceProcess sluice(
        [&](int port) { return with_metrics_listener(sluice_config(port, transaction_pool(2)), metrics_port); });
    REQUIRE(wait_for_metrics(metrics_port));
    Connection listener = connect(sluice.conninfo("app", "app"));
    Connection notifier = connect(sluice.conninfo("app", "app"));
    Connection other = connect(sluice.conninfo("app", "app"));
    Connection console = admin_connect(sluice);

    exec_ok(listener, "LISTEN sluice_it_pin");
    const int pid = std::stoi(query_value(listener, "select pg_backend_pid()"));
    for (int round = 0; round < 5; ++round) {
        const std::string payload = "round " + std::to_string(round);
        exec_ok(notifier, "NOTIFY sluice_it_pin, " + sql_literal(payload));
        const auto notifications = wait_for_notifications(listener, 5s);
        REQUIRE(notifications.size() == 1);
        CHECK(notifications[0].channel == "sluice_it_pin");
        CHECK(notifications[0].payload == payload);
        // Its transactions keep running on the same backend; the others share the other one.
        exec_ok(listener, "begin");
        CHECK(std::stoi(query_value(listener, "select pg_backend_pid()")) == pid);
        exec_ok(listener, "commit");
        CHECK(std::stoi(query_value(other, "select pg_backend_pid()")) != pid);
        CHECK(listening_channels(other) == 0);
    }
    CHECK(pinned_reason(console, pid) == "listen");
    const auto exposition = http_get(metrics_port, "/metrics").body;
    CHECK(exposition_value(exposition, "sluice_clients_pinned{reason=\"listen\"}") == 1.0);
    CHECK(sluice.log().find("client pinned to its backend: user=app database=app reason=listen") != std::string::npos);

    exec_ok(listener, "UNLISTEN *");
    CHECK(eventually([&] { return pinned_reason(console, pid) != "listen"; }));
    CHECK_FALSE(exposition_value(http_get(metrics_port, "/metrics").body, "sluice_clients_pinned{reason=\"listen\"}")
                    .value_or(0) > 0);
}

TEST_CASE("a temporary table works across transactions and leaves with its client",
          "[pg][transaction][session_pin]") {
    SluiceProcess sluice(transaction_pool(2));
    Connection owner = connect(sluice.conninfo("app", "app"));
    std::vector<Connection> others;
    for (int i = 0; i < 3; ++i) others.push_back(connect(sluice.conninfo("app", "app")));
    exec_ok(owner, "create temp table sluice_it_scratch (n int)");
    for (int n = 1; n <= 6; ++n) {
        exec_ok(owner, "begin");
        exec_ok(owner, "insert into sluice_it_scratch values (" + std::to_string(n) + ")");
        exec_ok(owner, "commit");
        for (auto& other : others) {
            // Temporary tables resolve in the session's own pg_temp only.
            CHECK(query_value(other, "select to_regclass('sluice_it_scratch') is null") == "t");
        }
    }
    CHECK(query_value(owner, "select sum(n) from sluice_it_scratch") == "21");
    const int pid = std::stoi(query_value(owner, "select pg_backend_pid()"));
    owner.close();
    // Its backend held the table: it is not handed to anyone else.
    CHECK(eventually([&] {
        return postgres().query("select count(*) from pg_stat_activity where pid = " + std::to_string(pid)) == "0";
    }));
    Connection next = connect(sluice.conninfo("app", "app"));
    PgResult missing = exec(next, "select count(*) from sluice_it_scratch");
    CHECK(sqlstate(missing.get()) == "42P01");
}

TEST_CASE("session_state: error refuses what would pin with 0A000, and nothing reaches the backend",
          "[pg][transaction][session_pin]") {
    SluiceProcess sluice(transaction_pool(2, "session_state: error"));
    Connection client = connect(sluice.conninfo("app", "app"));
    Connection other = connect(sluice.conninfo("app", "app"));

    PgResult refused = exec(client, "LISTEN sluice_it_refused");
    CHECK(sqlstate(refused.get()) == "0A000");
    CHECK(std::string(PQresultErrorField(refused.get(), PG_DIAG_MESSAGE_PRIMARY)) ==
          "not supported in transaction pool mode: LISTEN");
    CHECK(PQtransactionStatus(client) == PQTRANS_IDLE);
    CHECK(query_value(client, "select 1") == "1");
    CHECK(listening_channels(client) == 0);
    CHECK(listening_channels(other) == 0);

    PgResult temp = exec(client, "create temp table sluice_it_refused (n int)");
    CHECK(sqlstate(temp.get()) == "0A000");
    CHECK(query_value(other, "select count(*) from pg_tables where tablename = 'sluice_it_refused'") == "0");

    // Inside a transaction: refused, and the transaction goes on as it was.
    exec_ok(client, "begin");
    exec_ok(client, "create table if not exists sluice_it_kept (n int)");
    PgResult in_block = exec(client, "select pg_advisory_lock(42)");
    CHECK(sqlstate(in_block.get()) == "0A000");
    CHECK(PQtransactionStatus(client) == PQTRANS_INTRANS);
    exec_ok(client, "commit");
    CHECK(query_value(other, "select count(*) from pg_locks where locktype = 'advisory'") == "0");
    // Settings are not state: they still follow the client.
    exec_ok(client, "set search_path to refused_not, public");
    CHECK(query_value(client, "show search_path") == "refused_not, public");
    CHECK(query_value(other, "show search_path") != "refused_not, public");
    postgres().execute("drop table if exists sluice_it_kept", "app");
}

TEST_CASE("startup options and extended-protocol SETs follow the client too", "[pg][transaction][session_settings]") {
    SluiceProcess sluice(transaction_pool(2));
    Connection client = connect(sluice.conninfo("app", "app", "app", "options='-c extra_float_digits=2 -c myapp.tenant=boot'"));
    Connection holder = connect(sluice.conninfo("app", "app"));
    // Parse/Bind/Execute/Sync, as JDBC sends every statement.
    PgResult extended = exec_params(client, "set search_path to via_extended, public", {});
    REQUIRE(succeeded(extended.get()));
    std::set<int> pids;
    for (int round = 0; round < 6; ++round) {
        if (round % 2 == 1) exec_ok(holder, "begin");
        PgResult seen = exec(client,
                             "select current_setting('extra_float_digits'), current_setting('myapp.tenant'), "
                             "current_setting('search_path'), pg_backend_pid()");
        REQUIRE(PQresultStatus(seen.get()) == PGRES_TUPLES_OK);
        CHECK(std::string(PQgetvalue(seen.get(), 0, 0)) == "2");
        CHECK(std::string(PQgetvalue(seen.get(), 0, 1)) == "boot");
        CHECK(std::string(PQgetvalue(seen.get(), 0, 2)) == "via_extended, public");
        const int pid = std::stoi(PQgetvalue(seen.get(), 0, 3));
        pids.insert(pid);
        if (round % 2 == 0) {
            // Which idle backend a client gets depends on the I/O worker it landed on: end this
            // one, so the next statement surely runs on another and the settings must follow.
            postgres().execute("select pg_terminate_backend(" + std::to_string(pid) + ")");
            REQUIRE(eventually([&] {
                return postgres().query("select count(*) from pg_stat_activity where pid = " + std::to_string(pid)) ==
                       "0";
            }));
        }
        if (round % 2 == 1) {
            CHECK(query_value(holder, "show extra_float_digits") == "1");
            CHECK(query_value(holder, "show search_path") != "via_extended, public");
            exec_ok(holder, "commit");
        }
    }
    CHECK(pids.size() >= 3);  // a new backend after each of the three terminations
    // RESET goes back to the startup value, as in PostgreSQL.
    exec_ok(client, "set extra_float_digits = 0");
    exec_ok(client, "reset extra_float_digits");
    exec_ok(holder, "begin");
    CHECK(query_value(client, "show extra_float_digits") == "2");
    exec_ok(holder, "commit");
}

TEST_CASE("session_state: error refuses a pinning statement sent with Parse, and ends a session that pipelined it",
          "[pg][transaction][session_pin]") {
    SluiceProcess sluice(transaction_pool(2, "session_state: error"));
    Connection client = connect(sluice.conninfo("app", "app"));
    Connection other = connect(sluice.conninfo("app", "app"));
    SECTION("alone in its batch (Parse, Bind, Describe, Execute, Sync: pgjdbc's way): refused, the session goes on") {
        PgResult refused = exec_params(client, "listen sluice_it_extended", {});
        CHECK(sqlstate(refused.get()) == "0A000");
        CHECK(std::string(PQresultErrorMessage(refused.get())).find("not supported in transaction pool mode: LISTEN") !=
              std::string::npos);
        CHECK(query_value(other, "select count(*) from pg_stat_activity where query ilike '%sluice_it_extended%' and pid <> pg_backend_pid()") == "0");
        CHECK(query_value(client, "select 'goes on'") == "goes on");
        CHECK(query_value(client, "select count(*) from pg_listening_channels()") == "0");
    }
    SECTION("pipelined behind another statement: it cannot be answered in its place, the session ends") {
        PGconn* conn = client.get();
        REQUIRE(PQenterPipelineMode(conn) == 1);
        REQUIRE(PQsendQueryParams(conn, "select 1", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1);
        REQUIRE(PQsendQueryParams(conn, "listen sluice_it_piped", 0, nullptr, nullptr, nullptr, nullptr, 0) == 1);
        REQUIRE(PQpipelineSync(conn) == 1);
        std::string first_error;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (PQstatus(conn) != CONNECTION_BAD && std::chrono::steady_clock::now() < deadline) {
            if (!wait_readable(conn, deadline) || !PQconsumeInput(conn)) break;
            while (!PQisBusy(conn)) {
                PgResult result(PQgetResult(conn));
                if (!result) break;
                if (PQresultStatus(result.get()) == PGRES_FATAL_ERROR && first_error.empty()) first_error = sqlstate(result.get());
            }
        }
        CHECK(first_error == "0A000");
        CHECK((PQstatus(conn) == CONNECTION_BAD || PQconsumeInput(conn) == 0));
        CHECK(query_value(other, "select count(*) from pg_stat_activity where query ilike '%sluice_it_piped%' and pid <> pg_backend_pid()") == "0");
        CHECK(query_value(other, "select 1") == "1");
    }
}

TEST_CASE("SET SESSION AUTHORIZATION ends a SET ROLE on every backend the client gets, as in PostgreSQL",
          "[session_settings]") {
    // A superuser client (SET SESSION AUTHORIZATION needs one) and another client of the same
    // pool take turns on its one backend, so every statement lands on a backend brought back
    // to the client's settings.
    postgres().execute(
        "do $$ begin create role sluice_it_super login superuser password 'super'; "
        "exception when duplicate_object then null; end $$");
    ensure_reader_role();
    auto options = transaction_pool(1);
    options.users.push_back({"sluice_it_super", "super", ""});
    SluiceProcess sluice(options);
    Connection owner = connect(sluice.conninfo("sluice_it_super", "super"));
    Connection other = connect(sluice.conninfo("sluice_it_super", "super"));
    CHECK(describe(exec(owner, "set role sluice_it_reader").get()) == "PGRES_COMMAND_OK");
    CHECK(describe(exec(owner, "set session authorization app").get()) == "PGRES_COMMAND_OK");
    CHECK(query_value(owner, "select current_user") == "app");
    for (int i = 0; i < 3; ++i) {
        CHECK(query_value(other, "select current_user") == "sluice_it_super");
        CHECK(query_value(owner, "select current_user || ' ' || session_user") == "app app");
    }
    CHECK(describe(exec(owner, "reset session authorization").get()) == "PGRES_COMMAND_OK");
    CHECK(query_value(other, "select 1") == "1");
    CHECK(query_value(owner, "select current_user") == "sluice_it_super");
}
