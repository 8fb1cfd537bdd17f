#include "faults.hpp"

#include <sstream>

#include "postgres_server.hpp"

namespace sluice_it {

int active_queries(const std::string& marker) {
    return std::stoi(postgres().query(
        "select count(*) from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() "
        "and query like " + sql_literal("%" + marker + "%")));
}

PostgresRestarter::~PostgresRestarter() {
    try {
        postgres().start();
    } catch (...) {
        // The next test reports it; a destructor must not throw.
    }
}

std::string BackendAudit::describe() const {
    std::ostringstream text;
    text << "postgres pids {";
    for (int pid : postgres_pids) text << ' ' << pid;
    text << " } sluice pids {";
    for (int pid : sluice_pids) text << ' ' << pid;
    text << " } sluice servers " << sluice_servers;
    return text.str();
}

BackendAudit audit_backends(PGconn* console, const std::string& user, const std::string& database) {
    BackendAudit audit;
    const AdminTable servers = admin_show(console, "SHOW SERVERS");
    for (std::size_t row : servers.where("database", database)) {
        if (servers.at(row, "user") != user) continue;
        ++audit.sluice_servers;
        const std::string& pid = servers.at(row, "remote_pid");
        if (pid != "NULL" && pid != "0") audit.sluice_pids.insert(std::stoi(pid));
    }
    Connection direct = connect(postgres().superuser_conninfo());
    PgResult pids = exec_params(direct,
                                "select pid from pg_stat_activity where usename = $1 and datname = $2 "
                                "and backend_type = 'client backend'",
                                {user, database});
    if (PQresultStatus(pids.get()) != PGRES_TUPLES_OK) throw PgError(sqlstate(pids.get()), describe(pids.get()));
    for (int row = 0; row < PQntuples(pids.get()); ++row) audit.postgres_pids.insert(std::stoi(PQgetvalue(pids.get(), row, 0)));
    return audit;
}

BackendAudit settled_audit(PGconn* console, const std::string& user, const std::string& database, Ms timeout) {
    BackendAudit audit;
    eventually([&] { return (audit = audit_backends(console, user, database)).consistent(); }, timeout, Ms(100));
    return audit;
}

std::map<char, std::string> raw_login_error(int port, const std::string& user, const std::string& database,
                                            Ms timeout) {
    RawSocket socket(port, timeout);
    socket.send_bytes(wire::startup_message({{"user", user}, {"database", database}}));
    while (auto message = wire::read_message(socket)) {
        if (message->type == 'E') return wire::error_fields(message->body);
        if (message->type == 'Z') return {};
    }
    return {{'M', "closed without an error"}};
}

bool serves(const SluiceProcess& sluice, const std::string& user, const std::string& password,
            const std::string& database, Ms timeout) {
    try {
        Connection conn = try_connect(sluice.conninfo(user, password, database), timeout);
        if (!conn.ok()) return false;
        PgResult result = exec(conn, "select 1", timeout);
        return PQresultStatus(result.get()) == PGRES_TUPLES_OK && std::string(PQgetvalue(result.get(), 0, 0)) == "1";
    } catch (const PgTimeout&) {
        return false;
    }
}

}  // namespace sluice_it
