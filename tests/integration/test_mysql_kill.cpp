// A MySQL client's own KILL through Sluice (issue 14): drivers cancel with `KILL QUERY <id>` on
// a new connection, <id> being the connection id of the handshake (mysql_thread_id), which Sluice
// routes to the backend that client holds now, and to nothing else.
#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "support/admin.hpp"
#include "support/harness.hpp"
#include "support/my_clients.hpp"
#include "support/poll.hpp"

using namespace sluice_it;

namespace {

constexpr unsigned int kNoSuchThread = 1094;
constexpr unsigned int kNotOwner = 1095;
constexpr unsigned int kNotSupported = 1235;

struct TimedResult {
    MyResult result;
    std::chrono::milliseconds took{0};
};

// Runs `sql` on `connection` on a thread of its own.
std::future<TimedResult> run_async(MYSQL* connection, std::string sql) {
    return std::async(std::launch::async, [connection, sql = std::move(sql)] {
        const auto started = Clock::now();
        TimedResult timed{my_query(connection, sql)};
        timed.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
        return timed;
    });
}

// Until MariaDB runs `count` statements starting with `prefix` (read directly).
void wait_for_running(const std::string& prefix, int count) {
    MyConnection root = mariadb().root();
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    const std::string sql = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '" + prefix + "%'";
    while (std::stoi(my_value(root.get(), sql)) < count) {
        REQUIRE(Clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

// MariaDB ends a killed SLEEP with the row 1 (or ERR 1317 when it is caught earlier).
bool killed_sleep(const MyResult& result) {
    if (result.error_code != 0) return result.error_code == 1317;
    return result.rows.size() == 1 && result.rows[0].size() == 1 && result.rows[0][0] == "1";
}

}  // namespace

TEST_CASE("mysql: a client's KILL QUERY with its own connection id cancels its query only", "[mysql][mysql-kill]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 3\n"});
    MyConnection victim = my_connect(sluice.login("app", "app"));
    MyConnection bystander = my_connect(sluice.login("app", "app"));
    const std::string victim_id = std::to_string(mysql_thread_id(victim.get()));
    auto killed = run_async(victim.get(), "SELECT SLEEP(10)");
    auto spared = run_async(bystander.get(), "SELECT SLEEP(2)");
    wait_for_running("SELECT SLEEP(", 2);
    // As Connector/J's cancel() does it: a new connection, the handshake's id.
    MyConnection canceller = my_connect(sluice.login("app", "app"));
    // With comments around it, as sqlcommenter-style applications and pt-kill send it.
    const MyResult kill = my_query(canceller.get(), "/* app:web */ KILL QUERY " + victim_id + " /*traceparent='00-ab'*/");
    INFO(kill.error);
    CHECK(kill.error_code == 0);
    const TimedResult victim_result = killed.get();
    const TimedResult bystander_result = spared.get();
    CHECK(killed_sleep(victim_result.result));
    CHECK(victim_result.took < std::chrono::seconds(5));
    // The other client's SLEEP ran its full 2 s and returned 0 (not interrupted).
    REQUIRE(bystander_result.result.error_code == 0);
    CHECK(bystander_result.result.rows[0][0] == "0");
    CHECK(bystander_result.took >= std::chrono::milliseconds(1900));
    // Both go on; the canceller's connection too.
    CHECK(my_value(victim.get(), "SELECT 7") == "7");
    CHECK(my_value(bystander.get(), "SELECT 8") == "8");
    CHECK(my_value(canceller.get(), "SELECT 9") == "9");
}

TEST_CASE("mysql: a KILL QUERY while the query waits for a backend stops it when it starts", "[mysql][mysql-kill]") {
    close_backends_of("app");
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n",
                                  .users = "app:\n  password: app\nadmin:\n  password: admin\n"});
    MyConnection holder = my_connect(sluice.login("app", "app"));
    MyConnection victim = my_connect(sluice.login("app", "app"));
    MyConnection killer = my_connect(sluice.login("app", "app"));
    Connection console = admin_connect(sluice.process());
    my_exec(holder.get(), "BEGIN");
    REQUIRE(my_value(holder.get(), "SELECT 1") == "1");  // the one backend is the holder's
    auto queued = run_async(victim.get(), "SELECT SLEEP(4)");
    // Queued behind the holder (as Sluice sees it) before the KILL.
    REQUIRE(eventually([&] { return pool_view(console, "app", "app").cl_waiting == 1; }, Ms(5000), Ms(5)));
    CHECK(my_query(killer.get(), "KILL QUERY " + std::to_string(mysql_thread_id(victim.get()))).error_code == 0);
    const auto released = Clock::now();
    my_exec(holder.get(), "COMMIT");
    const TimedResult result = queued.get();
    // Stopped as it started, long before 4 s.
    CHECK(killed_sleep(result.result));
    CHECK(Clock::now() - released < std::chrono::milliseconds(3000));
    CHECK(my_value(victim.get(), "SELECT 5") == "5");  // and the client goes on
}

TEST_CASE("mysql: KILL of an unknown id, another user's client or a USER is refused", "[mysql][mysql-kill]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    MyConnection app = my_connect(sluice.login("app", "app"));
    MyConnection alice = my_connect(sluice.login("alice", "alice"));
    const std::string app_id = std::to_string(mysql_thread_id(app.get()));
    // Sluice's ids have 30 bits: this one is never handed out.
    CHECK(my_query(alice.get(), "KILL QUERY 4294967295").error_code == kNoSuchThread);
    // A backend's own thread id means nothing through Sluice, and never reaches a backend.
    const std::string backend_id = my_value(app.get(), "SELECT CONNECTION_ID()");
    CHECK(my_query(app.get(), "KILL " + backend_id).error_code == kNoSuchThread);
    CHECK(my_query(app.get(), "/* a comment first */ KILL QUERY " + backend_id).error_code == kNoSuchThread);
    // Forms Sluice cannot route are refused, never relayed: behind another statement, prepared.
    CHECK(my_query(app.get(), "PREPARE k FROM 'KILL " + backend_id + "'").error_code == kNotSupported);
    MYSQL_STMT* prepared_kill = mysql_stmt_init(app.get());
    REQUIRE(prepared_kill);
    CHECK(mysql_stmt_prepare(prepared_kill, "KILL QUERY ?", 12) != 0);
    CHECK(mysql_stmt_errno(prepared_kill) == kNotSupported);
    mysql_stmt_close(prepared_kill);
    CHECK(my_query(alice.get(), "KILL QUERY " + app_id).error_code == kNotOwner);
    CHECK(my_query(alice.get(), "KILL " + app_id).error_code == kNotOwner);
    CHECK(my_query(alice.get(), "KILL USER app").error_code == kNotSupported);
    // Nothing happened to anyone.
    CHECK(my_value(app.get(), "SELECT 1") == "1");
    CHECK(my_value(alice.get(), "SELECT 2") == "2");
}

TEST_CASE("mysql: KILL <id> and mysql_kill end that client's connection only", "[mysql][mysql-kill]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 2\n"});
    MyConnection first = my_connect(sluice.login("app", "app"));
    MyConnection second = my_connect(sluice.login("app", "app"));
    MyConnection other = my_connect(sluice.login("app", "app"));
    MyConnection killer = my_connect(sluice.login("app", "app"));
    REQUIRE(my_value(first.get(), "SELECT 1") == "1");
    CHECK(my_query(killer.get(), "KILL CONNECTION " + std::to_string(mysql_thread_id(first.get()))).error_code == 0);
    // COM_PROCESS_KILL, as Connector/C's mysql_kill() sends it.
    CHECK(mysql_kill(killer.get(), mysql_thread_id(second.get())) == 0);
    CHECK(eventually([&] { return my_query(first.get(), "SELECT 1").error_code != 0; }, Ms(3000)));
    CHECK(eventually([&] { return my_query(second.get(), "SELECT 1").error_code != 0; }, Ms(3000)));
    CHECK(my_value(other.get(), "SELECT 3") == "3");
    CHECK(my_value(killer.get(), "SELECT 4") == "4");
    CHECK(sluice.process().log().find("client_kill") != std::string::npos);
}
