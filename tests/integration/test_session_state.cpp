// Session state in transaction mode (issue 12). A client's session-level SETs (search_path,
// statement_timeout, TimeZone, a custom GUC, SET ROLE) follow it to every backend it gets and
// are never seen by another client. State that cannot move (LISTEN, a temporary table) pins the
// client to its backend with `session_state: pin`, the default, shown in SHOW CLIENTS and
// /metrics; with `session_state: error` it is refused with 0A000.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr int kPoolSize = 2;
constexpr int kOtherClients = 10;
constexpr int kRounds = 4;
const std::string kTenantRole = "sluice_it_tenant";

SluiceOptions transaction_pool(const std::string& extra_defaults = "") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(kPoolSize) + "\n" + extra_defaults;
    return options;
}

// What a client sees of the settings issue 12 names, read in one statement (so on one backend).
struct SessionView {
    std::string settings;  // "search_path=...; statement_timeout=...; ..." for readable comparisons
    std::string backend_pid;
};

SessionView view(PGconn* conn) {
    PgResult result = exec(conn,
                           "select 'search_path=' || current_setting('search_path')"
                           " || '; statement_timeout=' || current_setting('statement_timeout')"
                           " || '; TimeZone=' || current_setting('TimeZone')"
                           " || '; myapp.tenant=' || coalesce(current_setting('myapp.tenant', true), '')"
                           " || '; current_user=' || current_user, pg_backend_pid()::text");
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) throw PgError(sqlstate(result.get()), describe(result.get()));
    return {PQgetvalue(result.get(), 0, 0), PQgetvalue(result.get(), 0, 1)};
}

// The role the first client SETs; app may become it.
void create_tenant_role() {
    postgres().execute("do $$ begin create role " + kTenantRole +
                       " nologin; exception when duplicate_object then null; end $$");
    postgres().execute("grant " + kTenantRole + " to app");
}

// Reads view(client) while its last backend is held by an open transaction, so that in a pool
// of 2 it must run on another one: holder_a takes a backend; if that is not the client's last,
// holder_b takes the remaining one and holder_a lets go of its own, the only one then free.
// Holders must see `defaults`.
SessionView view_elsewhere(PGconn* client, const std::string& last_pid, PGconn* holder_a, PGconn* holder_b,
                           const std::string& defaults) {
    exec_ok(holder_a, "begin");
    const SessionView a = view(holder_a);
    CHECK(a.settings == defaults);
    PGconn* holding = holder_a;
    if (a.backend_pid != last_pid) {  // holder_a took the other backend: take the last one, free holder_a's
        exec_ok(holder_b, "begin");
        CHECK(view(holder_b).settings == defaults);
        exec_ok(holder_a, "commit");
        holding = holder_b;
    }
    SessionView result = view(client);
    exec_ok(holding, "commit");
    return result;
}

// Every client runs one transaction at once, long enough (50 ms) that all backends of the pool
// are in use; returns what each saw, or the error it got (Catch assertions are not thread-safe,
// so the caller checks).
std::vector<SessionView> concurrent_views(std::vector<Connection>& clients) {
    std::vector<SessionView> views(clients.size());
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        threads.emplace_back([&, i] {
            try {
                exec_ok(clients[i], "begin");
                views[i] = view(clients[i]);
                exec_ok(clients[i], "select pg_sleep(0.05)");
                exec_ok(clients[i], "commit");
            } catch (const std::exception& error) {
                views[i].settings = std::string("error: ") + error.what();
            }
        });
    }
    for (auto& thread : threads) thread.join();
    return views;
}

std::vector<Connection> connect_clients(const SluiceProcess& sluice, int count, const std::string& name) {
    std::vector<Connection> clients;
    for (int i = 0; i < count; ++i) {
        clients.push_back(connect(sluice.conninfo("app", "app", "app", "application_name=" + name + std::to_string(i))));
    }
    return clients;
}

}  // namespace

TEST_CASE("session settings: one client's SETs follow it across backends and no other client sees them",
          "[session_settings]") {
    create_tenant_role();
    std::string defaults;
    {
        Connection direct = connect(postgres().direct_conninfo("app", "app", "app"));
        defaults = view(direct).settings;
    }
    SluiceProcess sluice(transaction_pool());
    Connection setter = connect(sluice.conninfo("app", "app", "app", "application_name=setter"));
    Connection holder_a = connect(sluice.conninfo("app", "app", "app", "application_name=holder_a"));
    Connection holder_b = connect(sluice.conninfo("app", "app", "app", "application_name=holder_b"));
    std::vector<Connection> others = connect_clients(sluice, kOtherClients, "other");

    // Each SET is a transaction of its own: in transaction mode each may land on another backend.
    for (const char* sql : {"set search_path = tenant_x, public", "set statement_timeout = '4711ms'",
                            "set TimeZone = 'Pacific/Chatham'", "set myapp.tenant = 'x'", "set role sluice_it_tenant"}) {
        exec_ok(setter, sql);
    }
    const std::string own =
        "search_path=tenant_x, public; statement_timeout=4711ms; TimeZone=Pacific/Chatham; myapp.tenant=x; "
        "current_user=" + kTenantRole;
    REQUIRE(own != defaults);
    SessionView seen = view(setter);
    CHECK(seen.settings == own);

    std::set<std::string> setter_pids = {seen.backend_pid};
    std::set<std::string> others_pids;
    for (int round = 0; round < kRounds; ++round) {
        INFO("round " << round);
        // One check a round: how many of the others saw anything but the defaults, and what.
        std::set<std::string> leaked;
        for (const SessionView& other : concurrent_views(others)) {
            if (other.settings != defaults) leaked.insert(other.settings);
            others_pids.insert(other.backend_pid);
        }
        INFO("the defaults: " << defaults);
        CHECK(leaked == std::set<std::string>{});
        const std::string last_pid = seen.backend_pid;
        seen = view_elsewhere(setter, last_pid, holder_a, holder_b, defaults);
        CHECK(seen.settings == own);
        CHECK(seen.backend_pid != last_pid);  // the setter did change backends
        setter_pids.insert(seen.backend_pid);
    }
    // The other clients ran on the very backends the setter's values were set on (Sluice brings a
    // backend back to each client's settings rather than closing it).
    CHECK(setter_pids.size() >= 2);
    for (const auto& pid : setter_pids) CHECK(others_pids.count(pid) == 1);
    CHECK(postgres().count_backends("app", "app") <= kPoolSize);

    // RESET ALL and RESET ROLE bring the setter back to the defaults, on every backend.
    exec_ok(setter, "reset all");
    exec_ok(setter, "reset role");
    seen = view_elsewhere(setter, seen.backend_pid, holder_a, holder_b, defaults);
    CHECK(seen.settings == defaults);
    seen = view_elsewhere(setter, seen.backend_pid, holder_a, holder_b, defaults);
    CHECK(seen.settings == defaults);
}

namespace {

// Each client runs a few one-statement transactions; returns the backends they ran on.
std::set<std::string> busy_round(std::vector<Connection>& clients) {
    std::set<std::string> pids;
    for (auto& client : clients) {
        for (int i = 0; i < 3; ++i) pids.insert(query_value(client, "select pg_backend_pid()::text"));
    }
    return pids;
}

// The sum of the `sluice_clients_pinned` series whose reason label contains `reason_part`
// (0 when there is none).
double pinned_gauge(const std::string& exposition, const std::string& reason_part) {
    static const std::regex series(R"(^sluice_clients_pinned\{([^}]*)\} ([0-9.eE+-]+)$)");
    static const std::regex reason(R"re(reason="([^"]*)")re");
    double sum = 0;
    std::istringstream lines(exposition);
    std::smatch match;
    std::smatch label;
    for (std::string line; std::getline(lines, line);) {
        if (!std::regex_match(line, match, series)) continue;
        const std::string labels = match[1];
        if (std::regex_search(labels, label, reason) && label[1].str().find(reason_part) != std::string::npos) {
            sum += std::stod(match[2]);
        }
    }
    return sum;
}

// The `pinned` column of SHOW CLIENTS for the client with this application_name.
std::string pinned_reason(PGconn* console, const std::string& application_name) {
    const AdminTable clients = admin_show(console, "SHOW CLIENTS");
    if (clients.index("pinned") < 0) return "(SHOW CLIENTS has no column pinned)";
    const auto rows = clients.where("application_name", application_name);
    if (rows.size() != 1) return "(" + std::to_string(rows.size()) + " clients named " + application_name + ")";
    return clients.at(rows[0], "pinned");
}

bool unpinned(const std::string& reason) { return reason.empty() || reason == "NULL" || reason == "none"; }

}  // namespace

TEST_CASE("session_state pin: LISTEN keeps its backend and receives NOTIFY across transactions", "[session_pin]") {
    SluiceProcess sluice(transaction_pool());  // session_state not set: pin is the default
    Connection listener = connect(sluice.conninfo("app", "app", "app", "application_name=listener"));
    std::vector<Connection> others = connect_clients(sluice, 4, "other");
    Connection notifier = connect(postgres().direct_conninfo("app", "app", "app"));  // straight to PostgreSQL
    const std::string notifier_pid = query_value(notifier, "select pg_backend_pid()");

    exec_ok(listener, "listen sluice_it_channel");
    const std::string pinned_pid = query_value(listener, "select pg_backend_pid()");
    for (int i = 0; i < 5; ++i) {
        INFO("transaction " << i);
        // The others share the rest of the pool, never the listener's backend.
        CHECK(busy_round(others).count(pinned_pid) == 0);
        exec_ok(listener, "begin");
        CHECK(query_value(listener, "select pg_backend_pid()") == pinned_pid);
        CHECK(query_value(listener, "select count(*) from pg_listening_channels()") == "1");
        exec_ok(listener, "commit");

        const std::string payload = "n" + std::to_string(i);
        exec_ok(notifier, "notify sluice_it_channel, '" + payload + "'");
        const auto notes = wait_for_notifications(listener, 5s);
        REQUIRE(notes.size() == 1);
        CHECK(notes[0].channel == "sluice_it_channel");
        CHECK(notes[0].payload == payload);
        CHECK(std::to_string(notes[0].sender_pid) == notifier_pid);
    }
}

TEST_CASE("session_state pin: a temporary table lives across transactions and stays private", "[session_pin]") {
    SluiceProcess sluice(transaction_pool());
    Connection owner = connect(sluice.conninfo("app", "app", "app", "application_name=temp_owner"));
    std::vector<Connection> others = connect_clients(sluice, 4, "other");

    exec_ok(owner, "create temp table sluice_it_scratch(x int)");
    const std::string pinned_pid = query_value(owner, "select pg_backend_pid()");
    for (int i = 1; i <= 5; ++i) {
        INFO("transaction " << i);
        CHECK(busy_round(others).count(pinned_pid) == 0);
        int seeing_it = 0;  // others that can see the owner's temporary table
        for (auto& other : others) {
            seeing_it += query_optional(other, "select to_regclass('sluice_it_scratch')::text").has_value() ? 1 : 0;
        }
        CHECK(seeing_it == 0);
        exec_ok(owner, "begin");
        exec_ok(owner, "insert into sluice_it_scratch values (" + std::to_string(i) + ")");
        exec_ok(owner, "commit");
    }
    CHECK(query_value(owner, "select count(*) || ' rows, sum ' || sum(x) from sluice_it_scratch") == "5 rows, sum 15");
    CHECK(query_value(owner, "select pg_backend_pid()") == pinned_pid);
}

TEST_CASE("session_state pin: pinned clients show in SHOW CLIENTS, /metrics and the log until unpinned",
          "[session_pin]") {
    const int metrics_port = pick_free_port();
    SluiceProcess sluice([&](int port) { return with_metrics_listener(sluice_config(port, transaction_pool()), metrics_port); });
    REQUIRE(wait_for_metrics(metrics_port));
    Connection listener = connect(sluice.conninfo("app", "app", "app", "application_name=it_listener"));
    Connection temp_owner = connect(sluice.conninfo("app", "app", "app", "application_name=it_temp_owner"));
    Connection plain = connect(sluice.conninfo("app", "app", "app", "application_name=it_plain"));
    exec_ok(listener, "listen sluice_it_channel");
    // Before the second pin: two pinned clients hold both backends of the pool of 2, as two
    // session-mode clients would, and a third one would wait for query_wait_timeout.
    CHECK(query_value(plain, "select 1") == "1");
    exec_ok(temp_owner, "create temp table sluice_it_pinned(x int)");
    Connection console = admin_connect(sluice);

    // The reason names what pins: LISTEN, a temporary table; a client with neither is not pinned.
    const std::string listen_reason = pinned_reason(console, "it_listener");
    const std::string temp_reason = pinned_reason(console, "it_temp_owner");
    const std::string plain_reason = pinned_reason(console, "it_plain");
    CHECK_THAT(listen_reason, Catch::Contains("listen", Catch::CaseSensitive::No));
    CHECK_THAT(temp_reason, Catch::Contains("temp", Catch::CaseSensitive::No));
    CHECK(unpinned(plain_reason));
    const std::string exposition = http_get(metrics_port, "/metrics").body;
    INFO("sluice_clients_pinned lines of /metrics:\n" << [&] {
        std::string lines;
        std::istringstream in(exposition);
        for (std::string line; std::getline(in, line);) {
            if (line.find("sluice_clients_pinned") != std::string::npos) lines += line + "\n";
        }
        return lines;
    }());
    CHECK(pinned_gauge(exposition, "listen") == 1);
    CHECK(pinned_gauge(exposition, "temp") == 1);
    const bool logged = sluice.log().find("pinned") != std::string::npos;  // a line when a client becomes pinned
    CHECK(logged);

    // The pin ends with the state: UNLISTEN * unpins; a client that leaves takes its pin along.
    exec_ok(listener, "unlisten *");
    CHECK(query_value(listener, "select 1") == "1");
    temp_owner.close();
    CHECK(eventually([&] { return unpinned(pinned_reason(console, "it_listener")); }));
    CHECK(eventually([&] {
        const std::string now = http_get(metrics_port, "/metrics").body;
        return pinned_gauge(now, "listen") == 0 && pinned_gauge(now, "temp") == 0;
    }));
}

// Sequelize's findOrCreate creates a pg_temp function, calls it and drops it in one query; a
// temporary table dropped by name is gone too. Neither may keep the client pinned afterwards.
TEST_CASE("session_state pin: temporary objects dropped again unpin their client", "[session_pin]") {
    SluiceProcess sluice(transaction_pool("query_wait_timeout: 1s\n"));
    Connection owner = connect(sluice.conninfo("app", "app", "app", "application_name=temp_dropper"));
    Connection console = admin_connect(sluice);
    PgResult created = exec(owner,
                            "CREATE OR REPLACE FUNCTION pg_temp.testfunc(OUT response int) RETURNS int AS $func_1$ "
                            "BEGIN response := 42; END $func_1$ LANGUAGE plpgsql; "
                            "SELECT response FROM pg_temp.testfunc(); DROP FUNCTION IF EXISTS pg_temp.testfunc()");
    REQUIRE(PQresultStatus(created.get()) == PGRES_COMMAND_OK);
    CHECK(unpinned(pinned_reason(console, "temp_dropper")));

    exec_ok(owner, "create temp table sluice_it_dropped(x int)");
    CHECK_THAT(pinned_reason(console, "temp_dropper"), Catch::Contains("temp", Catch::CaseSensitive::No));
    exec_ok(owner, "insert into sluice_it_dropped values (1)");
    exec_ok(owner, "drop table sluice_it_dropped");
    CHECK(unpinned(pinned_reason(console, "temp_dropper")));
    // The log tells an operator both ends of the pin.
    CHECK(sluice.log().find("client pinned to its backend: user=app database=app reason=temporary_objects") !=
          std::string::npos);
    CHECK(eventually([&] { return sluice.log().find("client no longer pinned: user=app database=app") != std::string::npos; }));
    // Unpinned, it holds no backend between transactions: two other clients get both (a pinned
    // client's would be kept from them), and it waits for one like any other client.
    std::vector<Connection> holders = connect_clients(sluice, kPoolSize, "holder");
    for (auto& holder : holders) exec_ok(holder, "begin; select 1");
    PgResult waited = exec(owner, "select 1");
    CHECK(sqlstate(waited.get()) == "57014");
    for (auto& holder : holders) exec_ok(holder, "commit");
}

TEST_CASE("session_state pin: a statement that would unpin unpins when it runs, not when it is prepared",
          "[session_pin]") {
    SluiceProcess sluice(transaction_pool());
    Connection owner = connect(sluice.conninfo("app", "app", "app", "application_name=preparer"));
    Connection console = admin_connect(sluice);
    exec_ok(owner, "create temp table sluice_it_prepared_drop(x int)");
    exec_ok(owner, "select pg_advisory_lock(4242)");
    REQUIRE_FALSE(unpinned(pinned_reason(console, "preparer")));
    // What psycopg 3 and asyncpg send first: Parse (+ Describe) + Sync, nothing run yet.
    PgResult prepared_drop(PQprepare(owner.get(), "drop_it", "drop table sluice_it_prepared_drop", 0, nullptr));
    REQUIRE(PQresultStatus(prepared_drop.get()) == PGRES_COMMAND_OK);
    PgResult prepared_unlock(PQprepare(owner.get(), "unlock_all", "select pg_advisory_unlock_all()", 0, nullptr));
    REQUIRE(PQresultStatus(prepared_unlock.get()) == PGRES_COMMAND_OK);
    CHECK_FALSE(unpinned(pinned_reason(console, "preparer")));
    CHECK(query_value(owner, "select count(*) from pg_temp.sluice_it_prepared_drop") == "0");  // still its own
    // Run: now the state is gone, and so is the pin.
    PgResult dropped(PQexecPrepared(owner.get(), "drop_it", 0, nullptr, nullptr, nullptr, 0));
    REQUIRE(PQresultStatus(dropped.get()) == PGRES_COMMAND_OK);
    CHECK_FALSE(unpinned(pinned_reason(console, "preparer")));  // the lock is still held
    PgResult unlocked(PQexecPrepared(owner.get(), "unlock_all", 0, nullptr, nullptr, nullptr, 0));
    REQUIRE(PQresultStatus(unlocked.get()) == PGRES_TUPLES_OK);
    CHECK(eventually([&] { return unpinned(pinned_reason(console, "preparer")); }));
}

TEST_CASE("session_state error: LISTEN and a temporary table are refused with 0A000", "[session_pin][session_state_error]") {
    const std::string statement = GENERATE(as<std::string>{}, "listen sluice_it_channel",
                                           "create temp table sluice_it_refused(x int)");
    INFO(statement);
    SluiceProcess sluice(transaction_pool("session_state: error"));
    Connection client = connect(sluice.conninfo("app", "app", "app"));

    PgResult refused = exec(client, statement);
    INFO(describe(refused.get()));
    CHECK(sqlstate(refused.get()) == "0A000");
    const char* message = PQresultErrorField(refused.get(), PG_DIAG_MESSAGE_PRIMARY);
    CHECK_THAT(std::string(message ? message : ""), Catch::StartsWith("not supported in transaction pool mode"));
    // The refusal ends neither the session nor leaves the state behind on a backend.
    CHECK(query_value(client, "select count(*) from pg_listening_channels()") == "0");
    CHECK_FALSE(query_optional(client, "select to_regclass('sluice_it_refused')::text").has_value());
    CHECK(PQtransactionStatus(client) == PQTRANS_IDLE);
}
