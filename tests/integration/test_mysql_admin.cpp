// MySQL pools and clients in the admin console (which speaks PostgreSQL), with their protocol.
#include <catch2/catch.hpp>

#include "support/admin.hpp"
#include "support/harness.hpp"
#include "support/my_statement.hpp"

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

TEST_CASE("mysql: SHOW STATS counts prepares (the clients' and the backends'), executes and logins",
          "[mysql][mysql-admin]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\npool_mode: transaction\n",
                                    .users = "app:\n  password: app\nadmin:\n  password: admin\n"});
    MyConnection first = my_connect(sluice.login("app", "app"));
    MyConnection second = my_connect(sluice.login("app", "app"));
    for (MYSQL* connection : {first.get(), second.get()}) {
        INFO("client " << (connection == first.get() ? "first" : "second"));
        MYSQL_STMT* statement = mysql_stmt_init(connection);
        REQUIRE(statement != nullptr);
        const std::string sql = "SELECT 6 * 7";
        INFO(mysql_stmt_error(statement));
        REQUIRE(mysql_stmt_prepare(statement, sql.c_str(), sql.size()) == 0);
        for (int i = 0; i < 3; ++i) {
            REQUIRE(mysql_stmt_execute(statement) == 0);
            REQUIRE(mysql_stmt_store_result(statement) == 0);
            mysql_stmt_free_result(statement);
        }
        mysql_stmt_close(statement);
    }
    Connection console = admin_connect(sluice.process());
    AdminTable stats;
    std::vector<std::size_t> app;
    REQUIRE(eventually([&] {
        stats = admin_show(console.get(), "SHOW STATS");
        app = stats.where("database", "app");
        return app.size() == 1 && stats.at(app[0], "total_bind_count") == "6";
    }));
    CHECK(stats.at(app[0], "total_client_parse_count") == "2");
    // Each client's COM_STMT_PREPARE reaches the one backend (MySQL statements are per client).
    CHECK(stats.at(app[0], "total_server_parse_count") == "2");
    CHECK(stats.at(app[0], "total_client_connect_count") == "2");
}

TEST_CASE("mysql: SHOW CLIENTS and SHOW SERVERS count each side's prepared statements", "[mysql][mysql-admin]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\npool_mode: transaction\n",
                                    .users = "app:\n  password: app\nadmin:\n  password: admin\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));
    MyStatement first(client.get(), "SELECT 1 + ?");
    MyStatement second(client.get(), "SELECT 2 + ?");
    CHECK(first.execute({1}) == std::vector<std::vector<std::string>>{{"2"}});
    {
        MyStatement closed(client.get(), "SELECT 3 + ?");
        CHECK(closed.execute({1}) == std::vector<std::vector<std::string>>{{"4"}});
    }  // COM_STMT_CLOSE: the client has two left
    REQUIRE(my_value(client.get(), "SELECT 1") == "1");  // a transaction after the close
    Connection console = admin_connect(sluice.process());
    // Counted when the backend goes back, which may come a moment after the client has its answer.
    AdminTable clients;
    std::vector<std::size_t> client_rows;
    CHECK(eventually([&] {
        clients = admin_show(console.get(), "SHOW CLIENTS");
        client_rows = clients.where("protocol", "mysql");
        return client_rows.size() == 1 && clients.at(client_rows[0], "prepared_statements") == "2";
    }));
    // The backend keeps all three (another client may prepare the same text); MariaDB agrees.
    const AdminTable servers = admin_show(console.get(), "SHOW SERVERS");
    const auto server_rows = servers.where("protocol", "mysql");
    REQUIRE(server_rows.size() == 1);
    const std::string on_backend = mariadb().query(
        "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'PREPARED_STMT_COUNT'");
    CHECK(servers.at(server_rows[0], "prepared_statements") == on_backend);
    CHECK(on_backend != "0");
}
