// MySQL pools and clients in the admin console (which speaks PostgreSQL), with their protocol.
#include <catch2/catch.hpp>

#include "support/admin.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

TEST_CASE("mysql: SHOW POOLS, CLIENTS and SERVERS list MySQL pools with their protocol", "[mysql][mysql-admin]") {
    MySluice sluice(MySluiceOptions{.users = "app:\n  password: app\nadmin:\n  password: admin\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));
    REQUIRE(my_value(client.get(), "SELECT 1") == "1");
    Connection console = admin_connect(sluice.process());

    AdminTable pools = admin_show(console.get(), "SHOW POOLS");
    const auto pool_rows = pools.where("database", "app");
    REQUIRE(pool_rows.size() == 1);
    CHECK(pools.at(pool_rows[0], "user") == "app");
    CHECK(pools.at(pool_rows[0], "protocol") == "mysql");
    CHECK(pools.at(pool_rows[0], "cl_active") == "1");

    AdminTable clients = admin_show(console.get(), "SHOW CLIENTS");
    const auto client_rows = clients.where("protocol", "mysql");
    REQUIRE(client_rows.size() == 1);
    CHECK(clients.at(client_rows[0], "user") == "app");
    CHECK(clients.at(client_rows[0], "database") == "app");

    // The backend's remote pid is MariaDB's thread id of Sluice's connection.
    AdminTable servers = admin_show(console.get(), "SHOW SERVERS");
    const auto server_rows = servers.where("protocol", "mysql");
    REQUIRE(server_rows.size() == 1);
    const std::string thread_id = mariadb().query(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = 'app' ORDER BY ID DESC LIMIT 1");
    CHECK(servers.at(server_rows[0], "remote_pid") == thread_id);
}
