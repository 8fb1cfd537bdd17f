// COM_CHANGE_USER and COM_RESET_CONNECTION through Sluice (issue 14), from MariaDB Connector/C
// (mysql_change_user, mysql_reset_connection): the new user's pool, limits and database apply,
// nothing of the old session follows, a wrong password or a cap ends the connection.
#include <catch2/catch.hpp>

#include "support/admin.hpp"
#include "support/harness.hpp"
#include "support/my_clients.hpp"
#include "support/poll.hpp"

using namespace sluice_it;

namespace {

// alice: a statement_timeout and a cap of one client session of her own.
const std::string kUsers =
    "app:\n  password: app\n"
    "alice:\n  password: alice\n  statement_timeout: 300ms\n  max_client_connections: 1\n"
    "bob:\n  password: bob\n"
    "admin:\n  password: admin\n";

}  // namespace

TEST_CASE("mysql: mysql_change_user switches user, database and limits", "[mysql][mysql-change-user]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n", .users = kUsers});
    MyConnection connection = my_connect(sluice.login("app", "app"));
    my_exec(connection.get(), "SET @left_behind = 'app'");
    REQUIRE(my_value(connection.get(), "SELECT CURRENT_USER()") == "app@%");
    const unsigned long id = mysql_thread_id(connection.get());

    REQUIRE(mysql_change_user(connection.get(), "alice", "alice", "app2") == 0);
    CHECK(my_value(connection.get(), "SELECT CURRENT_USER()") == "alice@%");
    CHECK(my_value(connection.get(), "SELECT DATABASE()") == "app2");
    CHECK(my_value(connection.get(), "SELECT COALESCE(@left_behind, 'none')") == "none");
    // alice's statement_timeout applies now: the SLEEP is interrupted (3024, or MariaDB's 1).
    const auto started = Clock::now();
    const MyResult slow = my_query(connection.get(), "SELECT SLEEP(5)");
    CHECK(Clock::now() - started < std::chrono::seconds(3));
    if (slow.error_code != 0) {
        CHECK(slow.error_code == 3024);
    } else {
        CHECK(slow.rows[0][0] == "1");
    }
    // The next statement waits until the timeout's KILL QUERY has been delivered, then the
    // backend goes back: COM_CHANGE_USER right after a timeout could still find it held (1235).
    CHECK(my_value(connection.get(), "SELECT 1") == "1");
    // ...and her cap of one session: this connection is it.
    MyLogin second = my_try_connect(sluice.login("alice", "alice"));
    CHECK_FALSE(second);
    CHECK(second.error_code == 1040);
    // The same connection id: a KILL from another of alice's connections would still find it.
    CHECK(mysql_thread_id(connection.get()) == id);

    // Back to app, no database named: app's pool in the session's database (app2).
    REQUIRE(mysql_change_user(connection.get(), "app", "app", nullptr) == 0);
    CHECK(my_value(connection.get(), "SELECT CURRENT_USER()") == "app@%");
    CHECK(my_value(connection.get(), "SELECT SLEEP(0.5)") == "0");  // app has no statement_timeout
    MyConnection alice_again = my_connect(sluice.login("alice", "alice"));  // alice's slot is free
    CHECK(my_value(alice_again.get(), "SELECT 1") == "1");

    // Each query counts for the database it ran in, even on the pinned lease that ended with the
    // switch: app 2 before it and alice's second connection 1; app2 alice's 5 and, since app came
    // back without naming a database and kept app2, app's last 2.
    Connection console = admin_connect(sluice.process());
    const auto query_count = [&](const std::string& database) {
        AdminTable stats = admin_show(console.get(), "SHOW STATS");
        const auto rows = stats.where("database", database);
        return rows.size() == 1 ? std::stoi(stats.at(rows[0], "total_query_count")) : -1;
    };
    // A lease's counters are added when it is released, just after its answer went out: poll.
    CHECK(eventually([&] { return query_count("app") == 3 && query_count("app2") == 7; }));
    CHECK(query_count("app") == 3);
    CHECK(query_count("app2") == 7);
}

TEST_CASE("mysql: mysql_change_user to the same user resets the session", "[mysql][mysql-change-user]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n", .users = kUsers});
    MyConnection connection = my_connect(sluice.login("app", "app"));
    my_exec(connection.get(), "SET @mine = 42");
    REQUIRE(my_value(connection.get(), "SELECT @mine") == "42");
    REQUIRE(mysql_change_user(connection.get(), "app", "app", "app") == 0);
    // The one backend is the one it had: it was reset all the same.
    CHECK(my_value(connection.get(), "SELECT COALESCE(@mine, 'none')") == "none");
    CHECK(mariadb().count_connections("app") == 1);
}

TEST_CASE("mysql: mysql_change_user with a wrong password or to an unknown database fails", "[mysql][mysql-change-user]") {
    MySluice sluice(MySluiceOptions{.users = kUsers});
    MyConnection wrong = my_connect(sluice.login("app", "app"));
    CHECK(mysql_change_user(wrong.get(), "bob", "not-bobs", "app") != 0);
    CHECK(mysql_errno(wrong.get()) == 1045);
    MyConnection unknown = my_connect(sluice.login("app", "app"));
    CHECK(mysql_change_user(unknown.get(), "bob", "bob", "no_such_db") != 0);
    CHECK(mysql_errno(unknown.get()) == 1049);
    // Others are unaffected.
    MyConnection fine = my_connect(sluice.login("bob", "bob"));
    CHECK(my_value(fine.get(), "SELECT CURRENT_USER()") == "bob@%");
}

TEST_CASE("mysql: mysql_change_user inside a transaction is refused", "[mysql][mysql-change-user]") {
    MySluice sluice(MySluiceOptions{.users = kUsers});
    MyConnection connection = my_connect(sluice.login("app", "app"));
    my_exec(connection.get(), "BEGIN");
    CHECK(mysql_change_user(connection.get(), "bob", "bob", "app") != 0);
    CHECK(mysql_errno(connection.get()) == 1235);
}

TEST_CASE("mysql: mysql_reset_connection clears the session and keeps the connection", "[mysql][mysql-change-user]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    MyConnection connection = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    my_exec(connection.get(), "SET @mine = 7");
    my_exec(other.get(), "BEGIN");  // holds a backend meanwhile: the reset may run on another one
    REQUIRE(my_value(other.get(), "SELECT 1") == "1");
    // Whichever backend still has @mine no longer counts as this client's own (client_token).
    REQUIRE(mysql_reset_connection(connection.get()) == 0);
    my_exec(other.get(), "COMMIT");
    for (int round = 0; round < 4; ++round) {
        CHECK(my_value(connection.get(), "SELECT COALESCE(@mine, 'none')") == "none");
        my_exec(other.get(), "BEGIN");  // holds one backend: `connection` gets the other
        CHECK(my_value(other.get(), "SELECT 1") == "1");
        CHECK(my_value(connection.get(), "SELECT COALESCE(@mine, 'none')") == "none");
        my_exec(other.get(), "COMMIT");
    }
    CHECK(my_value(connection.get(), "SELECT 5") == "5");
    CHECK(mariadb().count_connections("app") == 2);
}

TEST_CASE("mysql: mysql_change_user obeys the hba rules as a login does", "[mysql][mysql-change-user][hba]") {
    MySluiceOptions options{.users = kUsers};
    options.top_level += R"(hba:
  - { type: host, database: all, user: bob, address: all, method: reject }
  - { type: host, database: app2, user: alice, address: all, method: trust }
  - { type: host, database: all, user: all, address: all, method: md5 }
)";
    MySluice sluice(options);
    // bob may not log in, so he may not be changed to either, with the right password.
    CHECK(my_try_connect(sluice.login("bob", "bob")).error_code == 1045);
    MyConnection to_bob = my_connect(sluice.login("app", "app"));
    CHECK(mysql_change_user(to_bob.get(), "bob", "bob", "app") != 0);
    CHECK(mysql_errno(to_bob.get()) == 1045);
    // trust for alice on app2: no password needed, as at login.
    MyConnection to_alice = my_connect(sluice.login("app", "app"));
    REQUIRE(mysql_change_user(to_alice.get(), "alice", "anything", "app2") == 0);
    CHECK(my_value(to_alice.get(), "SELECT DATABASE()") == "app2");
    // md5 elsewhere: the password is checked.
    MyConnection wrong = my_connect(sluice.login("app", "app"));
    CHECK(mysql_change_user(wrong.get(), "alice", "anything", "app") != 0);
    CHECK(mysql_errno(wrong.get()) == 1045);
}
