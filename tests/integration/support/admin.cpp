#include "admin.hpp"

#include <stdexcept>

namespace sluice_it {

int AdminTable::index(const std::string& column) const {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i] == column) return static_cast<int>(i);
    }
    return -1;
}

unsigned AdminTable::type_oid(const std::string& column) const {
    const int i = index(column);
    return i < 0 ? 0 : type_oids.at(static_cast<std::size_t>(i));
}

const std::string& AdminTable::at(std::size_t row, const std::string& column) const {
    const int i = index(column);
    if (i < 0 || row >= rows.size()) throw std::runtime_error("no " + column + " in row " + std::to_string(row));
    return rows[row][static_cast<std::size_t>(i)];
}

std::vector<std::size_t> AdminTable::where(const std::string& column, const std::string& value) const {
    std::vector<std::size_t> found;
    for (std::size_t row = 0; row < rows.size(); ++row) {
        if (at(row, column) == value) found.push_back(row);
    }
    return found;
}

Connection admin_connect(const SluiceProcess& sluice, const std::string& database) {
    return connect(sluice.conninfo("admin", "admin", database));
}

AdminTable admin_show(PGconn* console, const std::string& command, Duration timeout) {
    PgResult result = exec(console, command, timeout);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
        throw PgError(sqlstate(result.get()), command + ": " + describe(result.get()));
    }
    AdminTable table;
    for (int column = 0; column < PQnfields(result.get()); ++column) {
        table.columns.push_back(PQfname(result.get(), column));
        table.type_oids.push_back(PQftype(result.get(), column));
    }
    for (int row = 0; row < PQntuples(result.get()); ++row) {
        std::vector<std::string> values;
        for (int column = 0; column < PQnfields(result.get()); ++column) {
            values.push_back(PQgetisnull(result.get(), row, column) ? "NULL" : PQgetvalue(result.get(), row, column));
        }
        table.rows.push_back(std::move(values));
    }
    return table;
}

PoolView pool_view(PGconn* console, const std::string& database, const std::string& user) {
    PoolView view;
    const AdminTable pools = admin_show(console, "SHOW POOLS");
    for (std::size_t row : pools.where("database", database)) {
        if (pools.at(row, "user") != user) continue;
        view.found = true;
        view.cl_active = std::stoi(pools.at(row, "cl_active"));
        view.cl_waiting = std::stoi(pools.at(row, "cl_waiting"));
        view.sv_active = std::stoi(pools.at(row, "sv_active"));
        view.sv_idle = std::stoi(pools.at(row, "sv_idle"));
        view.sv_login = std::stoi(pools.at(row, "sv_login"));
    }
    const AdminTable servers = admin_show(console, "SHOW SERVERS");
    for (std::size_t row : servers.where("database", database)) {
        if (servers.at(row, "user") != user) continue;
        ++view.servers;
        const std::string& pid = servers.at(row, "remote_pid");
        if (pid != "NULL" && pid != "0") ++view.server_pids_known;
    }
    return view;
}

}  // namespace sluice_it
