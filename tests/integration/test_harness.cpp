// The harness itself: the throwaway PostgreSQL has the roles and databases the other tests use.
#include <catch2/catch.hpp>

#include "support/harness.hpp"

using namespace sluice_it;

TEST_CASE("harness: PostgreSQL test server has the test roles and databases", "[pg][harness]") {
    PostgresServer& server = postgres();
    CHECK(server.port() >= 20000);
    CHECK(server.port() < 32000);

    SECTION("superuser over the unix socket") {
        CHECK(server.query("select current_user") == "postgres");
        CHECK(server.query("show max_connections") == "300");
    }
    SECTION("scram roles log in over TCP") {
        for (const auto& [user, password] :
             std::vector<std::pair<std::string, std::string>>{{"app", "app"}, {"alice", "alice"}, {"bob", "bob"}}) {
            Connection conn = connect(server.direct_conninfo(user, password, "app"));
            CHECK(query_value(conn, "select current_user") == user);
        }
    }
    SECTION("md5user has an md5 password and logs in") {
        CHECK(server.query("select left(rolpassword, 3) from pg_authid where rolname = 'md5user'") == "md5");
        Connection conn = connect(server.direct_conninfo("md5user", "md5pass", "app"));
        CHECK(query_value(conn, "select current_user") == "md5user");
    }
    SECTION("a wrong password is refused") {
        Connection conn = try_connect(server.direct_conninfo("app", "nope", "app"));
        CHECK_FALSE(conn.ok());
        CHECK_THAT(conn.error_message(), Catch::Contains("password authentication failed"));
    }
    SECTION("databases app and app2 belong to app") {
        CHECK(server.query("select pg_get_userbyid(datdba) from pg_database where datname = 'app'") == "app");
        CHECK(server.query("select count(*) from pg_database where datname = 'app2'") == "1");
        CHECK(server.query("select count(*) from pg_roles where rolname = 'trustless'") == "1");
    }
    SECTION("count_backends sees a direct client") {
        Connection conn = connect(server.direct_conninfo("bob", "bob", "app2"));
        CHECK(server.count_backends("bob", "app2") == 1);
    }
    SECTION("psql_command runs") {
        auto argv = server.psql_command();
        argv.insert(argv.end(), {"-c", "select 40 + 2"});
        CommandResult result = run_command(argv);
        CHECK(result.exit_code == 0);
        CHECK(result.output == "42\n");
    }
}
