// MariaDB Connector/J (Debian libmariadb-java) through Sluice's MySQL listener in transaction
// mode (issue 14): server-side prepared statements (useServerPrepStmts=true) over a pool smaller
// than the client count, transactions, executeBatch with generated keys, and setQueryTimeout /
// cancel(), which the driver carries out with KILL QUERY <the handshake's connection id> on a
// new connection: it must end that client's query only, never the one another client runs on the
// same pool. The program compares every value it gets (tests/drivers/java/MariadbClients.java);
// each mode runs straight against MariaDB first, which proves the program itself right.
#include <catch2/catch.hpp>

#include "support/drivers.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr int kClients = 10;
constexpr int kPoolSize = 2;
constexpr int kIterations = 10;
constexpr int kDeadlineSeconds = 25;  // the program's own; it then names the stuck clients
constexpr auto kRunTimeout = std::chrono::seconds(kDeadlineSeconds + 10);

struct Scenario {
    std::string mode;
    int clients = kClients;
    int iterations = kIterations;
    int checks_per_iteration = 0;
};

// Runs the scenario straight against MariaDB (must pass), then through a transaction pool of
// kPoolSize; returns Sluice's log.
std::string run_direct_then_through_sluice(const Scenario& scenario) {
    const std::string missing = missing_driver(Driver::connector_j);
    if (!missing.empty()) FAIL("MariaDB Connector/J cannot run: " << missing);
    const auto argv = driver_command(Driver::connector_j, scenario.mode, scenario.clients, scenario.iterations,
                                     kDeadlineSeconds);
    const long expected = static_cast<long>(scenario.clients) * scenario.iterations * scenario.checks_per_iteration;
    {
        CommandResult direct = run_my_driver(argv, mariadb().port(), 1044, kRunTimeout);
        INFO("Connector/J " << scenario.mode << " straight against MariaDB:\n" << direct.output);
        REQUIRE_FALSE(direct.timed_out);
        REQUIRE(direct.exit_code == 0);
        REQUIRE(ok_count(direct.output).value_or(-1) == expected);
    }
    MySluice sluice(MySluiceOptions{.defaults = "pool_mode: transaction\npool_size: " + std::to_string(kPoolSize) + "\n"});
    CommandResult through = run_my_driver(argv, sluice.mysql_port(), 1049, kRunTimeout);
    INFO("Connector/J " << scenario.mode << " through Sluice (transaction mode, pool_size " << kPoolSize << ", "
                        << scenario.clients << " clients):\n" << through.output << "\nSluice log:\n"
                        << sluice.process().log());
    CHECK_FALSE(through.timed_out);
    CHECK(through.exit_code == 0);
    CHECK(ok_count(through.output).value_or(-1) == expected);
    // The clients really shared the pool (the direct run's connections are closed by now).
    CHECK(mariadb().count_connections("app") <= kPoolSize);
    return sluice.process().log();
}

}  // namespace

TEST_CASE("mysql drivers: Connector/J server-prepared statements from 10 clients through a transaction pool of 2",
          "[mysql_drivers][connector_j]") {
    run_direct_then_through_sluice({.mode = "prepared", .checks_per_iteration = 3});
}

TEST_CASE("mysql drivers: Connector/J commit and rollback through a transaction pool of 2",
          "[mysql_drivers][connector_j]") {
    run_direct_then_through_sluice({.mode = "transactions", .checks_per_iteration = 2});
}

TEST_CASE("mysql drivers: Connector/J executeBatch with generated keys through a transaction pool of 2",
          "[mysql_drivers][connector_j]") {
    run_direct_then_through_sluice({.mode = "batch", .checks_per_iteration = 3});
}

// One victim and one bystander, each on a backend of the pool of 2: the victim's SLEEP(10) is
// ended by setQueryTimeout(1) twice (server-prepared: the driver's KILL QUERY; text: MariaDB's
// max_statement_time) and by cancel() from another thread (KILL QUERY), each after about the
// time asked; the bystander's SLEEP(4) runs its full time and returns 0; the victim goes on.
TEST_CASE("mysql drivers: Connector/J setQueryTimeout and Statement.cancel() end their own query only",
          "[mysql_drivers][connector_j][mysql-kill]") {
    const std::string log = run_direct_then_through_sluice({.mode = "interrupt", .clients = 1, .iterations = 1,
                                                            .checks_per_iteration = 5});
    // The server-prepared timeout and cancel() came as the driver's own KILL QUERY, routed by Sluice.
    std::size_t kills = 0;
    for (auto at = log.find("user=app: KILL QUERY"); at != std::string::npos; at = log.find("user=app: KILL QUERY", at + 1)) {
        ++kills;
    }
    CHECK(kills == 2);
}
