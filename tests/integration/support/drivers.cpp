#include "drivers.hpp"

#include <unistd.h>

#include <regex>

#include "http.hpp"

namespace sluice_it {

namespace {

#ifndef SLUICE_SOURCE_DIR
#error "SLUICE_SOURCE_DIR must name the source tree (the driver programs live in tests/drivers/)"
#endif
const std::string kDriversDir = std::string(SLUICE_SOURCE_DIR) + "/tests/drivers";
// Debian's Python: the Debian driver packages install for it, not for another python3 on PATH.
const std::string kDebianPython = "/usr/bin/python3";
const std::string kJdbcJar = "/usr/share/java/postgresql.jar";
const std::string kInstallHint = " (scripts/install-deps.sh installs it)";

bool executable(const std::string& path) { return access(path.c_str(), X_OK) == 0; }
bool exists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string missing_python_module(const std::string& module, const std::string& package) {
    if (!executable(kDebianPython)) return kDebianPython + " is missing (Debian python3)" + kInstallHint;
    CommandResult probe = run_command({kDebianPython, "-c", "import " + module}, {}, std::chrono::seconds(30));
    if (probe.exit_code == 0) return "";
    return "Python module " + module + " is missing for " + kDebianPython + " (Debian " + package + ")" +
           kInstallHint + ": " + probe.output;
}

std::string missing_node_module(const std::string& module) {
    if (find_program("node").empty()) return "node is missing (Debian nodejs)" + kInstallHint;
    if (exists(kDriversDir + "/node/node_modules/" + module + "/package.json")) return "";
    return "npm package " + module + " is missing in " + kDriversDir + "/node/node_modules (npm ci there)" + kInstallHint;
}

std::string missing_pgjdbc() {
    // The source launcher (java File.java) compiles in memory: it needs a JDK, not only a JRE.
    if (find_program("java").empty() || find_program("javac").empty()) {
        return "a JDK (java and javac) is missing (Debian default-jdk-headless)" + kInstallHint;
    }
    if (!exists(kJdbcJar)) return kJdbcJar + " is missing (Debian libpostgresql-jdbc-java)" + kInstallHint;
    return "";
}

}  // namespace

std::string driver_name(Driver driver) {
    switch (driver) {
        case Driver::psycopg: return "psycopg 3";
        case Driver::asyncpg: return "asyncpg";
        case Driver::pgjdbc: return "pgjdbc";
        case Driver::node_postgres: return "node-postgres";
        case Driver::postgres_js: return "postgres.js";
        case Driver::pymysql: return "PyMySQL";
        case Driver::mysql2: return "mysql2";
    }
    return "?";
}

std::string missing_driver(Driver driver) {
    switch (driver) {
        case Driver::psycopg: return missing_python_module("psycopg", "python3-psycopg");
        case Driver::asyncpg: return missing_python_module("asyncpg", "python3-asyncpg");
        case Driver::pgjdbc: return missing_pgjdbc();
        case Driver::node_postgres: return missing_node_module("pg");
        case Driver::postgres_js: return missing_node_module("postgres");
        case Driver::pymysql: return missing_python_module("pymysql", "python3-pymysql");
        case Driver::mysql2: return missing_node_module("mysql2");
    }
    return "unknown driver";
}

std::vector<std::string> driver_command(Driver driver, const std::string& mode, int clients, int iterations,
                                        int deadline_seconds) {
    std::vector<std::string> argv;
    switch (driver) {
        case Driver::psycopg: argv = {kDebianPython, kDriversDir + "/python/psycopg_clients.py"}; break;
        case Driver::asyncpg: argv = {kDebianPython, kDriversDir + "/python/asyncpg_clients.py"}; break;
        case Driver::pgjdbc: argv = {find_program("java"), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", kJdbcJar, kDriversDir + "/java/Clients.java"}; break;
        case Driver::node_postgres: argv = {find_program("node"), kDriversDir + "/node/pg_clients.js"}; break;
        case Driver::postgres_js: argv = {find_program("node"), kDriversDir + "/node/postgresjs_clients.mjs"}; break;
        case Driver::pymysql: argv = {kDebianPython, kDriversDir + "/python/pymysql_clients.py"}; break;
        case Driver::mysql2: argv = {find_program("node"), kDriversDir + "/node/mysql2_clients.js"}; break;
    }
    argv.insert(argv.end(), {mode, std::to_string(clients), std::to_string(iterations), std::to_string(deadline_seconds)});
    return argv;
}

CommandResult run_driver(const std::vector<std::string>& argv, int port, Duration timeout) {
    const std::vector<std::string> env = {
        "PGHOST=127.0.0.1", "PGPORT=" + std::to_string(port), "PGUSER=app", "PGPASSWORD=app", "PGDATABASE=app",
        "PGSSLMODE=disable", "PGGSSENCMODE=disable", "PGCONNECT_TIMEOUT=10",
        // Only Debian's packages: no user site-packages shadowing them.
        "PYTHONNOUSERSITE=1", "PYTHONDONTWRITEBYTECODE=1"};
    return run_command(argv, env, timeout);
}

CommandResult run_my_driver(const std::vector<std::string>& argv, int port, int unknown_database_error,
                            Duration timeout) {
    const std::vector<std::string> env = {
        "MYSQL_HOST=127.0.0.1", "MYSQL_TCP_PORT=" + std::to_string(port), "MYSQL_USER=app", "MYSQL_PWD=app",
        "MYSQL_DATABASE=app", "UNKNOWN_DATABASE_ERROR=" + std::to_string(unknown_database_error), "PYTHONNOUSERSITE=1", "PYTHONDONTWRITEBYTECODE=1"};
    return run_command(argv, env, timeout);
}

std::optional<long> ok_count(const std::string& output) {
    std::smatch match;
    if (std::regex_search(output, match, std::regex(R"((^|\n)ok (\d+)\n)"))) return std::stol(match[2]);
    return std::nullopt;
}

}  // namespace sluice_it
