// The harness itself: the throwaway MariaDB has the users and databases the MySQL tests use.
#include <catch2/catch.hpp>

#include "support/harness.hpp"
#include "support/poll.hpp"

using namespace sluice_it;

TEST_CASE("harness: MariaDB test server has the test users and databases", "[mysql][harness]") {
    MariadbServer& server = mariadb();
    CHECK(server.port() >= 20000);
    CHECK(server.port() < 32000);

    SECTION("root over the unix socket, through the mariadb client too") {
        CHECK(server.query("SELECT CURRENT_USER()") == "root@localhost");
        CommandResult result = run_command(server.cli_command("SELECT 40 + 2"));
        CHECK(result.exit_code == 0);
        CHECK(result.output == "42\n");
    }
    SECTION("native-password users log in over TCP") {
        for (const std::string user : {"app", "alice", "bob"}) {
            MyConnection connection = my_connect({.port = server.port(), .user = user, .password = user, .database = "app"});
            CHECK(my_value(connection.get(), "SELECT CURRENT_USER()") == user + "@%");
            CHECK(my_value(connection.get(), "SELECT DATABASE()") == "app");
        }
    }
    SECTION("a wrong password is refused with 1045") {
        MyLogin login = my_try_connect({.port = server.port(), .user = "app", .password = "nope"});
        CHECK_FALSE(login);
        CHECK(login.error_code == 1045);
    }
    SECTION("count_connections sees a direct client") {
        MyConnection connection = my_connect({.port = server.port(), .user = "bob", .password = "bob", .database = "app2"});
        // A connection the SECTION before closed may linger in the process list for a moment.
        CHECK(eventually([&server] { return server.count_connections("bob") == 1; }, Ms(5000)));
    }
}
