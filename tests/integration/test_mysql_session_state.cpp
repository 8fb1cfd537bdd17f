// A MySQL client's session across pooled backends, against the real MariaDB: session variables
// it SETs, its schema and character set follow it and never reach another client; state that
// cannot move (user variables, temporary tables) pins it (or is refused under session_state:
// error); LAST_INSERT_ID() and affected rows stay the client's own.
#include <atomic>
#include <future>
#include <set>
#include <catch2/catch.hpp>
#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"
#include "support/my_clients.hpp"
#include "support/my_statement.hpp"

using namespace sluice_it;

namespace {

const std::string kAdminUsers = "app:\n  password: app\nadmin:\n  password: admin\n";

}  // namespace

TEST_CASE("mysql: user variables and temporary tables pin their client and reach no other",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n", .users = kAdminUsers});
    MyConnection owner = my_connect(sluice.login("app", "app"));
    my_exec(owner.get(), "SET @owned = 42");
    my_exec(owner.get(), "CREATE TEMPORARY TABLE owned_tmp (v INT)");
    my_exec(owner.get(), "INSERT INTO owned_tmp VALUES (7)");
    const std::string backend = my_value(owner.get(), "SELECT CONNECTION_ID()");

    Connection console = admin_connect(sluice.process());
    AdminTable clients = admin_show(console.get(), "SHOW CLIENTS");
    const auto pinned = clients.where("pinned", "user_variables");
    CHECK(pinned.size() == 1);

    // Others run on the other backend meanwhile, and see neither.
    const int failed = run_clients(sluice, 4, [&](int, MYSQL* connection) {
        for (int i = 0; i < 10; ++i) {
            if (my_value(connection, "SELECT COALESCE(@owned, 'none')") != "none") throw std::runtime_error("@owned leaked");
            if (my_query(connection, "SELECT COUNT(*) FROM owned_tmp").error_code != 1146) {
                throw std::runtime_error("owned_tmp leaked");
            }
            if (my_value(connection, "SELECT CONNECTION_ID()") == backend) throw std::runtime_error("pinned backend shared");
        }
    });
    CHECK(failed == 0);
    CHECK(my_value(owner.get(), "SELECT @owned") == "42");
    CHECK(my_value(owner.get(), "SELECT SUM(v) FROM owned_tmp") == "7");
    CHECK(my_value(owner.get(), "SELECT CONNECTION_ID()") == backend);
    owner.reset();
    // Its backend is closed with it: the next clients find no trace.
    MyConnection next = my_connect(sluice.login("app", "app"));
    CHECK(my_value(next.get(), "SELECT COALESCE(@owned, 'none')") == "none");
    CHECK(my_query(next.get(), "SELECT COUNT(*) FROM owned_tmp").error_code == 1146);
}

TEST_CASE("mysql: session_state error refuses a user variable with 1235 and goes on", "[mysql][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nsession_state: error\n"});
    MyConnection connection = my_connect(sluice.login("app", "app"));
    const MyResult refused = my_query(connection.get(), "SET @x = 1");
    CHECK(refused.error_code == 1235);
    CHECK_THAT(refused.error, Catch::Contains("not supported in transaction pool mode: user_variables"));
    const MyResult temporary = my_query(connection.get(), "CREATE TEMPORARY TABLE t_refused (v INT)");
    CHECK(temporary.error_code == 1235);
    CHECK(my_value(connection.get(), "SELECT 5") == "5");
    // Session variables are not such state: they follow the client.
    my_exec(connection.get(), "SET time_zone = '+05:00'");
    CHECK(my_value(connection.get(), "SELECT @@time_zone") == "+05:00");
}

TEST_CASE("mysql: SET, SET NAMES and USE follow their client and are never seen by another",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    const std::string default_mode = mariadb().query("SELECT @@GLOBAL.sql_mode");
    std::atomic<int> wrong{0};
    std::atomic<int> moved{0};  // clients that ran on both backends
    const int failed = run_clients(sluice, 6, [&](int client, MYSQL* connection) {
        std::set<std::string> backends;
        // Half the clients change their session; the others must see the defaults throughout.
        const bool changes = client % 2 == 0;
        const std::string zone = "+0" + std::to_string(client) + ":00";
        if (changes) {
            my_exec(connection, "SET time_zone = '" + zone + "'");
            my_exec(connection, "SET SESSION sql_mode = 'ANSI_QUOTES'");
            my_exec(connection, "SET NAMES latin1");
            my_exec(connection, "USE app2");
        }
        for (int i = 0; i < 30; ++i) {
            MyResult state = my_query(connection, "SELECT @@time_zone, @@sql_mode, @@character_set_client, DATABASE(), CONNECTION_ID()");
            if (state.error_code != 0 || state.rows.size() != 1) throw std::runtime_error(state.error);
            const auto& row = state.rows[0];
            backends.insert(row[4].value_or(""));
            const bool right = changes ? (row[0] == zone && row[1] == "ANSI_QUOTES" && row[2] == "latin1" && row[3] == "app2")
                                       : (row[0] == "SYSTEM" && row[1] == default_mode && row[2] != "latin1" &&
                                          row[3] == "app");
            if (!right) {
                UNSCOPED_INFO("client " << client << " saw " << row[0].value_or("NULL") << " | " << row[1].value_or("NULL")
                                        << " | " << row[2].value_or("NULL") << " | " << row[3].value_or("NULL"));
                ++wrong;
            }
            // A transaction now and then keeps the other backend busy: clients move between them.
            if (i % 3 == client % 3) my_exec(connection, "BEGIN; SELECT SLEEP(0.01); COMMIT");
        }
        if (backends.size() > 1) ++moved;
    });
    CHECK(failed == 0);
    CHECK(wrong == 0);
    UNSCOPED_INFO(moved << " of 6 clients ran on both backends");
    CHECK(mariadb().count_connections("app") <= 2);

    // And one move made for certain: the changed client runs on X, then, while others hold X,
    // on Y, with its whole session there and nothing of it left on X.
    MyConnection changed = my_connect(sluice.login("app", "app"));
    my_exec(changed.get(), "SET time_zone = '+07:00'");
    my_exec(changed.get(), "SET NAMES latin1");
    my_exec(changed.get(), "USE app2");
    MyConnection holder = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    my_exec(changed.get(), "BEGIN");
    const std::string first = my_value(changed.get(), "SELECT CONNECTION_ID()");
    my_exec(holder.get(), "BEGIN");
    const std::string second = my_value(holder.get(), "SELECT CONNECTION_ID()");
    REQUIRE(second != first);
    my_exec(changed.get(), "COMMIT");
    my_exec(other.get(), "BEGIN");  // takes the one free backend: the changed client's first
    CHECK(my_value(other.get(), "SELECT CONNECTION_ID()") == first);
    CHECK(my_value(other.get(), "SELECT CONCAT(@@time_zone, '|', DATABASE())") == "SYSTEM|app");
    my_exec(holder.get(), "COMMIT");
    const MyResult moved_state =
        my_query(changed.get(), "SELECT @@time_zone, @@character_set_client, DATABASE(), CONNECTION_ID()");
    REQUIRE(moved_state.rows.size() == 1);
    CHECK(moved_state.rows[0][3] == second);
    CHECK(moved_state.rows[0][0] == "+07:00");
    CHECK(moved_state.rows[0][1] == "latin1");
    CHECK(moved_state.rows[0][2] == "app2");
    my_exec(other.get(), "COMMIT");
}

TEST_CASE("mysql: LAST_INSERT_ID() and affected rows stay per client with 10 clients over 2 backends",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    mariadb().execute(
        "CREATE TABLE IF NOT EXISTS app.ids (id BIGINT AUTO_INCREMENT PRIMARY KEY, client INT NOT NULL, v INT NOT NULL)");
    mariadb().execute("DELETE FROM app.ids");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    std::atomic<int> wrong{0};
    const int failed = run_clients(sluice, 10, [&](int client, MYSQL* connection) {
        const std::string me = std::to_string(client);
        for (int n = 1; n <= 15; ++n) {
            my_exec(connection, "INSERT INTO ids (client, v) VALUES (" + me + ", 0)");
            const std::string inserted = std::to_string(mysql_insert_id(connection));
            // A statement of its own, maybe on the other backend, after others inserted there.
            if (my_value(connection, "SELECT LAST_INSERT_ID()") != inserted) ++wrong;
            // The row it names is this client's.
            if (my_value(connection, "SELECT client FROM ids WHERE id = LAST_INSERT_ID()") != me) ++wrong;
            const MyResult updated = my_query(connection, "UPDATE ids SET v = v + 1 WHERE client = " + me);
            if (updated.error_code != 0 || updated.affected_rows != static_cast<std::uint64_t>(n)) ++wrong;
        }
    });
    CHECK(failed == 0);
    CHECK(wrong == 0);
    CHECK(mariadb().query("SELECT COUNT(*) FROM app.ids") == "150");
    // A client that never inserted sees 0, whichever backend it gets.
    MyConnection fresh = my_connect(sluice.login("app", "app"));
    for (int i = 0; i < 4; ++i) CHECK(my_value(fresh.get(), "SELECT LAST_INSERT_ID()") == "0");
}

TEST_CASE("mysql: a reset forgets LAST_INSERT_ID, SET insert_id is spent once, and state past a long query's start "
          "reaches no other client",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.ids (id BIGINT AUTO_INCREMENT PRIMARY KEY, client INT NOT NULL, v INT NOT NULL)");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection owner = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));

    // COM_RESET_CONNECTION starts the session over: LAST_INSERT_ID() is 0, on every backend.
    my_exec(owner.get(), "INSERT INTO ids (client, v) VALUES (1, 0)");
    REQUIRE(mysql_insert_id(owner.get()) != 0);
    REQUIRE(mysql_reset_connection(owner.get()) == 0);
    CHECK(my_value(other.get(), "SELECT 1") == "1");  // the one backend went to someone else meanwhile
    CHECK(my_value(owner.get(), "SELECT LAST_INSERT_ID()") == "0");

    // SET insert_id is for the next INSERT only: it must not be replayed after a move.
    const std::string next_id = mariadb().query("SELECT COALESCE(MAX(id), 0) + 1000 FROM app.ids");
    my_exec(owner.get(), "SET insert_id = " + next_id);
    my_exec(owner.get(), "INSERT INTO ids (client, v) VALUES (2, 0)");
    CHECK(std::to_string(mysql_insert_id(owner.get())) == next_id);
    my_exec(owner.get(), "INSERT INTO ids (client, v) VALUES (2, 1)");  // a fresh id, not next_id again
    CHECK(std::to_string(mysql_insert_id(owner.get())) != next_id);
    owner = my_connect(sluice.login("app", "app"));  // pinned by the SET: leave, freeing the backend
    {
        // Not followed but pinned, so under session_state: error it is refused.
        MySluice strict(MySluiceOptions{.defaults = "pool_size: 1\nsession_state: error\n"});
        MyConnection refused = my_connect(strict.login("app", "app"));
        CHECK(my_query(refused.get(), "SET insert_id = 5").error_code == 1235);
    }

    // A query over 1 MiB is read by its start only: what it leaves on the session is reset away
    // before the backend serves anyone else.
    const std::string padding(2 * 1024 * 1024, 'x');
    my_exec(owner.get(), "SELECT LENGTH('" + padding + "'), @leak := 'secret-of-owner'");
    owner = MyConnection{};  // gone; its backend goes back to the pool
    CHECK(my_value(other.get(), "SELECT COALESCE(@leak, 'none')") == "none");
}

TEST_CASE("mysql: the mariadb client's variables, temporary table, SET NAMES and USE stay its own",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    // The command-line client sends each statement as a COM_QUERY of its own.
    CommandResult result = run_command(
        {"/usr/bin/mariadb", "--no-defaults", "-h127.0.0.1", "-P" + std::to_string(sluice.mysql_port()), "-uapp",
         "-papp", "app", "-N", "-B", "-e",
         "SET @a := 5; SELECT @a * 2; CREATE TEMPORARY TABLE cli_tmp (v INT); INSERT INTO cli_tmp VALUES (3), (4); "
         "SELECT SUM(v) FROM cli_tmp; SET NAMES latin1; SELECT @@character_set_client; USE app2; SELECT DATABASE()"},
        {}, std::chrono::seconds(20));
    CHECK(result.exit_code == 0);
    CHECK(result.output == "10\n7\nlatin1\napp2\n");
    // The one backend it pinned was closed when it left: the next client starts clean.
    MyConnection next = my_connect(sluice.login("app", "app"));
    CHECK(my_value(next.get(), "SELECT COALESCE(@a, 'none')") == "none");
    CHECK(my_query(next.get(), "SELECT COUNT(*) FROM cli_tmp").error_code == 1146);
    CHECK(my_value(next.get(), "SELECT @@character_set_client") != "latin1");
    CHECK(my_value(next.get(), "SELECT DATABASE()") == "app");
}

// A backend changes hands without COM_RESET_CONNECTION only when its last client left nothing
// on it: one whose SETs it has, who ran a USE among other statements (a schema Sluice cannot
// follow) or a CALL (a routine's SETs are unseen), is reset before another client gets it. The first client stays connected, so its
// state is still its own when it comes back.
TEST_CASE("mysql: a backend whose last client left SETs, an unfollowed USE or a CALL is reset for the next client",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection setter = my_connect(sluice.login("app", "app"));
    REQUIRE(my_query(setter.get(), "SET SESSION sql_mode = 'ANSI_QUOTES'").error_code == 0);
    REQUIRE(my_query(setter.get(), "SET @@session.time_zone = '+03:00'").error_code == 0);
    const std::string backend = my_value(setter.get(), "SELECT CONNECTION_ID()");
    MyConnection other = my_connect(sluice.login("app", "app"));
    CHECK(my_value(other.get(), "SELECT CONNECTION_ID()") == backend);  // the one backend
    CHECK(my_value(other.get(), "SELECT @@sql_mode").find("ANSI_QUOTES") == std::string::npos);
    CHECK(my_value(other.get(), "SELECT @@time_zone") != "+03:00");
    CHECK(my_value(setter.get(), "SELECT @@sql_mode") == "ANSI_QUOTES");
    CHECK(my_value(setter.get(), "SELECT @@time_zone") == "+03:00");

    // Connector/C allows multi-statements by default in my_connect (CLIENT_MULTI_STATEMENTS).
    // The mover is pinned by its USE (the next test): it holds the one backend until it leaves.
    {
        MyConnection mover = my_connect(sluice.login("app", "app"));
        const MyResult moved = my_query(mover.get(), "SELECT 1; USE app2");
        REQUIRE(moved.error_code == 0);
        CHECK(my_value(mover.get(), "SELECT DATABASE()") == "app2");
    }
    CHECK(my_value(other.get(), "SELECT DATABASE()") == "app");
    CHECK(my_value(setter.get(), "SELECT DATABASE()") == "app");

    // A routine's SET is not seen by Sluice: after a CALL the backend is reset for the next client.
    MyConnection root = mariadb().root();
    my_exec(root.get(), "DROP PROCEDURE IF EXISTS app.quote_mode");
    my_exec(root.get(), "CREATE PROCEDURE app.quote_mode() SET SESSION sql_mode = 'ANSI_QUOTES,NO_ZERO_DATE'");
    MyConnection caller = my_connect(sluice.login("app", "app"));
    REQUIRE(my_query(caller.get(), "CALL quote_mode()").error_code == 0);
    CHECK(my_value(other.get(), "SELECT @@sql_mode").find("NO_ZERO_DATE") == std::string::npos);
}

// A USE among other statements cannot be followed to another backend: its client keeps the
// backend it ran on (pinned), so the statements after it still run in the schema it chose. A
// lone USE behind a comment is followed like a plain one.
TEST_CASE("mysql: a USE among other statements pins its client in that schema, one behind a comment is followed",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.notes (v INT NOT NULL)");
    mariadb().execute("CREATE TABLE IF NOT EXISTS app2.notes (v INT NOT NULL)");
    mariadb().execute("DELETE FROM app.notes");
    mariadb().execute("DELETE FROM app2.notes");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    MyConnection mover = my_connect(sluice.login("app", "app"));
    MyConnection a = my_connect(sluice.login("app", "app"));
    MyConnection b = my_connect(sluice.login("app", "app"));
    REQUIRE(my_query(mover.get(), "USE app2; INSERT INTO notes VALUES (1)").error_code == 0);
    for (int i = 0; i < 3; ++i) {  // the others take both backends meanwhile
        CHECK(my_value(a.get(), "SELECT DATABASE()") == "app");
        CHECK(my_value(b.get(), "SELECT DATABASE()") == "app");
    }
    CHECK(my_value(mover.get(), "SELECT DATABASE()") == "app2");
    REQUIRE(my_query(mover.get(), "INSERT INTO notes VALUES (2)").error_code == 0);
    CHECK(mariadb().query("SELECT COUNT(*) FROM app2.notes") == "2");
    CHECK(mariadb().query("SELECT COUNT(*) FROM app.notes") == "0");
    mover.reset();

    // Behind a comment, alone: followed, so no pin (both backends keep serving a and b).
    MyConnection commented = my_connect(sluice.login("app", "app"));
    REQUIRE(my_query(commented.get(), "/* app:web */ USE app2").error_code == 0);
    for (int i = 0; i < 3; ++i) {
        CHECK(my_value(a.get(), "SELECT DATABASE()") == "app");
        CHECK(my_value(commented.get(), "SELECT DATABASE()") == "app2");
    }
}

TEST_CASE("mysql: several statements in one query need CLIENT_MULTI_STATEMENTS or COM_SET_OPTION, as in MariaDB",
          "[mysql][mysql_session_state]") {
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.stacked (v INT NOT NULL)");
    mariadb().execute("DELETE FROM app.stacked");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    auto options = sluice.login("app", "app");
    options.multi_statements = false;
    MyConnection client = my_connect(options);
    MyResult stacked = my_query(client.get(), "SELECT 1; INSERT INTO stacked VALUES (1)");
    CHECK(stacked.error_code == 1064);
    CHECK(my_value(client.get(), "SELECT COUNT(*) FROM stacked") == "0");  // the second never ran
    // mysql_set_server_option: the client's own, answered by Sluice, never another client's.
    REQUIRE(mysql_set_server_option(client.get(), MYSQL_OPTION_MULTI_STATEMENTS_ON) == 0);
    REQUIRE(mysql_query(client.get(), "INSERT INTO stacked VALUES (2); INSERT INTO stacked VALUES (3)") == 0);
    while (mysql_next_result(client.get()) == 0) {
    }
    CHECK(my_value(client.get(), "SELECT COUNT(*) FROM stacked") == "2");
    REQUIRE(mysql_set_server_option(client.get(), MYSQL_OPTION_MULTI_STATEMENTS_OFF) == 0);
    CHECK(my_query(client.get(), "SELECT 1; SELECT 2").error_code == 1064);
    // Another client that enabled them at login still may, on the same (only) backend.
    MyConnection other = my_connect(sluice.login("app", "app"));
    REQUIRE(mysql_query(other.get(), "SELECT 1; SELECT 2") == 0);
    MYSQL_RES* first = mysql_store_result(other.get());
    REQUIRE(first != nullptr);
    mysql_free_result(first);
    CHECK(mysql_next_result(other.get()) == 0);
    MYSQL_RES* second = mysql_store_result(other.get());
    REQUIRE(second != nullptr);
    CHECK(std::string(mysql_fetch_row(second)[0]) == "2");
    mysql_free_result(second);
}

TEST_CASE("mysql: a SET run as a binary prepared statement pins its client, and no other client sees it",
          "[mysql][mysql_session_state]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nquery_wait_timeout: 300ms\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));
    {
        MyStatement set(client.get(), "SET time_zone = '+07:00'");
        set.execute({});
    }
    CHECK(my_value(client.get(), "SELECT @@time_zone") == "+07:00");
    // The only backend stays with it: another client waits (9001) instead of inheriting it.
    MyConnection other = my_connect(sluice.login("app", "app"));
    CHECK(my_query(other.get(), "SELECT @@time_zone").error_code == 9001);
    client.reset();  // leaves: the backend is reset or closed before anyone else has it
    MyConnection next = my_connect(sluice.login("app", "app"));
    CHECK(my_value(next.get(), "SELECT @@time_zone") == "SYSTEM");
}

TEST_CASE("mysql: a client whose schema was dropped goes on in the pool's database", "[mysql][mysql_session_state]") {
    mariadb().execute("CREATE DATABASE IF NOT EXISTS it_dropped");
    mariadb().execute("GRANT ALL ON it_dropped.* TO app@'%'");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection client = my_connect(sluice.login("app", "app"));
    my_exec(client.get(), "USE it_dropped");
    my_exec(client.get(), "DROP DATABASE it_dropped");
    // Another client has the only backend in between: it is put back in the client's schema,
    // which is gone. MariaDB would leave the session in none; Sluice puts it in the pool's.
    MyConnection other = my_connect(sluice.login("app", "app"));
    CHECK(my_value(other.get(), "SELECT DATABASE()") == "app");
    CHECK(my_value(client.get(), "SELECT DATABASE()") == "app");
    CHECK(my_value(client.get(), "SELECT 'still here'") == "still here");
}

TEST_CASE("mysql: a stored program's body is one statement: migrations work without CLIENT_MULTI_STATEMENTS",
          "[mysql][mysql_session_state]") {
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.migrated (v INT NOT NULL)");
    mariadb().execute("DELETE FROM app.migrated");
    // session_state: error refuses what would pin: a definition's body runs later, so it is not that.
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nsession_state: error\n"});
    auto options = sluice.login("app", "app");
    options.multi_statements = false;  // Connector/J's and mysql2's default
    MyConnection client = my_connect(options);
    my_exec(client.get(), "DROP PROCEDURE IF EXISTS add_two");
    MyResult created = my_query(client.get(),
                                "CREATE PROCEDURE add_two(IN n INT) BEGIN SET @seen = n; "
                                "INSERT INTO migrated VALUES (n); INSERT INTO migrated VALUES (n + 1); END");
    INFO(created.error);
    REQUIRE(created.error_code == 0);
    my_exec(client.get(), "DROP TRIGGER IF EXISTS migrated_double");
    MyResult trigger = my_query(client.get(),
                                "CREATE TRIGGER migrated_double BEFORE INSERT ON migrated FOR EACH ROW "
                                "BEGIN IF NEW.v > 100 THEN SET NEW.v = 100; END IF; END");
    INFO(trigger.error);
    REQUIRE(trigger.error_code == 0);
    MyConnection caller = my_connect(sluice.login("app", "app"));  // CALL's effects: its own client
    my_exec(caller.get(), "CALL add_two(200)");
    CHECK(my_value(client.get(), "SELECT GROUP_CONCAT(v ORDER BY v) FROM migrated") == "100,100");
    // A compound block run now is one statement too (MariaDB runs it outside a program).
    MyResult block = my_query(client.get(), "BEGIN NOT ATOMIC DELETE FROM migrated; INSERT INTO migrated VALUES (7); END");
    INFO(block.error);
    CHECK(block.error_code == 0);
    CHECK(my_value(client.get(), "SELECT GROUP_CONCAT(v) FROM migrated") == "7");
    // One that may SET cannot be followed: refused under session_state: error (it would pin).
    CHECK(my_query(client.get(), "BEGIN NOT ATOMIC SET @x = 1; SELECT @x; END").error_code == 1235);
    // Stacked statements after all are still refused: only compound statements are one.
    CHECK(my_query(client.get(), "SELECT 1; DELETE FROM migrated").error_code == 1064);
    my_exec(client.get(), "DROP TRIGGER migrated_double");
    my_exec(client.get(), "DROP PROCEDURE add_two");
}

TEST_CASE("mysql: SET TRANSACTION keeps the backend for the next transaction only, then lets it go",
          "[mysql][mysql_session_state]") {
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.next_tx (v INT NOT NULL)");
    mariadb().execute("DELETE FROM app.next_tx");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nquery_wait_timeout: 3s\n"});
    MyConnection setter = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    for (int round = 0; round < 2; ++round) {
        INFO("round " << round);
        // ORMs set an isolation level or access mode this way before each transaction.
        my_exec(setter.get(), "SET TRANSACTION READ ONLY");
        my_exec(setter.get(), "START TRANSACTION");
        CHECK(my_query(setter.get(), "INSERT INTO next_tx VALUES (1)").error_code == 1792);  // on the same backend
        my_exec(setter.get(), "COMMIT");
        // The transaction is over: the only backend serves the other client, read-write as usual.
        const auto started = std::chrono::steady_clock::now();
        CHECK(my_query(other.get(), "INSERT INTO next_tx VALUES (2)").error_code == 0);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(2));
    }
    // Before an autocommit statement: that statement is the transaction. One that fails leaves
    // the setting pending on the backend (MariaDB's rule): the other client must not get it.
    my_exec(setter.get(), "SET TRANSACTION READ ONLY");
    CHECK(my_query(setter.get(), "INSERT INTO next_tx VALUES (3)").error_code == 1792);
    CHECK(my_query(other.get(), "INSERT INTO next_tx VALUES (4)").error_code == 0);
    my_exec(setter.get(), "SET TRANSACTION READ ONLY");
    CHECK(my_value(setter.get(), "SELECT COUNT(*) FROM next_tx") == "3");  // read-only is fine for a read
    CHECK(my_query(other.get(), "INSERT INTO next_tx VALUES (5)").error_code == 0);
    CHECK(mariadb().query("SELECT GROUP_CONCAT(v ORDER BY v) FROM app.next_tx") == "2,2,4,5");
}

TEST_CASE("mysql: a SAVEPOINT under autocommit=0, and a SET TRANSACTION before a statement that starts no "
          "transaction, keep their backend while another client waits",
          "[mysql][mysql_session_state]") {
    // MariaDB flags neither as a transaction (no SERVER_STATUS_IN_TRANS): SQLAlchemy's
    // begin_nested() and Connector/J's setSavepoint() under autocommit=0 lost their savepoint
    // (1305) when the backend went to the waiting client, and the one-shot READ ONLY was reset away.
    mariadb().execute("CREATE TABLE IF NOT EXISTS app.savepoints (v INT NOT NULL)");
    mariadb().execute("DELETE FROM app.savepoints");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nquery_wait_timeout: 10s\n"});
    MyConnection holder = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    const auto other_query = [&] {
        return std::async(std::launch::async, [&] { return my_query(other.get(), "SELECT 7").error_code; });
    };

    my_exec(holder.get(), "SET autocommit = 0");
    my_exec(holder.get(), "SAVEPOINT sp1");
    auto waiting = other_query();
    CHECK(waiting.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);  // it waits
    CHECK(my_query(holder.get(), "INSERT INTO savepoints VALUES (1)").error_code == 0);
    CHECK(my_query(holder.get(), "ROLLBACK TO SAVEPOINT sp1").error_code == 0);
    my_exec(holder.get(), "COMMIT");
    CHECK(waiting.get() == 0);  // served once the transaction ended
    my_exec(holder.get(), "SET autocommit = 1");

    my_exec(holder.get(), "SET TRANSACTION READ ONLY");
    my_exec(holder.get(), "SELECT 1");  // no table: the setting still waits on this backend
    waiting = other_query();
    CHECK(waiting.wait_for(std::chrono::milliseconds(300)) == std::future_status::timeout);
    my_exec(holder.get(), "START TRANSACTION");
    CHECK(my_query(holder.get(), "INSERT INTO savepoints VALUES (2)").error_code == 1792);
    my_exec(holder.get(), "COMMIT");
    CHECK(waiting.get() == 0);
    CHECK(mariadb().query("SELECT COUNT(*) FROM app.savepoints") == "0");
}

TEST_CASE("mysql: each client's text is parsed with its own multi-statement setting, on any backend",
          "[mysql][mysql_session_state]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    auto single_options = sluice.login("app", "app");
    single_options.multi_statements = false;
    MyConnection single = my_connect(single_options);
    MyConnection multi = my_connect(sluice.login("app", "app"));
    for (int round = 0; round < 3; ++round) {
        INFO("round " << round);
        // A statement, ';' and a comment: one result for a client without multi-statements (as
        // from MariaDB), not a second, empty one that mysql2 returned as nested results.
        for (const std::string sql : {"SELECT 41 + 1; -- bump", "SELECT 41 + 1; /* c */", "SELECT 41 + 1; # c"}) {
            INFO(sql);
            REQUIRE(mysql_real_query(single.get(), sql.c_str(), sql.size()) == 0);
            MYSQL_RES* result = mysql_store_result(single.get());
            REQUIRE(result != nullptr);
            CHECK(std::string(mysql_fetch_row(result)[0]) == "42");
            mysql_free_result(result);
            CHECK(mysql_more_results(single.get()) == 0);
        }
        // The other client, on the same backend, still gets every result of its statements.
        REQUIRE(mysql_query(multi.get(), "SELECT 1; SELECT 2") == 0);
        int results = 0;
        do {
            if (MYSQL_RES* result = mysql_store_result(multi.get())) {
                ++results;
                mysql_free_result(result);
            }
        } while (mysql_next_result(multi.get()) == 0);
        CHECK(results == 2);
    }
}

TEST_CASE("mysql: CLIENT_IGNORE_SPACE puts IGNORE_SPACE in its client's sql_mode on every backend, as MariaDB does, "
          "and in no other client's", "[mysql][mysql_session_state]") {
    // mysql2 and mysqljs log in with CLIENT_IGNORE_SPACE: `COUNT (*)` parses for them directly.
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    auto spaced_options = sluice.login("app", "app");
    spaced_options.ignore_space = true;
    MyConnection spaced = my_connect(spaced_options);
    MyConnection plain = my_connect(sluice.login("app", "app"));
    const auto has_ignore_space = [](MYSQL* connection) {
        return my_value(connection, "SELECT FIND_IN_SET('IGNORE_SPACE', @@SESSION.sql_mode) > 0") == "1";
    };
    for (int round = 0; round < 3; ++round) {  // one backend, handed back and forth
        INFO("round " << round);
        CHECK(has_ignore_space(spaced.get()));
        CHECK(my_value(spaced.get(), "SELECT COUNT (*) FROM (SELECT 1) AS t") == "1");
        CHECK_FALSE(has_ignore_space(plain.get()));
        CHECK(mysql_query(plain.get(), "SELECT COUNT (*) FROM (SELECT 1) AS t") != 0);
        CHECK(mysql_errno(plain.get()) == 1064);
    }
    // A SET of sql_mode replaces it, as it would directly; a reset drops it, as MariaDB's does.
    REQUIRE(mysql_query(spaced.get(), "SET SESSION sql_mode = 'ANSI_QUOTES'") == 0);
    CHECK(my_value(plain.get(), "SELECT 1") == "1");  // the backend goes to the other client between
    CHECK(my_value(spaced.get(), "SELECT @@SESSION.sql_mode") == "ANSI_QUOTES");
    REQUIRE(mysql_reset_connection(spaced.get()) == 0);
    CHECK_FALSE(has_ignore_space(spaced.get()));
}

TEST_CASE("mysql: SET SESSION TRANSACTION characteristics and SETs building on earlier ones follow their client whole",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection owner = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    my_exec(owner.get(), "SET SESSION TRANSACTION READ ONLY");
    my_exec(owner.get(), "SET SESSION TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    my_exec(owner.get(), "SET sql_mode = 'ANSI_QUOTES'");
    my_exec(owner.get(), "SET sql_mode = CONCAT(@@sql_mode, ',NO_ZERO_DATE')");
    my_exec(owner.get(), "SET auto_increment_increment = @@auto_increment_increment + 3");
    my_exec(owner.get(), "SET auto_increment_increment = @@auto_increment_increment * 2");
    // Another client takes the one backend in between: it is reset, and the owner's SETs are
    // replayed on it, in order, none replacing one it builds on.
    CHECK(my_value(other.get(), "SELECT @@tx_read_only") == "0");
    CHECK(my_value(other.get(), "SELECT @@sql_mode").find("ANSI_QUOTES") == std::string::npos);
    CHECK(my_value(owner.get(), "SELECT @@tx_read_only") == "1");
    CHECK(my_value(other.get(), "SELECT 1") == "1");
    CHECK(my_value(owner.get(), "SELECT @@tx_isolation") == "SERIALIZABLE");
    CHECK(my_value(other.get(), "SELECT 1") == "1");
    const std::string mode = my_value(owner.get(), "SELECT @@sql_mode");
    CHECK(mode.find("ANSI_QUOTES") != std::string::npos);
    CHECK(mode.find("NO_ZERO_DATE") != std::string::npos);
    CHECK(my_value(other.get(), "SELECT 1") == "1");
    CHECK(my_value(owner.get(), "SELECT @@auto_increment_increment") == "8");
    // A read-only session stays read-only on the backend it has now.
    my_exec(other.get(), "CREATE TABLE IF NOT EXISTS ro_probe (v INT)");
    CHECK(my_query(owner.get(), "INSERT INTO ro_probe VALUES (1)").error_code == 1792);
}

TEST_CASE("mysql: a user variable behind a backslash is pinned under every sql_mode the server may have",
          "[mysql][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\nquery_wait_timeout: 1s\n"});
    MyConnection owner = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    my_exec(owner.get(), "SET sql_mode = 'NO_BACKSLASH_ESCAPES'");
    // Under NO_BACKSLASH_ESCAPES the string is 'a\' and a user variable and a lock follow it.
    CHECK(my_value(owner.get(), "SELECT CONCAT('a\\', @v := 'mine', GET_LOCK('it_nbe_lock', 0))") == "a\\mine1");
    // The owner keeps its backend: the other client waits for it in vain, and sees none of it.
    const MyResult waited = my_query(other.get(), "SELECT COALESCE(@v, 'none')");
    CHECK(waited.error_code != 0);  // query_wait_timeout: the one backend is the owner's
    CHECK(my_value(owner.get(), "SELECT @v") == "mine");
    CHECK(my_value(owner.get(), "SELECT IS_USED_LOCK('it_nbe_lock') = CONNECTION_ID()") == "1");
}

TEST_CASE("mysql: SHOW WARNINGS never shows another client's warnings", "[mysql][mysql_session_state]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection owner = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    // The owner's statement warns; the backend then goes to the other client.
    CHECK(my_value(owner.get(), "SELECT CAST('card-4111111111111111' AS SIGNED)") == "0");
    CHECK(my_value(owner.get(), "SHOW COUNT(*) WARNINGS") == "1");  // the same backend: its own
    const MyResult warnings = my_query(other.get(), "SHOW WARNINGS");
    REQUIRE(warnings.error_code == 0);
    CHECK(warnings.rows.empty());
    // An error is a message too.
    CHECK(my_query(owner.get(), "SELECT * FROM no_such_table_for_warnings").error_code == 1146);
    const MyResult errors = my_query(other.get(), "SHOW ERRORS");
    REQUIRE(errors.error_code == 0);
    CHECK(errors.rows.empty());
}
