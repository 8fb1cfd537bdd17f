#include "drivers.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <stdexcept>

#include "http.hpp"
#include "temp_dir.hpp"

namespace sluice_it {

namespace {

#ifndef SLUICE_SOURCE_DIR
#error "SLUICE_SOURCE_DIR must name the source tree (the driver programs live in tests/drivers/)"
#endif
const std::string kDriversDir = std::string(SLUICE_SOURCE_DIR) + "/tests/drivers";
// Debian's Python: the Debian driver packages install for it, not for another python3 on PATH.
const std::string kDebianPython = "/usr/bin/python3";
const std::string kJdbcJar = "/usr/share/java/postgresql.jar";
const std::string kMariadbJdbcJar = "/usr/share/java/mariadb-java-client.jar";
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

std::string missing_jdbc_driver(const std::string& jar, const std::string& package) {
    // javac compiles the programs (java_classes): a JDK, not only a JRE.
    if (find_program("java").empty() || find_program("javac").empty()) {
        return "a JDK (java and javac) is missing (Debian default-jdk-headless)" + kInstallHint;
    }
    if (!exists(jar)) return jar + " is missing (Debian " + package + ")" + kInstallHint;
    return "";
}

// A quick JIT and a small collector: the programs (and javac) run for seconds.
const std::vector<std::string> kJvmOptions = {"-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"};

// Every program in tests/drivers/java with the DriverProgram.java they share, compiled once per
// test process (they use java.sql only: no driver jar is needed to compile them).
const std::string& java_classes() {
    static TempDir classes("sluice-it-java");
    static const bool compiled = [] {
        std::vector<std::string> argv = {find_program("javac")};
        for (const std::string& option : kJvmOptions) argv.push_back("-J" + option);
        argv.insert(argv.end(), {"-encoding", "UTF-8", "-d", classes.path()});
        std::vector<std::string> sources;
        for (const auto& entry : std::filesystem::directory_iterator(kDriversDir + "/java")) {
            if (entry.path().extension() == ".java") sources.push_back(entry.path().string());
        }
        std::sort(sources.begin(), sources.end());
        argv.insert(argv.end(), sources.begin(), sources.end());
        CommandResult javac = run_command(argv, {}, std::chrono::seconds(120));
        if (javac.exit_code != 0) throw std::runtime_error("javac of tests/drivers/java failed:\n" + javac.output);
        return true;
    }();
    (void)compiled;
    return classes.path();
}

std::vector<std::string> java_command(const std::string& jar, const std::string& main_class) {
    std::vector<std::string> argv = {find_program("java")};
    argv.insert(argv.end(), kJvmOptions.begin(), kJvmOptions.end());
    argv.insert(argv.end(), {"-cp", jar + ":" + java_classes(), main_class});
    return argv;
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
        case Driver::connector_j: return "MariaDB Connector/J";
    }
    return "?";
}

std::string missing_driver(Driver driver) {
    switch (driver) {
        case Driver::psycopg: return missing_python_module("psycopg", "python3-psycopg");
        case Driver::asyncpg: return missing_python_module("asyncpg", "python3-asyncpg");
        case Driver::pgjdbc: return missing_jdbc_driver(kJdbcJar, "libpostgresql-jdbc-java");
        case Driver::node_postgres: return missing_node_module("pg");
        case Driver::postgres_js: return missing_node_module("postgres");
        case Driver::pymysql: return missing_python_module("pymysql", "python3-pymysql");
        case Driver::mysql2: return missing_node_module("mysql2");
        case Driver::connector_j: return missing_jdbc_driver(kMariadbJdbcJar, "libmariadb-java");
    }
    return "unknown driver";
}

std::vector<std::string> driver_command(Driver driver, const std::string& mode, int clients, int iterations,
                                        int deadline_seconds) {
    std::vector<std::string> argv;
    switch (driver) {
        case Driver::psycopg: argv = {kDebianPython, kDriversDir + "/python/psycopg_clients.py"}; break;
        case Driver::asyncpg: argv = {kDebianPython, kDriversDir + "/python/asyncpg_clients.py"}; break;
        case Driver::pgjdbc: argv = java_command(kJdbcJar, "Clients"); break;
        case Driver::node_postgres: argv = {find_program("node"), kDriversDir + "/node/pg_clients.js"}; break;
        case Driver::postgres_js: argv = {find_program("node"), kDriversDir + "/node/postgresjs_clients.mjs"}; break;
        case Driver::pymysql: argv = {kDebianPython, kDriversDir + "/python/pymysql_clients.py"}; break;
        case Driver::mysql2: argv = {find_program("node"), kDriversDir + "/node/mysql2_clients.js"}; break;
        case Driver::connector_j: argv = java_command(kMariadbJdbcJar, "MariadbClients"); break;
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
