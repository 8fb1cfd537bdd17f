// The exporter people already run: Debian's prometheus-pgbouncer-exporter (the python one,
// 1.7), unmodified, against Sluice's admin console as a stats_users member. It reads SHOW
// STATS, SHOW POOLS, SHOW DATABASES and SHOW LISTS by column name, once as it starts (a
// missing column kills it there) and again at every scrape; its scrapes must follow the
// traffic through Sluice and its log must stay free of errors.
//
// Needs Debian's `prometheus-pgbouncer-exporter` package (scripts/install-deps.sh installs it).
// Without it this test fails.
#include <catch2/catch.hpp>

#include <csignal>
#include <iostream>
#include <regex>
#include <sstream>
#include <thread>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr int kPoolSize = 5;
constexpr int kReservePoolSize = 2;

// The exporter on 127.0.0.1:port, pointed at `sluice`'s console as the stats user `monitor`.
// It takes no password option: libpq reads PGPASSWORD, as on a real host (or ~/.pgpass).
class PgBouncerExporter {
public:
    explicit PgBouncerExporter(const SluiceProcess& sluice) : dir_("sluice-it-exporter") {
        const auto program = find_program("prometheus-pgbouncer-exporter");
        if (program.empty()) {
            FAIL("prometheus-pgbouncer-exporter is not installed: the [exporter] test needs Debian's "
                 "`prometheus-pgbouncer-exporter` package (apt-get install prometheus-pgbouncer-exporter)");
        }
        log_path_ = dir_.file("exporter.log");
        port_ = pick_free_port();
        process_ = ChildProcess(SpawnOptions{
            {program, "--host", "127.0.0.1", "--port", std::to_string(port_), "--pgbouncer-host", "127.0.0.1",
             "--pgbouncer-port", std::to_string(sluice.port()), "--pgbouncer-user", "monitor"},
            log_path_,
            {"PGPASSWORD=monitor", "PGCONNECT_TIMEOUT=10", "PYTHONUNBUFFERED=1"}});
    }
    PgBouncerExporter(const PgBouncerExporter&) = delete;
    PgBouncerExporter& operator=(const PgBouncerExporter&) = delete;
    ~PgBouncerExporter() {
        if (current_test_failed() || std::uncaught_exceptions() > 0) {
            std::cerr << "---- exporter log (" << log_path_ << ") ----\n"
                      << tail_of_file(log_path_) << "\n---- end of exporter log ----\n";
        }
        process_.stop(SIGTERM, 5s);
    }

    // True once its HTTP port answers; false at once if it died (a column it reads is missing).
    bool wait_until_serving(std::chrono::seconds timeout = 30s) {
        for (const auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
            if (!process_.running()) return false;
            if (wait_for_tcp(port_, 200ms)) return true;
        }
        return false;
    }

    bool running() { return process_.running(); }
    std::string log() const { return read_file(log_path_); }

    // One scrape of its /metrics; fails the test unless it answers 200.
    std::string scrape() {
        const auto response = http_get(port_, "/metrics", 20s);
        INFO("exporter log:\n" << log());
        REQUIRE(response.status == 200);
        return response.body;
    }

private:
    TempDir dir_;
    std::string log_path_;
    int port_ = 0;
    ChildProcess process_;
};

// A series of the scrape; fails the test if it is absent.
double series(const std::string& scrape, const std::string& name) {
    const auto value = exposition_value(scrape, name);
    INFO(name << " in:\n" << scrape);
    REQUIRE(value.has_value());
    return *value;
}

// What the exporter reports for database `app` from SHOW STATS.
struct StatsSeries {
    double requests = 0, received = 0, sent = 0, query_time_us = 0;
};

StatsSeries stats_of(const std::string& scrape) {
    return {series(scrape, R"(pgbouncer_requests_total{database="app"})"),
            series(scrape, R"(pgbouncer_received_bytes_total{database="app"})"),
            series(scrape, R"(pgbouncer_sent_bytes_total{database="app"})"),
            series(scrape, R"(pgbouncer_query_microseconds_total{database="app"})")};
}

// `count` queries through Sluice, each taking 10 ms, sending over 1000 bytes and reading
// back over 3000.
void run_queries(PGconn* client, int count) {
    const std::string echo(1000, 'y');
    for (int i = 0; i < count; ++i) {
        CHECK(query_value(client, "select repeat('x', 2000) || pg_sleep(0.01)::text, '" + echo + "'").size() == 2000);
    }
}

// Lines of the exporter's log that report a problem (python logs ERROR:..., tracebacks, 5xx).
std::vector<std::string> error_lines(const std::string& log) {
    static const std::regex problem(R"(error|traceback|exception|critical|" 5\d\d )", std::regex::icase);
    std::vector<std::string> found;
    std::istringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
        if (std::regex_search(line, problem)) found.push_back(line);
    }
    return found;
}

}  // namespace

TEST_CASE("Debian's prometheus-pgbouncer-exporter scrapes Sluice and follows its traffic", "[exporter]") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(kPoolSize) +
                       "\nreserve_pool_size: " + std::to_string(kReservePoolSize);
    SluiceProcess sluice(options);
    Connection client = connect(sluice.conninfo("app", "app"));
    run_queries(client, 5);  // the pool exists and has counted something before the exporter starts

    PgBouncerExporter exporter(sluice);
    {
        INFO("exporter log:\n" << exporter.log());
        REQUIRE(exporter.wait_until_serving());
    }

    const std::string first = exporter.scrape();
    const StatsSeries before = stats_of(first);
    CHECK(before.requests >= 5);
    CHECK(before.query_time_us > 0);

    constexpr int kQueries = 20;
    run_queries(client, kQueries);
    // The last query's counters reach the pool as its lease is released, just after the client
    // has its answer: scrape until they are in.
    std::string second;
    StatsSeries after;
    eventually([&] {
        second = exporter.scrape();
        after = stats_of(second);
        return after.requests >= before.requests + kQueries;
    });
    CHECK(after.requests == before.requests + kQueries);
    CHECK(after.received - before.received >= kQueries * 1000.0);
    CHECK(after.sent - before.sent >= kQueries * 3000.0);
    CHECK(after.query_time_us - before.query_time_us >= kQueries * 10'000.0);  // pg_sleep(0.01) each

    // SHOW POOLS: our client is logged in (cl_active counts it idle or not), nobody waits.
    CHECK(series(second, R"(pgbouncer_active_clients{database="app",user="app"})") >= 1);
    CHECK(series(second, R"(pgbouncer_waiting_clients{database="app",user="app"})") == 0);
    // SHOW DATABASES: pool_size, and reserve_pool under its pre-1.24 name.
    CHECK(series(second, R"(pgbouncer_pool_size{database="app"})") == kPoolSize);
    CHECK(series(second, R"(pgbouncer_reserve_pool{database="app"})") == kReservePoolSize);
    // SHOW LISTS.
    CHECK(series(second, "pgbouncer_databases") == 2);
    CHECK(series(second, "pgbouncer_used_clients") >= 2);  // our client and the exporter's console session

    CHECK(exporter.running());
    const auto log = exporter.log();
    INFO("exporter log:\n" << log);
    CHECK(error_lines(log).empty());
    CHECK(log.find("Listing on port 127.0.0.1:") != std::string::npos);  // its own log (scrapes log nothing)
}
