#include "pgbench.hpp"

#include <regex>
#include <stdexcept>

namespace sluice_it {

namespace {

// The first number captured by `pattern` in `output` (-1 if absent).
long captured_number(const std::string& output, const std::regex& pattern) {
    std::smatch match;
    return std::regex_search(output, match, pattern) ? std::stol(match[1]) : -1;
}

}  // namespace

std::string postgres_tool(const std::string& name) { return std::string(kPostgresBinDir) + "/" + name; }

std::vector<std::string> client_env() {
    return {"PGPASSWORD=app", "PGSSLMODE=disable", "PGGSSENCMODE=disable", "PGCONNECT_TIMEOUT=10"};
}

std::vector<std::string> pgbench_command(int port, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {postgres_tool("pgbench"), "-h", "127.0.0.1", "-p", std::to_string(port),
                                     "-U", "app"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("app");
    return argv;
}

std::vector<std::string> pgbench_command(const SluiceProcess& sluice, const std::vector<std::string>& args) {
    return pgbench_command(sluice.port(), args);
}

long failed_transactions(const std::string& output) {
    return captured_number(output, std::regex(R"(number of failed transactions: (\d+))"));
}

long processed_transactions(const std::string& output) {
    return captured_number(output, std::regex(R"(number of transactions actually processed: (\d+))"));
}

void initialize_pgbench_tables_directly() {
    CommandResult init =
        run_command(pgbench_command(postgres().port(), {"-i", "-s", "1", "-q"}), client_env(), std::chrono::seconds(120));
    if (init.exit_code != 0) throw std::runtime_error("pgbench -i failed:\n" + init.output);
}

}  // namespace sluice_it
