// MySQL backends failing under Sluice: MariaDB restarted while clients work, a backend killed
// mid-query. Clients of a lost backend get 2013; the pool recovers with new backends.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <thread>

#include "support/my_raw_login.hpp"  // before <mysql.h>, whose macros name the capability flags
#include "support/harness.hpp"

using namespace sluice_it;

TEST_CASE("mysql: a backend killed mid-query gives its client 2013 and the pool recovers", "[mysql][mysql-faults]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 1\n"});
    MyConnection victim = my_connect(sluice.login("app", "app"));
    const std::string thread_id = my_value(victim.get(), "SELECT CONNECTION_ID()");
    std::thread killer([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        mariadb().execute("KILL " + thread_id);
    });
    MyResult result = my_query(victim.get(), "SELECT SLEEP(5)");
    killer.join();
    // As from MariaDB itself: SLEEP's result had begun, so the connection just closes.
    INFO(result.error);
    CHECK(result.error_code == 2013);
    // The same client goes on with a new backend, and so does another.
    MyConnection again = my_connect(sluice.login("app", "app"));
    CHECK(my_value(again.get(), "SELECT 1") == "1");
    CHECK(my_value(again.get(), "SELECT CONNECTION_ID()") != thread_id);
}

TEST_CASE("mysql: MariaDB restarted while clients work: errors, then service again", "[mysql][mysql-faults]") {
    MySluice sluice(MySluiceOptions{.defaults = "pool_size: 4\n"});
    std::atomic<bool> stop{false};
    std::atomic<int> successes_after_restart{0};
    std::atomic<bool> restarted{false};
    std::vector<std::thread> clients;
    for (int i = 0; i < 8; ++i) {
        clients.emplace_back([&] {
            while (!stop) {
                MyLogin login = my_try_connect(sluice.login("app", "app"));
                if (!login) continue;
                for (int n = 0; n < 20 && !stop; ++n) {
                    MyResult result = my_query(login.connection.get(), "SELECT 1");
                    if (result.error_code != 0) break;  // 2013 or 2003 while MariaDB is down
                    if (restarted) ++successes_after_restart;
                }
            }
        });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    mariadb().stop(SIGKILL);
    mariadb().start();
    restarted = true;
    const bool served = eventually([&] { return successes_after_restart > 50; }, Ms(20000));
    stop = true;
    for (auto& thread : clients) thread.join();
    CHECK(served);
    CHECK(sluice.process().running());
    MyConnection last = my_connect(sluice.login("app", "app"));
    CHECK(my_value(last.get(), "SELECT 1") == "1");
}

TEST_CASE("mysql: an unreachable backend refuses the client's statement", "[mysql][mysql-faults]") {
    DeadListener dead(false);
    const std::string databases = "app:\n  protocol: mysql\n  host: 127.0.0.1\n  port: " + std::to_string(dead.port()) + "\n";
    MySluice sluice(MySluiceOptions{.defaults = "server_connect_timeout: 1s\n", .databases = databases});
    // A client speaking the protocol itself gets the contract's 2003 with the reason.
    const auto error = my_statement_error(sluice.mysql_port(), "app", "app");
    REQUIRE(error);
    CHECK(error->error_code == 2003);
    CHECK_THAT(error->error_message, Catch::StartsWith("Can't connect to server (could not connect to server"));
    // MariaDB Connector/C reads a server's ERR with a client code (2000-2999) as a malformed
    // packet (2027, no reason): it gets 1105 with the same message instead.
    MyConnection connection = my_connect(sluice.login("app", "app"));
    MyResult result = my_query(connection.get(), "SELECT 1");
    CHECK(result.error_code == 1105);
    CHECK_THAT(result.error, Catch::StartsWith("Can't connect to server (could not connect to server"));
    // And so the mariadb command-line client, which says why.
    CommandResult cli = run_command({"/usr/bin/mariadb", "--no-defaults", "-h127.0.0.1",
                                     "-P" + std::to_string(sluice.mysql_port()), "-uapp", "-papp", "app", "-e", "SELECT 1"},
                                    {}, std::chrono::seconds(20));
    CHECK(cli.exit_code == 1);
    CHECK_THAT(cli.output, Catch::Contains("ERROR 1105 (HY000)") && Catch::Contains("Can't connect to server ("));
    CHECK(sluice.process().running());
}
