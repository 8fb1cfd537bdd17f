// Helpers for the fault-injection tests (test_faults_*.cpp): raw logins, and an audit that
// compares the backends PostgreSQL sees (pg_stat_activity, read directly) with those Sluice
// reports (SHOW SERVERS). Clients that leave without a Terminate use Connection::vanish (pg.hpp).
#pragma once

#include <map>
#include <set>
#include <string>

#include "admin.hpp"
#include "net.hpp"
#include "pg.hpp"
#include "poll.hpp"
#include "process.hpp"
#include "sluice_process.hpp"

namespace sluice_it {

// Queries other than our own that are running (state active) and contain `marker`,
// read directly from PostgreSQL.
int active_queries(const std::string& marker);

// Restarts the shared PostgreSQL at scope exit if a test left it stopped, so a failing
// fault test cannot take the following tests down with it.
struct PostgresRestarter {
    PostgresRestarter() = default;
    PostgresRestarter(const PostgresRestarter&) = delete;
    PostgresRestarter& operator=(const PostgresRestarter&) = delete;
    ~PostgresRestarter();
};

// Both views of one pool's backends.
struct BackendAudit {
    std::set<int> postgres_pids;  // pg_stat_activity: client backends of the pool's user and database
    std::set<int> sluice_pids;    // SHOW SERVERS: remote_pid of the pool's logged-in backends
    int sluice_servers = 0;       // SHOW SERVERS rows of the pool, including those still logging in

    // Sluice knows exactly the backends that exist, and nothing else.
    bool consistent() const {
        return postgres_pids == sluice_pids && sluice_servers == static_cast<int>(sluice_pids.size());
    }
    std::string describe() const;
};
BackendAudit audit_backends(PGconn* console, const std::string& user, const std::string& database);

// Polls the audit until it is consistent (or `timeout` passes); returns the last one.
BackendAudit settled_audit(PGconn* console, const std::string& user, const std::string& database,
                           Ms timeout = Ms(5000));

// Logs in with a raw startup packet (the Sluice must use auth_type trust) and returns the first
// ErrorResponse's fields ('C' SQLSTATE, 'M' message); empty if the login reached ReadyForQuery,
// {'M': "closed without an error"} if the connection closed without a word.
std::map<char, std::string> raw_login_error(int port, const std::string& user, const std::string& database,
                                            Ms timeout = Ms(10000));

// Connects as `user` and runs `select 1`; true when both worked within `timeout`.
bool serves(const SluiceProcess& sluice, const std::string& user, const std::string& password,
            const std::string& database = "app", Ms timeout = Ms(5000));

}  // namespace sluice_it
