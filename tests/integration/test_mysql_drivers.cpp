// Two more MySQL client stacks through Sluice (issue 14): PyMySQL (Debian python3-pymysql) and
// node mysql2 (npm, tests/drivers/node). Each program checks a wrong password (1045) and an
// unknown database (1049) first, then its clients run queries with parameters and a committed
// and a rolled-back transaction per iteration, comparing every value (tests/drivers/README.md).
// Each runs straight against MariaDB first, which proves the program itself right.
#include <catch2/catch.hpp>

#include "support/drivers.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr int kClients = 10;
constexpr int kPoolSize = 2;
constexpr int kIterations = 10;
constexpr int kChecksPerIteration = 4;
constexpr int kDeadlineSeconds = 25;  // the program's own; it then names the stuck clients
constexpr auto kRunTimeout = std::chrono::seconds(kDeadlineSeconds + 10);

void run_direct_then_through_sluice(Driver driver, const std::string& mode) {
    const std::string missing = missing_driver(driver);
    if (!missing.empty()) FAIL(driver_name(driver) << " cannot run: " << missing);
    const auto argv = driver_command(driver, mode, kClients, kIterations, kDeadlineSeconds);
    const long expected = static_cast<long>(kClients) * kIterations * kChecksPerIteration;
    {
        CommandResult direct = run_my_driver(argv, mariadb().port(), 1044, kRunTimeout);
        INFO(driver_name(driver) << " " << mode << " straight against MariaDB:\n" << direct.output);
        REQUIRE_FALSE(direct.timed_out);
        REQUIRE(direct.exit_code == 0);
        REQUIRE(ok_count(direct.output).value_or(-1) == expected);
    }
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: " + std::to_string(kPoolSize) + "\n"});
    CommandResult through = run_my_driver(argv, sluice.mysql_port(), 1049, kRunTimeout);
    INFO(driver_name(driver) << " " << mode << " through Sluice (pool_size " << kPoolSize << ", " << kClients
                             << " clients):\n" << through.output);
    CHECK_FALSE(through.timed_out);
    CHECK(through.exit_code == 0);
    CHECK(ok_count(through.output).value_or(-1) == expected);
    // The clients really shared the pool (the direct run's connections are closed by now).
    CHECK(mariadb().count_connections("app") <= kPoolSize);
}

}  // namespace

TEST_CASE("mysql drivers: PyMySQL with parameters and transactions through a pool of 2", "[mysql_drivers][pymysql]") {
    run_direct_then_through_sluice(Driver::pymysql, "text");
}

TEST_CASE("mysql drivers: mysql2 query() through a pool of 2", "[mysql_drivers][mysql2]") {
    run_direct_then_through_sluice(Driver::mysql2, "query");
}

TEST_CASE("mysql drivers: mysql2 execute() (binary prepared statements) through a pool of 2",
          "[mysql_drivers][mysql2]") {
    run_direct_then_through_sluice(Driver::mysql2, "execute");
}
