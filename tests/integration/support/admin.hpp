// The admin console as a test reads it: SHOW results as tables of text, and the numbers a
// fault test compares with PostgreSQL's own view (pg_stat_activity).
#pragma once

#include <string>
#include <vector>

#include "pg.hpp"
#include "sluice_process.hpp"

namespace sluice_it {

// A SHOW result as column names and rows of text (NULL as "NULL").
struct AdminTable {
    std::vector<std::string> columns;
    std::vector<unsigned> type_oids;  // parallel to columns, as RowDescription declared them
    std::vector<std::vector<std::string>> rows;

    int index(const std::string& column) const;  // -1 if absent
    unsigned type_oid(const std::string& column) const;  // 0 if absent
    // Throws std::runtime_error for an unknown column or row.
    const std::string& at(std::size_t row, const std::string& column) const;
    // Rows whose `column` equals `value`.
    std::vector<std::size_t> where(const std::string& column, const std::string& value) const;
};

// Logs in to the admin console (the virtual database `sluice`, or its alias `pgbouncer`) as the
// admin user of the generated config.
Connection admin_connect(const SluiceProcess& sluice, const std::string& database = "sluice");
// Runs a SHOW command; throws PgError unless it returns rows.
AdminTable admin_show(PGconn* console, const std::string& command, Duration timeout = kQueryTimeout);

// One pool as SHOW POOLS and SHOW SERVERS report it.
struct PoolView {
    bool found = false;  // the pool exists (SHOW POOLS has its row)
    int cl_active = 0;
    int cl_waiting = 0;
    int sv_active = 0;
    int sv_idle = 0;
    int sv_login = 0;
    int servers = 0;     // SHOW SERVERS rows of this pool (any state)
    int server_pids_known = 0;  // of those, rows with a remote_pid (logged in)
};
PoolView pool_view(PGconn* console, const std::string& database, const std::string& user);

}  // namespace sluice_it
