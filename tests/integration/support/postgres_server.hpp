// A throwaway PostgreSQL 15 server on a free loopback port, in its own temp directory, shared by
// every test in this process (started on first use, stopped at exit). Its data directory is a
// copy of a template (initdb + the test roles and databases, made once and kept in /tmp).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "process.hpp"
#include "temp_dir.hpp"

namespace sluice_it {

inline constexpr const char* kPostgresBinDir = "/usr/lib/postgresql/15/bin";

// A server of its own, set up differently from the shared one (TLS tests).
struct PostgresSetup {
    std::string hba;                                            // replaces pg_hba.conf when not empty
    std::vector<std::pair<std::string, std::string>> files;     // copied into the data directory (0600)
    std::vector<std::string> settings;                          // extra -c name=value
};

class PostgresServer {
public:
    // Template copy (built first if missing) + start; throws with the server log on failure.
    PostgresServer();
    explicit PostgresServer(const PostgresSetup& setup);
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;
    ~PostgresServer();

    int port() const { return port_; }
    const std::string& socket_dir() const { return dir_.path(); }
    pid_t pid() const { return process_.pid(); }
    const std::string& log_path() const { return log_path_; }

    // Superuser `postgres` over the unix socket (trust), bypassing Sluice.
    std::string superuser_conninfo(const std::string& database = "postgres") const;
    // A TCP connection straight to PostgreSQL as `user` (scram), bypassing Sluice.
    std::string direct_conninfo(const std::string& user, const std::string& password,
                                const std::string& database) const;
    // psql as superuser over the socket: {psql, -X, -At, -h, dir, -p, port, -U, postgres, -d, db}.
    std::vector<std::string> psql_command(const std::string& database = "postgres") const;

    // Backends of `user` connected to `database`, from pg_stat_activity (direct connection).
    int count_backends(const std::string& user, const std::string& database) const;
    // A query's first value, run directly as superuser.
    std::string query(const std::string& sql, const std::string& database = "postgres") const;
    // Runs SQL directly as superuser; throws on failure.
    void execute(const std::string& sql, const std::string& database = "postgres") const;
    // Client backends on `database` of every user but the superuser (ours), from pg_stat_activity.
    int count_client_backends(const std::string& database) const;

    // Stops the server the way `pg_ctl stop -m MODE` would: "smart" (SIGTERM: waits for
    // clients), "fast" (SIGINT: disconnects them, checkpoint) or "immediate" (SIGQUIT: no
    // checkpoint; the next start recovers). Waits until the postmaster has exited.
    void stop(const std::string& mode = "fast");
    // Starts it again on the same port and data directory; waits until it accepts logins.
    void start();
    void restart(const std::string& mode = "fast");
    bool running();

private:
    TempDir dir_;
    std::string data_dir_;
    std::vector<std::string> extra_settings_;
    std::string log_path_;
    int port_ = 0;
    ChildProcess process_;
};

// The process-wide server, started on first call.
PostgresServer& postgres();
// Stops the shared server if it was started (also runs at exit).
void stop_shared_postgres();

}  // namespace sluice_it
