// The admin console through libpq, as psql and pgbouncer_exporter use it: the virtual
// databases `sluice` and `pgbouncer`, who may log in and run what, every SHOW command (with
// PgBouncer's columns where PgBouncer has the command), and PAUSE/RESUME, RELOAD, KILL,
// RECONNECT and SHUTDOWN acting on a real Sluice in front of a real PostgreSQL.
#include <csignal>
#include <catch2/catch.hpp>

#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

SluiceOptions pool_of(int size) {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(size);
    return options;
}

// PgBouncer's own columns must lead, in its order.
void check_leading_columns(const AdminTable& table, const std::vector<std::string>& expected) {
    REQUIRE(table.columns.size() >= expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        INFO("column " << i);
        CHECK(table.columns[i] == expected[i]);
    }
}

const std::vector<std::string> kPoolsColumns = {
    "database",  "user",     "cl_active", "cl_waiting", "cl_active_cancel_req", "cl_waiting_cancel_req",
    "sv_active", "sv_active_cancel", "sv_being_canceled", "sv_idle", "sv_used", "sv_tested", "sv_login",
    "maxwait",   "maxwait_us", "pool_mode", "load_balance_hosts"};

const std::vector<std::string> kStatsColumns = {
    "database", "total_server_assignment_count", "total_xact_count", "total_query_count", "total_received",
    "total_sent", "total_xact_time", "total_query_time", "total_wait_time", "total_client_parse_count",
    "total_server_parse_count", "total_bind_count", "total_client_connect_count", "avg_server_assignment_count",
    "avg_xact_count", "avg_query_count", "avg_recv", "avg_sent", "avg_xact_time", "avg_query_time",
    "avg_wait_time", "avg_client_parse_count", "avg_server_parse_count", "avg_bind_count",
    "avg_client_connect_count"};

const std::vector<std::string> kSocketColumns = {
    "type", "user", "database", "replication", "state", "addr", "port", "local_addr", "local_port",
    "connect_time", "request_time", "wait", "wait_us", "close_needed", "ptr", "link", "remote_pid", "tls",
    "application_name", "prepared_statements", "id"};

// The command's result: COMMAND_OK expected, else the SQLSTATE.
std::string command_outcome(PGconn* console, const std::string& command, Duration timeout = kQueryTimeout) {
    PgResult result = exec(console, command, timeout);
    if (PQresultStatus(result.get()) == PGRES_COMMAND_OK) return "ok";
    INFO(command << ": " << describe(result.get()));
    return sqlstate(result.get());
}

// True once a query sent with PQsendQuery has its answer (without blocking).
bool answered(PGconn* conn) {
    if (PQconsumeInput(conn) == 0) return true;  // the connection broke: that is an answer too
    return PQisBusy(conn) == 0;
}

}  // namespace

TEST_CASE("admin console: every SHOW answers, with PgBouncer's columns in PgBouncer's order", "[admin]") {
    SluiceProcess sluice(pool_of(2));
    Connection app = connect(sluice.conninfo("app", "app", "app", "application_name=it_admin_app"));
    CHECK(query_value(app, "select 1") == "1");
    Connection console = admin_connect(sluice);
    // The client has its answer a moment before Sluice has given the backend back (it writes
    // the reply, then releases): wait for that, or a slow daemon (ASan) shows it still active.
    REQUIRE(eventually([&] {
        const AdminTable pools = admin_show(console, "SHOW POOLS");
        const auto app = pools.where("database", "app");
        return app.size() == 1 && pools.at(app[0], "sv_idle") == "1";
    }));

    const AdminTable pools = admin_show(console, "SHOW POOLS");
    check_leading_columns(pools, kPoolsColumns);
    const auto app_pool = pools.where("database", "app");
    REQUIRE(app_pool.size() == 1);
    CHECK(pools.at(app_pool[0], "user") == "app");
    CHECK(pools.at(app_pool[0], "cl_active") == "1");
    CHECK(pools.at(app_pool[0], "sv_idle") == "1");
    CHECK(pools.at(app_pool[0], "pool_mode") == "transaction");

    const AdminTable stats = admin_show(console, "show stats;");
    check_leading_columns(stats, kStatsColumns);
    const auto app_stats = stats.where("database", "app");
    REQUIRE(app_stats.size() == 1);
    CHECK(std::stoll(stats.at(app_stats[0], "total_xact_count")) >= 1);
    CHECK(std::stoll(stats.at(app_stats[0], "total_received")) > 0);

    const AdminTable clients = admin_show(console, "SHOW CLIENTS");
    check_leading_columns(clients, kSocketColumns);
    const auto app_client = clients.where("application_name", "it_admin_app");
    REQUIRE(app_client.size() == 1);
    CHECK(clients.at(app_client[0], "type") == "C");
    CHECK(clients.at(app_client[0], "user") == "app");
    CHECK(clients.at(app_client[0], "database") == "app");
    CHECK(clients.at(app_client[0], "state") == "idle");
    CHECK(clients.at(app_client[0], "addr") == "127.0.0.1");
    CHECK(std::stoi(clients.at(app_client[0], "port")) > 0);
    CHECK(clients.at(app_client[0], "link").empty());
    CHECK(clients.where("database", "sluice").size() == 1);  // the console itself

    check_leading_columns(admin_show(console, "SHOW SERVERS"), kSocketColumns);
    check_leading_columns(admin_show(console, "SHOW DATABASES"),
                          {"name", "host", "port", "database", "force_user", "pool_size", "min_pool_size",
                           "reserve_pool_size", "server_lifetime", "pool_mode", "load_balance_hosts",
                           "max_connections", "current_connections", "max_client_connections",
                           "current_client_connections", "paused", "disabled"});
    check_leading_columns(admin_show(console, "SHOW USERS"),
                          {"name", "pool_size", "reserve_pool_size", "pool_mode", "max_user_connections",
                           "current_connections", "max_user_client_connections", "current_client_connections"});
    check_leading_columns(admin_show(console, "SHOW CONFIG"), {"key", "value", "default", "changeable"});
    check_leading_columns(admin_show(console, "SHOW STATS_TOTALS"), {"database", "server_assignment_count"});
    check_leading_columns(admin_show(console, "SHOW STATS_AVERAGES"), {"database", "server_assignment_count"});
    const AdminTable lists = admin_show(console, "SHOW LISTS");
    check_leading_columns(lists, {"list", "items"});
    // Typed as PgBouncer types them (text 25, int4 23, numeric 1700), so drivers hand the
    // same kinds of values to scripts written against PgBouncer.
    CHECK(pools.type_oid("database") == 25u);
    CHECK(pools.type_oid("cl_active") == 23u);
    CHECK(pools.type_oid("maxwait_us") == 23u);
    CHECK(pools.type_oid("pool_mode") == 25u);
    CHECK(stats.type_oid("total_xact_count") == 1700u);
    CHECK(stats.type_oid("avg_query_time") == 1700u);
    CHECK(clients.type_oid("port") == 23u);
    CHECK(clients.type_oid("connect_time") == 25u);
    CHECK(lists.type_oid("items") == 23u);
    const AdminTable version = admin_show(console, "SHOW VERSION");
    REQUIRE(version.rows.size() == 1);
    CHECK(version.at(0, "version").rfind("Sluice ", 0) == 0);

    std::vector<std::string> notices;
    PQsetNoticeReceiver(
        console,
        [](void* sink, const PGresult* notice) {
            auto* messages = static_cast<std::vector<std::string>*>(sink);
            messages->push_back(PQresultErrorField(notice, PG_DIAG_MESSAGE_PRIMARY));
        },
        &notices);
    PgResult help = exec(console, "SHOW HELP");
    CHECK(PQresultStatus(help.get()) == PGRES_COMMAND_OK);
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].find("SHOW") != std::string::npos);
}

TEST_CASE("admin console: SHOW CLIENTS and SHOW SERVERS name the backend a client holds", "[admin]") {
    SluiceProcess sluice(pool_of(2));
    Connection app = connect(sluice.conninfo("app", "app", "app", "application_name=it_holder"));
    exec_ok(app, "begin");
    const std::string backend_pid = query_value(app, "select pg_backend_pid()");
    Connection console = admin_connect(sluice);

    const AdminTable clients = admin_show(console, "SHOW CLIENTS");
    const auto holder = clients.where("application_name", "it_holder");
    REQUIRE(holder.size() == 1);
    CHECK(clients.at(holder[0], "state") == "active");
    CHECK(clients.at(holder[0], "server_pid") == backend_pid);
    CHECK(clients.at(holder[0], "xact_age_us") != "NULL");
    const std::string link = clients.at(holder[0], "link");
    REQUIRE_FALSE(link.empty());

    const AdminTable servers = admin_show(console, "SHOW SERVERS");
    const auto held = servers.where("ptr", link);
    REQUIRE(held.size() == 1);
    CHECK(servers.at(held[0], "state") == "active");
    CHECK(servers.at(held[0], "remote_pid") == backend_pid);
    CHECK(servers.at(held[0], "link") == clients.at(holder[0], "ptr"));
    CHECK(servers.at(held[0], "application_name") == "it_holder");
    CHECK(servers.at(held[0], "port") == std::to_string(postgres().port()));
    exec_ok(app, "commit");
}

TEST_CASE("admin console: the database name pgbouncer is an alias", "[admin]") {
    SluiceProcess sluice;
    Connection console = admin_connect(sluice, "pgbouncer");
    CHECK(admin_show(console, "SHOW VERSION").rows.size() == 1);
    check_leading_columns(admin_show(console, "SHOW POOLS"), kPoolsColumns);
    CHECK(admin_show(console, "SHOW CLIENTS").where("database", "pgbouncer").size() == 1);
}

TEST_CASE("admin console: a user in neither admin_users nor stats_users is refused", "[admin]") {
    SluiceProcess sluice;
    for (const char* database : {"sluice", "pgbouncer"}) {
        Connection refused = try_connect(sluice.conninfo("app", "app", database));
        INFO(database << ": " << refused.error_message());
        CHECK_FALSE(refused.ok());
        CHECK(refused.error_message().find("permission denied for the admin console") != std::string::npos);
    }
    // A wrong password is still an authentication failure, not a permission question.
    Connection wrong = try_connect(sluice.conninfo("admin", "wrong", "sluice"));
    CHECK_FALSE(wrong.ok());
    CHECK(wrong.error_message().find("password authentication failed") != std::string::npos);
}

TEST_CASE("admin console: stats_users may SHOW, but PAUSE and friends get 42501", "[admin]") {
    SluiceProcess sluice;
    Connection monitor = connect(sluice.conninfo("monitor", "monitor", "pgbouncer"));
    check_leading_columns(admin_show(monitor, "SHOW POOLS"), kPoolsColumns);
    check_leading_columns(admin_show(monitor, "SHOW STATS"), kStatsColumns);
    for (const char* command : {"PAUSE", "PAUSE app", "RESUME", "RELOAD", "KILL app", "RECONNECT", "SHUTDOWN"}) {
        INFO(command);
        CHECK(command_outcome(monitor, command) == "42501");
    }
    CHECK(sluice.running());
    // Still connected and usable after the refusals.
    CHECK(admin_show(monitor, "SHOW VERSION").rows.size() == 1);
}

TEST_CASE("admin console: unknown commands and the extended protocol get errors, not a hang-up", "[admin]") {
    SluiceProcess sluice;
    Connection console = admin_connect(sluice);
    CHECK(command_outcome(console, "SELECT 1") == "42601");
    CHECK(command_outcome(console, "SHOW NOTHING") == "42601");
    CHECK(command_outcome(console, "KILL nowhere") == "3D000");
    PgResult extended = exec_params(console, "SHOW POOLS", {});
    CHECK(sqlstate(extended.get()) == "0A000");
    CHECK(admin_show(console, "SHOW VERSION").rows.size() == 1);
}

TEST_CASE("admin console: PAUSE lets running transactions finish and holds new ones until RESUME", "[admin]") {
    SluiceProcess sluice(pool_of(2));
    Connection running = connect(sluice.conninfo("app", "app"));
    Connection newcomer = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(newcomer, "select 1") == "1");  // its pool exists; the pool has room for both
    exec_ok(running, "begin");
    CHECK(query_value(running, "select 'in transaction'") == "in transaction");

    Connection console = admin_connect(sluice);
    REQUIRE(PQsendQuery(console, "PAUSE app") == 1);
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(answered(console));  // waits for the running transaction

    // A new transaction waits although a backend is free.
    REQUIRE(PQsendQuery(newcomer, "select 'newcomer'") == 1);
    std::this_thread::sleep_for(300ms);
    CHECK_FALSE(answered(newcomer));

    // The running transaction goes on and finishes; then PAUSE answers.
    CHECK(query_value(running, "select 'still running'") == "still running");
    exec_ok(running, "commit");
    PgResult paused = wait_for_result(console, 10s);
    INFO(describe(paused.get()));
    CHECK(PQresultStatus(paused.get()) == PGRES_COMMAND_OK);
    std::this_thread::sleep_for(200ms);
    CHECK_FALSE(answered(newcomer));

    Connection observer = admin_connect(sluice);
    const AdminTable pools = admin_show(observer, "SHOW POOLS");
    const auto app_pool = pools.where("database", "app");
    REQUIRE(app_pool.size() == 1);
    CHECK(pools.at(app_pool[0], "cl_waiting") == "1");
    CHECK(pools.at(app_pool[0], "sv_active") == "0");
    CHECK(pools.at(app_pool[0], "paused") == "1");
    CHECK(admin_show(observer, "SHOW DATABASES").at(0, "paused") == "1");

    CHECK(command_outcome(console, "RESUME app") == "ok");
    PgResult released = wait_for_result(newcomer, 10s);
    REQUIRE(PQresultStatus(released.get()) == PGRES_TUPLES_OK);
    CHECK(std::string(PQgetvalue(released.get(), 0, 0)) == "newcomer");
}

TEST_CASE("admin console: RELOAD applies a valid file and reports a broken one", "[admin]") {
    SluiceProcess sluice;
    Connection console = admin_connect(sluice);

    sluice.write_config("listen: [unterminated\n");
    PgResult broken = exec(console, "RELOAD");
    INFO(describe(broken.get()));
    CHECK(sqlstate(broken.get()) == "58000");
    const std::string message = PQresultErrorField(broken.get(), PG_DIAG_MESSAGE_PRIMARY);
    CHECK(message.find("RELOAD failed: " + sluice.config_path() + ":") == 0);
    CHECK(sluice.running());

    SluiceOptions changed;
    changed.defaults = "pool_size: 7";
    changed.top_level = "log_level: warn";
    std::string file = sluice_config(sluice.port(), changed);
    const auto workers_at = file.find("workers: 2\n");
    REQUIRE(workers_at != std::string::npos);
    file.replace(workers_at, 10, "workers: 3");  // read at start only
    sluice.write_config(file);
    CHECK(command_outcome(console, "RELOAD;") == "ok");
    const AdminTable config = admin_show(console, "SHOW CONFIG");
    const auto value_of = [&](const std::string& key) {
        const auto rows = config.where("key", key);
        REQUIRE(rows.size() == 1);
        return config.at(rows[0], "value");
    };
    CHECK(value_of("defaults.pool_size") == "7");
    CHECK(value_of("log_level") == "warn");
    // SHOW CONFIG shows what runs, and the log says why the file's value is not in force.
    CHECK(value_of("workers") == "2");
    CHECK(sluice.log().find("reload: workers changed in the file; it takes effect at the next start") !=
          std::string::npos);
    // The daemon still serves clients under the new file.
    Connection app = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(app, "select 1") == "1");
}

TEST_CASE("admin console: KILL disconnects the database's clients and no one else", "[admin]") {
    SluiceProcess sluice(pool_of(3));
    Connection idle_victim = connect(sluice.conninfo("app", "app", "app"));
    Connection busy_victim = connect(sluice.conninfo("app", "app", "app"));
    Connection bystander = connect(sluice.conninfo("app", "app", "app2"));
    CHECK(query_value(idle_victim, "select 1") == "1");
    exec_ok(busy_victim, "begin");
    CHECK(query_value(busy_victim, "select 2") == "2");
    CHECK(query_value(bystander, "select 3") == "3");
    Connection console = admin_connect(sluice);

    CHECK(command_outcome(console, "KILL app") == "ok");
    CHECK(eventually([&] { return admin_show(console, "SHOW CLIENTS").where("database", "app").empty(); }));
    for (PGconn* victim : {idle_victim.get(), busy_victim.get()}) {
        PgResult after = exec(victim, "select 1");
        CHECK_FALSE(succeeded(after.get()));
        CHECK(PQstatus(victim) == CONNECTION_BAD);
    }
    CHECK(query_value(bystander, "select 4") == "4");
    CHECK(eventually([] { return postgres().count_backends("app", "app") == 0; }));
    // As in PgBouncer, the database is paused: a new client gets in, its query waits for RESUME.
    Connection next = connect(sluice.conninfo("app", "app", "app"));
    REQUIRE(PQsendQuery(next, "select 5") == 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    REQUIRE(PQconsumeInput(next) == 1);
    CHECK(PQisBusy(next) == 1);
    CHECK(command_outcome(console, "RESUME app") == "ok");
    PgResult resumed = wait_for_result(next);
    REQUIRE(succeeded(resumed.get()));
    CHECK(std::string(PQgetvalue(resumed.get(), 0, 0)) == "5");
}

TEST_CASE("admin console: DISABLE refuses new clients of a database until ENABLE, PAUSE twice is an error",
          "[admin]") {
    SluiceProcess sluice(pool_of(2));
    Connection connected = connect(sluice.conninfo("app", "app", "app"));
    Connection console = admin_connect(sluice);
    CHECK(command_outcome(console, "DISABLE app") == "ok");
    const AdminTable databases = admin_show(console, "SHOW DATABASES");
    const auto app = databases.where("name", "app");
    REQUIRE(app.size() == 1);
    CHECK(databases.at(app[0], "disabled") == "1");
    Connection refused = try_connect(sluice.conninfo("app", "app", "app"), std::chrono::seconds(5));
    CHECK_FALSE(refused.ok());
    CHECK_THAT(std::string(PQerrorMessage(refused)), Catch::Contains("database does not allow connections: app"));
    CHECK(query_value(connected, "select 1") == "1");  // who is in stays in
    Connection other_database = connect(sluice.conninfo("app", "app", "app2"));
    CHECK(query_value(other_database, "select 2") == "2");
    CHECK(command_outcome(console, "ENABLE app") == "ok");
    Connection again = connect(sluice.conninfo("app", "app", "app"));
    CHECK(query_value(again, "select 3") == "3");

    CHECK(command_outcome(console, "PAUSE app2") == "ok");
    CHECK(sqlstate(exec(console, "PAUSE app2").get()) == "55000");
    CHECK(command_outcome(console, "RESUME app2") == "ok");
    CHECK(sqlstate(exec(console, "RESUME app2").get()) == "55000");

    // SHOW STATE (PgBouncer 1.21) follows a PAUSE of everything.
    const auto state_of = [&](const char* key) {
        const AdminTable state = admin_show(console, "SHOW STATE");
        const auto rows = state.where("key", key);
        return rows.size() == 1 ? state.at(rows[0], "value") : std::string("missing");
    };
    CHECK(state_of("active") == "yes");
    CHECK(command_outcome(console, "PAUSE") == "ok");
    CHECK(state_of("paused") == "yes");
    CHECK(state_of("active") == "no");
    CHECK(command_outcome(console, "RESUME") == "ok");
    CHECK(state_of("paused") == "no");
    CHECK(state_of("suspended") == "no");
    // PgBouncer's signals: SIGUSR1 pauses everything, SIGUSR2 resumes (neither kills the daemon).
    REQUIRE(::kill(sluice.pid(), SIGUSR1) == 0);
    CHECK(eventually([&] { return state_of("paused") == "yes"; }, 5s));
    REQUIRE(::kill(sluice.pid(), SIGUSR2) == 0);
    CHECK(eventually([&] { return state_of("paused") == "no"; }, 5s));
    CHECK(sluice.running());
    CHECK(query_value(connected, "select 4") == "4");
    // PgBouncer's views of its own internals: refused with the reason, not "invalid command".
    for (const char* view : {"SHOW FDS", "SHOW MEM", "SHOW SOCKETS", "SHOW ACTIVE_SOCKETS"}) {
        INFO(view);
        const auto refused = exec(console, view);
        CHECK(sqlstate(refused.get()) == "0A000");
        CHECK_THAT(std::string(PQresultErrorMessage(refused.get())), Catch::Contains("is not supported: "));
    }

    const AdminTable totals = admin_show(console, "SHOW TOTALS");
    const auto queries = totals.where("name", "total_query_count");
    REQUIRE(queries.size() == 1);
    CHECK(std::stoll(totals.at(queries[0], "value")) >= 3);
}

TEST_CASE("admin console: SHOW DATABASES shows a PAUSE before the database's first client", "[admin]") {
    SluiceProcess sluice(pool_of(2));
    Connection console = admin_connect(sluice);
    CHECK(command_outcome(console, "PAUSE app") == "ok");
    const AdminTable databases = admin_show(console, "SHOW DATABASES");
    const auto app = databases.where("name", "app");
    const auto app2 = databases.where("name", "app2");
    REQUIRE(app.size() == 1);
    REQUIRE(app2.size() == 1);
    CHECK(databases.at(app[0], "paused") == "1");
    CHECK(databases.at(app2[0], "paused") == "0");
    CHECK(command_outcome(console, "RESUME app") == "ok");
}

TEST_CASE("admin console: PAUSE closes the backends once their transactions end, as in PgBouncer", "[admin]") {
    SluiceProcess sluice(pool_of(2));
    Connection client = connect(sluice.conninfo("app", "app", "app"));
    CHECK(query_value(client, "select 1") == "1");
    Connection console = admin_connect(sluice);
    const auto app_servers = [&] { return admin_show(console, "SHOW SERVERS").where("database", "app").size(); };
    REQUIRE(eventually([&] { return app_servers() == 1; }, 5s));
    CHECK(command_outcome(console, "PAUSE app") == "ok");
    // Nothing of Sluice's stays on the database: it can be restarted or renamed now.
    CHECK(eventually([&] { return app_servers() == 0; }, 5s));
    CHECK_THAT(sluice.log(), Catch::Contains("reason=pause"));
    CHECK(command_outcome(console, "RESUME app") == "ok");
    CHECK(query_value(client, "select 2") == "2");
}

TEST_CASE("admin console: RECONNECT replaces the backends", "[admin]") {
    SluiceProcess sluice(pool_of(1));
    Connection app = connect(sluice.conninfo("app", "app"));
    const std::string first_pid = query_value(app, "select pg_backend_pid()");
    Connection console = admin_connect(sluice);
    // The client has its answer a moment before its backend is back in the pool; a query sent
    // in that moment would still run on it. Wait until it is idle, so RECONNECT must replace it.
    REQUIRE(eventually([&] {
        const AdminTable servers = admin_show(console, "SHOW SERVERS");
        const auto rows = servers.where("remote_pid", first_pid);
        return rows.size() == 1 && servers.at(rows.front(), "state") == "idle";
    }, 5s));

    CHECK(command_outcome(console, "RECONNECT app") == "ok");
    const std::string second_pid = query_value(app, "select pg_backend_pid()");
    CHECK(second_pid != first_pid);
    CHECK(admin_show(console, "SHOW SERVERS").where("remote_pid", first_pid).empty());
    CHECK(command_outcome(console, "RECONNECT") == "ok");  // every database
}

TEST_CASE("admin console: SHUTDOWN answers, then the daemon drains and exits", "[admin]") {
    SluiceProcess sluice;
    Connection console = admin_connect(sluice);
    PgResult result = exec(console, "SHUTDOWN");
    CHECK(PQresultStatus(result.get()) == PGRES_COMMAND_OK);
    CHECK(eventually([&] { return !sluice.running(); }, 10s));
}

TEST_CASE("admin console: a removed database's backend held by a client stays in SHOW SERVERS until it closes, "
          "and the database added back keeps its pool and counters",
          "[admin][reload]") {
    SluiceOptions options = pool_of(2);
    SluiceProcess sluice(options);
    Connection holder = connect(sluice.conninfo("app", "app", "app2"));
    CHECK(query_value(holder, "select 1") == "1");
    exec_ok(holder, "begin");
    CHECK(query_value(holder, "select 2") == "2");
    Connection console = admin_connect(sluice);
    const auto app2_servers = [&] { return admin_show(console, "SHOW SERVERS").where("database", "app2").size(); };
    const auto app2_pools = [&] { return admin_show(console, "SHOW POOLS").where("database", "app2").size(); };
    REQUIRE(app2_servers() == 1);

    SluiceOptions without = options;
    without.databases = {"app"};
    sluice.write_config(sluice_config(sluice.port(), without));
    CHECK(command_outcome(console, "RELOAD") == "ok");
    // Still open on PostgreSQL, so still listed: every backend open is accounted for.
    CHECK(app2_servers() == 1);
    CHECK(app2_pools() == 1);
    CHECK(postgres().count_backends("app", "app2") == 1);

    SECTION("the client finishes: its backend closes and the pool goes") {
        exec_ok(holder, "commit");
        CHECK(eventually([&] { return app2_servers() == 0 && app2_pools() == 0; }));
        CHECK(eventually([] { return postgres().count_backends("app", "app2") == 0; }));
    }
    SECTION("the database comes back while the backend is held: the same pool, its counters kept") {
        const AdminTable before = admin_show(console, "SHOW STATS");
        const auto row = before.where("database", "app2");
        REQUIRE(row.size() == 1);
        const long long queries_before = std::stoll(before.at(row[0], "total_query_count"));
        sluice.write_config(sluice_config(sluice.port(), options));
        CHECK(command_outcome(console, "RELOAD") == "ok");
        CHECK(app2_pools() == 1);
        exec_ok(holder, "commit");
        Connection next = connect(sluice.conninfo("app", "app", "app2"));
        CHECK(query_value(next, "select 3") == "3");
        CHECK(eventually([&] {
            const AdminTable after = admin_show(console, "SHOW STATS");
            const auto rows = after.where("database", "app2");
            return rows.size() == 1 && std::stoll(after.at(rows[0], "total_query_count")) > queries_before;
        }));
    }
}
