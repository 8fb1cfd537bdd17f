// The real-driver programs of tests/drivers/ (psycopg 3, asyncpg, pgjdbc, node-postgres,
// postgres.js; PyMySQL, mysql2 and MariaDB Connector/J for MySQL) as the [drivers] and
// [mysql_drivers] tests run them: the command line, what must be installed, and the `ok <checks>`
// line they print on success (tests/drivers/README.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "process.hpp"

namespace sluice_it {

enum class Driver { psycopg, asyncpg, pgjdbc, node_postgres, postgres_js, pymysql, mysql2, connector_j };

std::string driver_name(Driver driver);
// What is missing to run the driver's program, with what installs it ("" = nothing).
std::string missing_driver(Driver driver);
// The program's argv: MODE CLIENTS ITERATIONS DEADLINE_SECONDS after the interpreter and file.
std::vector<std::string> driver_command(Driver driver, const std::string& mode, int clients, int iterations,
                                        int deadline_seconds);
// Runs it against 127.0.0.1:port as app/app (connection settings in the PG* environment),
// killed after `timeout`.
CommandResult run_driver(const std::vector<std::string>& argv, int port, Duration timeout);
// The same for a MySQL program (connection settings in the MYSQL_* environment). A login to a
// database that does not exist must fail with `unknown_database_error`: MariaDB says 1044
// (no access) to a user without global privileges, Sluice 1049.
CommandResult run_my_driver(const std::vector<std::string>& argv, int port, int unknown_database_error,
                            Duration timeout);
// The N of the program's `ok N` line, if it printed one.
std::optional<long> ok_count(const std::string& output);

}  // namespace sluice_it
