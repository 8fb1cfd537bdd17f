// A Sluice in front of the shared MariaDB: a generated config whose databases speak MySQL
// (app, app2; no PostgreSQL database), a MySQL listener on a free port of its own, and
// Connector/C logins through it.
#pragma once

#include <string>

#include "my.hpp"
#include "sluice_process.hpp"

namespace sluice_it {

struct MySluiceOptions {
    std::string auth_type = "md5";  // any but trust: MySQL clients are checked with mysql_native_password
    std::string defaults;           // "key: value" lines under `defaults:`
    std::string top_level;          // extra top-level YAML lines
    std::string extra_databases;    // extra entries under `databases:` (unindented YAML)
    // Replaces the default `databases:` entries (app and app2 on the MariaDB) when set.
    std::string databases;
    // users: YAML under `users:` (unindented); app/alice/bob with their MariaDB passwords by default.
    std::string users = "app:\n  password: app\nalice:\n  password: alice\nbob:\n  password: bob\n";
};

// A database entry's keys (unindented) for the MariaDB on `port`.
std::string mariadb_database(int port);

class MySluice {
public:
    explicit MySluice(const MySluiceOptions& options = {});

    int mysql_port() const { return mysql_port_; }
    SluiceProcess& process() { return process_; }
    // Writes the config `options` make for these ports, sends SIGHUP and waits until the log
    // says it is in force.
    void reload_with(const MySluiceOptions& options);

    MyLoginOptions login(const std::string& user, const std::string& password,
                         const std::string& database = "app") const {
        return MyLoginOptions{.port = mysql_port_, .user = user, .password = password, .database = database};
    }

private:
    int mysql_port_;
    SluiceProcess process_;
};

}  // namespace sluice_it
