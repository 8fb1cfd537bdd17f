// Reloads of MySQL databases: a new backend login takes effect (open backends are recycled),
// and a database that changes protocol is replaced: its MySQL pool closes to new clients.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace sluice_it;

TEST_CASE("mysql: a reload that forces a backend user moves the pool to that user", "[mysql][mysql-reload]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));
    CHECK(my_value(client.get(), "SELECT CURRENT_USER()") == "app@%");
    const std::string app = "app:\n" + indent(mariadb_database(mariadb().port()) + "user: alice\npassword: alice\n", 2);
    sluice.reload_with(MySluiceOptions{.defaults = "pool_size: 2\n", .databases = app});
    // The same client's next transaction runs on a backend logged in as alice.
    CHECK(eventually([&] { return my_value(client.get(), "SELECT CURRENT_USER()") == "alice@%"; }));
    MyConnection fresh = my_connect(sluice.login("app", "app"));
    CHECK(my_value(fresh.get(), "SELECT CURRENT_USER()") == "alice@%");
}

TEST_CASE("mysql: a database that becomes PostgreSQL is served to PostgreSQL clients only", "[mysql][mysql-reload]") {
    MySluice sluice;
    MyConnection before = my_connect(sluice.login("app", "app"));
    CHECK(my_value(before.get(), "SELECT 1") == "1");
    const std::string databases = "app:\n  protocol: postgres\n  host: 127.0.0.1\n  port: " +
                                  std::to_string(postgres().port()) + "\n" + "app2:\n" +
                                  indent(mariadb_database(mariadb().port()), 2);
    sluice.reload_with(MySluiceOptions{.databases = databases});
    MyLogin refused = my_try_connect(sluice.login("app", "app"));
    CHECK(refused.error_code == 1049);
    Connection pg = connect(sluice.process().conninfo("app", "app", "app"));
    CHECK(query_value(pg, "select current_database()") == "app");
    MyConnection other = my_connect(sluice.login("app", "app", "app2"));
    CHECK(my_value(other.get(), "SELECT DATABASE()") == "app2");
    CHECK(sluice.process().running());
}
