// Mainstream drivers unchanged through a transaction pool of 2 shared by 10 clients (issue 12):
// drivers that create named server-side statements on their own (psycopg 3, asyncpg, pgjdbc,
// node-postgres, postgres.js, pgbench -M prepared). Each program compares every value it gets
// with the one it expects (tests/drivers/README.md); each runs straight against PostgreSQL first,
// which proves the program itself right, then through Sluice.
#include <catch2/catch.hpp>

#include "support/drivers.hpp"
#include "support/harness.hpp"
#include "support/pgbench.hpp"

using namespace sluice_it;

namespace {

constexpr int kClients = 10;
constexpr int kPoolSize = 2;
constexpr int kIterations = 20;
constexpr int kChecksPerIteration = 2;  // two compared values per transaction
constexpr int kDeadlineSeconds = 60;    // the program's own; it then names the stuck clients
constexpr auto kRunTimeout = std::chrono::seconds(kDeadlineSeconds + 30);  // then we kill it

SluiceOptions transaction_pool(const std::string& extra_defaults = "") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(kPoolSize) + "\n" + extra_defaults;
    return options;
}

// Skipping is not passing: a driver that is not installed fails the test, saying what installs it.
void require_driver(Driver driver) {
    const std::string missing = missing_driver(driver);
    if (!missing.empty()) FAIL(driver_name(driver) << " cannot run: " << missing);
}

// Runs the driver's program with kClients clients straight against PostgreSQL (must pass), then
// through a transaction pool of kPoolSize (the point of the test).
void run_direct_then_through_sluice(Driver driver, const std::string& mode, int iterations = kIterations,
                                    const std::string& extra_defaults = "") {
    require_driver(driver);
    const auto argv = driver_command(driver, mode, kClients, iterations, kDeadlineSeconds);
    const long expected = static_cast<long>(kClients) * iterations * kChecksPerIteration;
    {
        CommandResult direct = run_driver(argv, postgres().port(), kRunTimeout);
        INFO(driver_name(driver) << " " << mode << " straight against PostgreSQL:\n" << direct.output);
        REQUIRE_FALSE(direct.timed_out);
        REQUIRE(direct.exit_code == 0);
        REQUIRE(ok_count(direct.output).value_or(-1) == expected);
    }
    SluiceProcess sluice(transaction_pool(extra_defaults));
    CommandResult through = run_driver(argv, sluice.port(), kRunTimeout);
    INFO(driver_name(driver) << " " << mode << " through Sluice (transaction mode, pool_size " << kPoolSize
                             << ", " << kClients << " clients):\n" << through.output);
    CHECK_FALSE(through.timed_out);
    CHECK(through.exit_code == 0);
    CHECK(ok_count(through.output).value_or(-1) == expected);
    // The clients really shared the pool.
    CHECK(postgres().count_backends("app", "app") <= kPoolSize);
}

}  // namespace

TEST_CASE("drivers: psycopg 3 with prepare_threshold=0 through a transaction pool", "[drivers][psycopg]") {
    run_direct_then_through_sluice(Driver::psycopg, "threshold0");
}

TEST_CASE("drivers: psycopg 3 with its default prepare_threshold through a transaction pool", "[drivers][psycopg]") {
    run_direct_then_through_sluice(Driver::psycopg, "default");
}

TEST_CASE("drivers: asyncpg with its statement cache through a transaction pool", "[drivers][asyncpg]") {
    run_direct_then_through_sluice(Driver::asyncpg, "cache");
}

TEST_CASE("drivers: asyncpg copy_records_to_table through a transaction pool", "[drivers][asyncpg][copy]") {
    run_direct_then_through_sluice(Driver::asyncpg, "copy");
}

TEST_CASE("drivers: pgjdbc runs a PreparedStatement 10 times per client through a transaction pool",
          "[drivers][pgjdbc]") {
    // prepareThreshold 5: runs 1-4 unnamed, from the 5th on the named server statement S_n.
    run_direct_then_through_sluice(Driver::pgjdbc, "prepared", 10);
}

TEST_CASE("drivers: node-postgres named queries through a transaction pool", "[drivers][node-postgres]") {
    run_direct_then_through_sluice(Driver::node_postgres, "named");
}

TEST_CASE("drivers: postgres.js with prepare true through a transaction pool", "[drivers][postgres.js]") {
    run_direct_then_through_sluice(Driver::postgres_js, "prepare");
}

TEST_CASE("drivers: psycopg 3 with max_prepared_statements 3 evicting all the time", "[drivers][psycopg][eviction]") {
    // 10 clients with a statement text each, plus one shared text, over a per-backend LRU of 3:
    // statements are closed and prepared again on nearly every use, and values must not suffer.
    run_direct_then_through_sluice(Driver::psycopg, "threshold0", kIterations, "max_prepared_statements: 3");
}

TEST_CASE("drivers: pgbench -M prepared through a transaction pool has no failed transactions",
          "[drivers][pgbench]") {
    initialize_pgbench_tables_directly();
    SluiceProcess sluice(transaction_pool());
    // As written, one thread for all 20 clients: pgbench prepares each statement the first time
    // it runs with a blocking PQprepare, while that thread's other clients hold every backend
    // inside BEGIN..END. Sluice answers such a Parse without a backend when none is free; were it
    // sent to one, the run would stop until query_wait_timeout.
    CommandResult run = run_command(pgbench_command(sluice, {"-M", "prepared", "-c", "20", "-T", "5"}),
                                    client_env(), std::chrono::seconds(90));
    INFO("pgbench -M prepared -c 20 -T 5 through Sluice (pool_size " << kPoolSize << "):\n" << run.output);
    CHECK_FALSE(run.timed_out);
    CHECK(run.exit_code == 0);
    CHECK(failed_transactions(run.output) == 0);
    CHECK(processed_transactions(run.output) > 0);
    CHECK(postgres().count_backends("app", "app") <= kPoolSize);
}
