// Fault injection on the server side: PostgreSQL restarted under load (fast and immediate
// shutdown), PostgreSQL down when Sluice starts, and a backend that never answers. Each case
// checks what the client sees (a clean error, never a hang) and that the pool recovers with
// no backend leaked: pg_stat_activity, read directly, must match Sluice's SHOW SERVERS.
#include <catch2/catch.hpp>

#include <algorithm>
#include <future>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "support/faults.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

// Slack on top of every configured limit: generous, because CI also runs the suite against
// sanitizer builds that are several times slower.
constexpr Ms kSlack{2500};

// What a busy client of a lost server may be told: Sluice's "server connection lost"
// (08006), PostgreSQL's own shutdown notice relayed as is (57P01), or, for a client that was
// still queued, that no new backend could be opened (08001).
const std::set<std::string> kServerGoneStates = {"08006", "57P01", "08001", "08003"};

std::string tally(const std::map<std::string, int>& outcomes) {
    std::string text;
    for (const auto& [outcome, count] : outcomes) text += outcome + " x" + std::to_string(count) + "; ";
    return text;
}

// Opens `count` backends in `user`'s pool (concurrent transactions), then lets them go idle.
void warm_idle_backends(const SluiceProcess& sluice, const std::string& user, int count) {
    std::vector<Connection> holders;
    for (int i = 0; i < count; ++i) {
        holders.push_back(connect(sluice.conninfo(user, user)));
        exec_ok(holders.back(), "begin");
        exec_ok(holders.back(), "select 1");
    }
    for (auto& holder : holders) exec_ok(holder, "commit");
}

// Polls until a client logs in and runs `select 1`; how long that took, or nullopt.
std::optional<Ms> time_to_service(const SluiceProcess& sluice, Ms timeout) {
    auto started = Clock::now();
    while (since(started) < timeout) {
        if (serves(sluice, "app", "app", "app", Ms(3000))) return since(started);
        std::this_thread::sleep_for(Ms(100));
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("PostgreSQL restarted while 50 clients are busy: clean errors, then the pool recovers",
          "[faults][pg-restart]") {
    const std::string mode = GENERATE(as<std::string>{}, "fast", "immediate");
    INFO("shutdown mode: " << mode);
    PostgresRestarter restarter;
    constexpr int kClients = 50;
    constexpr int kPoolSize = 20;
    constexpr Ms kLoginRetry{2000};
    SluiceOptions options;
    options.defaults = "pool_size: " + std::to_string(kPoolSize) +
                       "\nserver_login_retry: 2s\nserver_connect_timeout: 2s\nquery_wait_timeout: 20s";
    SluiceProcess sluice(options);
    Connection console = admin_connect(sluice);
    // Another pool whose backends sit idle when the server goes: they die unused.
    warm_idle_backends(sluice, "alice", 3);
    REQUIRE(eventually([&] { return audit_backends(console, "alice", "app").postgres_pids.size() == 3; }));

    const std::string marker = "faults-restart-busy";
    std::vector<Connection> clients;
    for (int i = 0; i < kClients; ++i) clients.push_back(connect(sluice.conninfo("app", "app")));
    for (auto& client : clients) {
        REQUIRE(PQsendQuery(client, ("select pg_sleep(60) /* " + marker + " */").c_str()) == 1);
    }
    REQUIRE(eventually([&] { return active_queries(marker) == kPoolSize; }));

    const auto stopping = Clock::now();
    postgres().stop(mode);
    const Ms stop_took = since(stopping);
    INFO("PostgreSQL took " << stop_took.count() << " ms to stop");

    // Every busy or queued client hears about it, promptly and cleanly.
    std::map<std::string, int> outcomes;
    Ms slowest{0};
    const auto deadline = Clock::now() + kLoginRetry + Ms(8000);
    for (auto& client : clients) {
        try {
            auto left = std::max(Ms(1), std::chrono::duration_cast<Ms>(deadline - Clock::now()));
            PgResult result = wait_for_result(client, left);
            std::string state = sqlstate(result.get());
            bool clean = PQresultStatus(result.get()) == PGRES_FATAL_ERROR && kServerGoneStates.count(state) == 1;
            ++outcomes[clean ? state : "unexpected: " + describe(result.get())];
        } catch (const PgTimeout&) {
            ++outcomes["hang"];
        }
        slowest = std::max(slowest, since(stopping));
    }
    INFO("outcomes: " << tally(outcomes) << " slowest " << slowest.count() << " ms");
    int clean = 0;
    for (const auto& state : kServerGoneStates) clean += outcomes.count(state) ? outcomes[state] : 0;
    CHECK(clean == kClients);
    CHECK(slowest < stop_took + kLoginRetry + kSlack);

    // Back up: new work succeeds within server_login_retry plus a little.
    postgres().start();
    auto recovered = time_to_service(sluice, kLoginRetry + Ms(8000));
    REQUIRE(recovered.has_value());
    INFO("served again " << recovered->count() << " ms after PostgreSQL accepted logins");
    CHECK(*recovered < kLoginRetry + kSlack);
    for (int i = 0; i < 10; ++i) CHECK(serves(sluice, "app", "app"));

    // No backend leaked, none forgotten: Sluice's view matches PostgreSQL's, in both pools.
    BackendAudit app = settled_audit(console, "app", "app");
    INFO("app pool: " << app.describe());
    CHECK(app.consistent());
    CHECK(app.postgres_pids.size() <= static_cast<std::size_t>(kPoolSize));
    BackendAudit alice = settled_audit(console, "alice", "app");
    INFO("alice pool (idle when the server went): " << alice.describe());
    CHECK(alice.consistent());
    // And nothing else on the database: every backend there belongs to one of the two pools.
    CHECK(postgres().count_client_backends("app") ==
          static_cast<int>(app.postgres_pids.size() + alice.postgres_pids.size()));
    CHECK(serves(sluice, "alice", "alice"));
    CHECK(sluice.running());
}

TEST_CASE("PostgreSQL down when Sluice starts: 08001 at once, service once it is up", "[faults][pg-down]") {
    PostgresRestarter restarter;
    constexpr Ms kConnectTimeout{1000};
    constexpr Ms kLoginRetry{1000};
    SluiceOptions options;
    options.auth_type = "trust";
    options.defaults = "pool_size: 5\nserver_connect_timeout: 1s\nserver_login_retry: 1s\nquery_wait_timeout: 10s";
    postgres().stop("fast");
    SluiceProcess sluice(options);

    // One at a time, then ten at once: each is refused with 08001, never held.
    for (int round = 0; round < 3; ++round) {
        auto started = Clock::now();
        auto error = raw_login_error(sluice.port(), "app", "app");
        INFO("round " << round << ": [" << error['C'] << "] " << error['M'] << " after " << since(started).count() << " ms");
        CHECK(error['C'] == "08001");
        CHECK_THAT(error['M'], Catch::StartsWith("could not connect to server") || Catch::StartsWith("server login failed"));
        CHECK(since(started) < kConnectTimeout + kSlack);
    }
    std::vector<std::future<std::pair<std::map<char, std::string>, Ms>>> burst;
    for (int i = 0; i < 10; ++i) {
        burst.push_back(std::async(std::launch::async, [&] {
            auto started = Clock::now();
            auto error = raw_login_error(sluice.port(), "app", "app");
            return std::make_pair(error, since(started));
        }));
    }
    for (auto& client : burst) {
        auto [error, took] = client.get();
        INFO("[" << error['C'] << "] " << error['M'] << " after " << took.count() << " ms");
        CHECK(error['C'] == "08001");
        CHECK(took < kConnectTimeout + kSlack);
    }

    postgres().start();
    auto recovered = time_to_service(sluice, kLoginRetry + Ms(8000));
    REQUIRE(recovered.has_value());
    INFO("served " << recovered->count() << " ms after PostgreSQL accepted logins");
    CHECK(*recovered < kLoginRetry + kSlack);
    for (int i = 0; i < 5; ++i) CHECK(raw_login_error(sluice.port(), "app", "app").empty());

    Connection console = admin_connect(sluice);
    BackendAudit audit = settled_audit(console, "app", "app");
    INFO(audit.describe());
    CHECK(audit.consistent());
    CHECK(audit.postgres_pids.size() <= 5);
}

TEST_CASE("a backend that never answers gives 08001 at server_connect_timeout, and nobody else waits",
          "[faults][backend-silent]") {
    const std::string kind = GENERATE(as<std::string>{}, "silent", "blackhole");
    INFO("backend: " << kind);
    constexpr Ms kConnectTimeout{1000};
    DeadListener dead(kind == "blackhole");
    if (kind == "blackhole") REQUIRE(dead.full());
    SluiceOptions options;
    options.auth_type = "trust";
    options.defaults = "pool_size: 3\nserver_connect_timeout: 1s\nserver_login_retry: 3s\nquery_wait_timeout: 10s";
    options.extra_databases = "dead:\n  host: 127.0.0.1\n  port: " + std::to_string(dead.port()) + "\n  dbname: app";
    SluiceProcess sluice(options);
    REQUIRE(raw_login_error(sluice.port(), "app", "app").empty());  // the good pool is warm
    const int fds_before = sluice.open_fds();

    // More clients than pool_size at once: three wait on connects, the others queue behind them.
    std::vector<std::future<std::pair<std::map<char, std::string>, Ms>>> stuck;
    for (int i = 0; i < 6; ++i) {
        stuck.push_back(std::async(std::launch::async, [&] {
            auto started = Clock::now();
            auto error = raw_login_error(sluice.port(), "app", "dead", Ms(15000));
            return std::make_pair(error, since(started));
        }));
    }
    // Meanwhile the healthy database answers at once.
    std::this_thread::sleep_for(Ms(200));
    auto started = Clock::now();
    Connection bystander = connect(sluice.conninfo("app", ""));
    CHECK(query_value(bystander, "select 'unaffected'") == "unaffected");
    CHECK(since(started) < Ms(1000));

    for (auto& client : stuck) {
        auto [error, took] = client.get();
        INFO("[" << error['C'] << "] " << error['M'] << " after " << took.count() << " ms");
        CHECK(error['C'] == "08001");
        CHECK_THAT(error['M'], Catch::StartsWith("could not connect to server"));
        CHECK(took >= kConnectTimeout - Ms(300));
        CHECK(took < kConnectTimeout + kSlack);
    }
    // Within server_login_retry the next client is told at once.
    started = Clock::now();
    auto again = raw_login_error(sluice.port(), "app", "dead");
    CHECK(again['C'] == "08001");
    CHECK(since(started) < Ms(500));

    // Nothing left behind: no backend half-open in SHOW SERVERS, no socket still held.
    Connection console = admin_connect(sluice);
    PoolView view = pool_view(console, "dead", "app");
    CHECK(view.servers == 0);
    CHECK(view.sv_login == 0);
    bystander.close();
    int fds_after = 0;
    CHECK(eventually([&] { return (fds_after = sluice.open_fds()) <= fds_before + 1; }));  // + the console
    INFO("fds before " << fds_before << ", after " << fds_after);
    CHECK(sluice.running());
}
