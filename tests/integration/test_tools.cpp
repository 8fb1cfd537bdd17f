// Real clients through Sluice: psql and pgbench (simple, extended and prepared protocol).
#include <catch2/catch.hpp>

#include <regex>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

std::string tool(const std::string& name) { return std::string(kPostgresBinDir) + "/" + name; }

// libpq settings for tools talking to Sluice as app/app.
std::vector<std::string> client_env() {
    return {"PGPASSWORD=app", "PGSSLMODE=disable", "PGGSSENCMODE=disable", "PGCONNECT_TIMEOUT=10"};
}

std::vector<std::string> pgbench(const SluiceProcess& sluice, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {tool("pgbench"), "-h", "127.0.0.1", "-p", std::to_string(sluice.port()),
                                     "-U", "app"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("app");
    return argv;
}

// pgbench's "number of failed transactions: N" (-1 if absent).
long failed_transactions(const std::string& output) {
    std::smatch match;
    if (std::regex_search(output, match, std::regex(R"(number of failed transactions: (\d+))"))) {
        return std::stol(match[1]);
    }
    return -1;
}

// pgbench's "number of transactions actually processed: N" (-1 if absent).
long processed_transactions(const std::string& output) {
    std::smatch match;
    if (std::regex_search(output, match, std::regex(R"(number of transactions actually processed: (\d+))"))) {
        return std::stol(match[1]);
    }
    return -1;
}

// pgbench -i run straight against PostgreSQL as app, so the tables belong to app.
void initialize_pgbench_tables_directly() {
    std::vector<std::string> argv = {tool("pgbench"), "-i", "-s", "1", "-q", "-h", "127.0.0.1",
                                     "-p", std::to_string(postgres().port()), "-U", "app", "app"};
    CommandResult init = run_command(argv, client_env(), 120s);
    INFO(init.output);
    REQUIRE(init.exit_code == 0);
}

}  // namespace

TEST_CASE("psql through sluice", "[pg][psql]") {
    SluiceProcess sluice;
    CommandResult result = run_command({tool("psql"), "-X", "-At", "-h", "127.0.0.1", "-p",
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
    CommandResult init = run_command(pgbench(sluice, {"-i", "-s", "1", "-q"}), client_env(), 120s);
    INFO(init.output);
    CHECK(init.exit_code == 0);
    CHECK(postgres().query("select count(*) from pgbench_accounts", "app") == "100000");
}

TEST_CASE("pgbench through a transaction pool has no failed transactions", "[pg][pgbench]") {
    initialize_pgbench_tables_directly();
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: 10";
    SluiceProcess sluice(options);
    std::string protocol = GENERATE(as<std::string>{}, "simple", "extended", "prepared");

    // -M prepared: one thread per client. pgbench prepares each statement the first time it runs,
    // with a blocking PQprepare, so a thread serving several clients would stop the ones holding
    // a backend inside BEGIN..END while another of its clients waits for a backend: a deadlock
    // of the benchmark's own making behind any transaction pooler with fewer backends than clients.
    const std::string threads = protocol == "prepared" ? "20" : "2";
    CommandResult run = run_command(pgbench(sluice, {"-c", "20", "-j", threads, "-T", "10", "-M", protocol}),
                                    client_env(), 90s);
    INFO("pgbench -M " << protocol << ":\n" << run.output);
    CHECK_FALSE(run.timed_out);
    CHECK(run.exit_code == 0);
    CHECK(failed_transactions(run.output) == 0);
    CHECK(processed_transactions(run.output) > 0);
    CHECK(postgres().count_backends("app", "app") <= 10);
}
