// A throwaway MariaDB server on a free loopback port, in its own temp directory, shared by every
// test in this process (started on first use, stopped at exit). The system's own MariaDB service
// is never touched: mariadb-install-db makes a fresh data directory, mariadbd runs as the `mysql`
// OS user (when we are root) with --no-defaults, so no /etc/mysql file changes what it does.
//
// Users (mysql_native_password): app/app, alice/alice, bob/bob, each with every privilege on the
// databases app and app2; root has no password and is reached over the unix socket only.
#pragma once

#include <string>
#include <vector>

#include "my.hpp"
#include "process.hpp"
#include "temp_dir.hpp"

namespace sluice_it {

// A server of its own, set up differently from the shared one (backend TLS tests).
struct MariadbSetup {
    std::vector<std::pair<std::string, std::string>> files;  // {name, source}: copied into the data directory
    std::vector<std::string> options;  // extra mariadbd options; relative paths are in the data directory
};

class MariadbServer {
public:
    // install-db + start + users; throws with the server log on failure.
    MariadbServer();
    explicit MariadbServer(const MariadbSetup& setup);
    MariadbServer(const MariadbServer&) = delete;
    MariadbServer& operator=(const MariadbServer&) = delete;
    ~MariadbServer();

    int port() const { return port_; }
    const std::string& socket_path() const { return socket_path_; }
    const std::string& log_path() const { return log_path_; }

    // root over the unix socket, bypassing Sluice.
    MyConnection root(const std::string& database = "") const;
    // A query's first value, run directly as root.
    std::string query(const std::string& sql) const;
    // Runs SQL directly as root; throws on failure.
    void execute(const std::string& sql) const;
    // Connections of `user`, from information_schema.PROCESSLIST (read directly, as root).
    int count_connections(const std::string& user) const;
    // The `mariadb` command-line client as root over the socket, for one statement.
    std::vector<std::string> cli_command(const std::string& sql) const;

    // Stops mariadbd (SIGTERM: a normal shutdown that disconnects every client; SIGKILL: a
    // crash, recovered at the next start) and waits until it has exited.
    void stop(int signal);
    // Starts it again on the same port and data directory; waits until it accepts logins.
    void start();

private:
    TempDir dir_;
    std::string data_dir_;
    std::string socket_path_;
    std::string log_path_;
    int port_ = 0;
    std::vector<std::string> options_;  // MariadbSetup::options, for every start
    ChildProcess process_;
};

// The process-wide server, started on first call.
MariadbServer& mariadb();
// Stops the shared server if it was started (also runs at exit).
void stop_shared_mariadb();

}  // namespace sluice_it
