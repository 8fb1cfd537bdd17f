// Many Connector/C clients at once and what MariaDB sees of them (read directly, as root): the
// helpers the MySQL pooling and robustness tests share.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "mariadb_server.hpp"
#include "my.hpp"
#include "my_sluice.hpp"

namespace sluice_it {

// The most connections of `user` MariaDB listed while `work` ran (read directly, every 20 ms).
template <class Work>
int peak_connections(const std::string& user, Work&& work) {
    std::atomic<bool> done{false};
    std::atomic<int> peak{0};
    std::thread monitor([&] {
        MyConnection root = mariadb().root();
        while (!done) {
            const int now = std::stoi(my_value(
                root.get(), "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '" + user + "'"));
            if (now > peak) peak = now;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    try {
        work();
    } catch (...) {
        done = true;
        monitor.join();
        throw;
    }
    done = true;
    monitor.join();
    return peak;
}

// Every connection of `user` to MariaDB is gone (Sluice's backends included): the next test
// counts only its own.
inline void close_backends_of(const std::string& user) {
    MyConnection root = mariadb().root();
    MyResult ids = my_query(root.get(), "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '" + user + "'");
    for (const auto& row : ids.rows) my_query(root.get(), "KILL " + row[0].value_or("0"));
}

// Runs `body(client, connection)` for `count` clients of `sluice`, each on its own thread with
// its own login as app; returns how many threw (their messages are logged with the failure).
template <class Body>
int run_clients(const MySluice& sluice, int count, Body&& body) {
    std::atomic<int> failed{0};
    std::vector<std::thread> clients;
    for (int client = 0; client < count; ++client) {
        clients.emplace_back([&, client] {
            try {
                MyConnection connection = my_connect(sluice.login("app", "app"));
                body(client, connection.get());
            } catch (const std::exception& error) {
                UNSCOPED_INFO(error.what());
                ++failed;
            }
        });
    }
    for (auto& thread : clients) thread.join();
    return failed;
}

}  // namespace sluice_it
