// pgbench as the integration tests run it: against Sluice or straight against PostgreSQL as
// app/app, with its summary lines parsed.
#pragma once

#include <string>
#include <vector>

#include "postgres_server.hpp"
#include "sluice_process.hpp"

namespace sluice_it {

// A PostgreSQL client tool (psql, pgbench) of the server's version.
std::string postgres_tool(const std::string& name);
// libpq settings for tools talking as app/app (the password through the environment).
std::vector<std::string> client_env();
// `pgbench -h 127.0.0.1 -p PORT -U app ARGS... app`.
std::vector<std::string> pgbench_command(int port, const std::vector<std::string>& args);
std::vector<std::string> pgbench_command(const SluiceProcess& sluice, const std::vector<std::string>& args);

// pgbench's "number of failed transactions: N" (-1 if absent).
long failed_transactions(const std::string& output);
// pgbench's "number of transactions actually processed: N" (-1 if absent).
long processed_transactions(const std::string& output);

// pgbench -i -s 1 run straight against PostgreSQL as app, so the tables belong to app; throws
// std::runtime_error with pgbench's output if it fails.
void initialize_pgbench_tables_directly();

}  // namespace sluice_it
