// Real clients through Sluice: psql and pgbench (simple and extended protocol).
#include <catch2/catch.hpp>

#include "support/harness.hpp"
#include "support/pgbench.hpp"

using namespace sluice_it;

TEST_CASE("psql through sluice", "[pg][psql]") {
    SluiceProcess sluice;
    CommandResult result = run_command({postgres_tool("psql"), "-X", "-At", "-h", "127.0.0.1", "-p",
                                        std::to_string(sluice.port()), "-U", "app", "-d", "app",
                                        "-c", "select 42"},
                                       client_env(), 30s);
    INFO(result.output);
    CHECK(result.exit_code == 0);
    CHECK(result.output == "42\n");
}

TEST_CASE("pgbench -i through sluice", "[pg][pgbench]") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: 10";
    SluiceProcess sluice(options);
    CommandResult init = run_command(pgbench_command(sluice, {"-i", "-s", "1", "-q"}), client_env(), 120s);
    INFO(init.output);
    CHECK(init.exit_code == 0);
    CHECK(postgres().query("select count(*) from pgbench_accounts", "app") == "100000");
}

TEST_CASE("pgbench through a transaction pool has no failed transactions", "[pg][pgbench]") {
    initialize_pgbench_tables_directly();
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: 10";
    SluiceProcess sluice(options);
    std::string protocol = GENERATE(as<std::string>{}, "simple", "extended");  // prepared: test_drivers.cpp

    CommandResult run = run_command(pgbench_command(sluice, {"-c", "20", "-j", "2", "-T", "5", "-M", protocol}),
                                    client_env(), 90s);
    INFO("pgbench -M " << protocol << ":\n" << run.output);
    CHECK_FALSE(run.timed_out);
    CHECK(run.exit_code == 0);
    CHECK(failed_transactions(run.output) == 0);
    CHECK(processed_transactions(run.output) > 0);
    CHECK(postgres().count_backends("app", "app") <= 10);
}
