// Many clients, few backends: 200 concurrent clients through a transaction-mode pool of 5 all get
// correct answers, and PostgreSQL never sees more than 5 backends for that pool.
#include <catch2/catch.hpp>

#include <atomic>
#include <mutex>
#include <thread>

#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr int kClients = 200;
constexpr int kQueriesPerClient = 5;
constexpr int kPoolSize = 5;

// One client's work; returns "" on success or what went wrong.
std::string run_client(const std::string& conninfo, int client) {
    try {
        Connection conn = connect(conninfo, 60s);
        for (int q = 0; q < kQueriesPerClient; ++q) {
            int value = client * 1000 + q;
            // A little sleep so clients really queue for the 5 backends.
            PgResult result = exec_params(conn, "select $1::int * 2 from pg_sleep(0.005)",
                                          {std::to_string(value)}, 0, 60s);
            if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) return describe(result.get());
            std::string got = PQgetvalue(result.get(), 0, 0);
            if (got != std::to_string(value * 2)) {
                return "client " + std::to_string(client) + " got " + got + " for " + std::to_string(value);
            }
        }
        return "";
    } catch (const std::exception& error) {
        return "client " + std::to_string(client) + ": " + error.what();
    }
}

}  // namespace

TEST_CASE("200 concurrent clients share a transaction pool of 5", "[pg][concurrency]") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(kPoolSize) +
                       "\nquery_wait_timeout: 60s";
    SluiceProcess sluice(options);
    std::string conninfo = sluice.conninfo("app", "app");

    // Sample the pool's backends directly from PostgreSQL while the clients run.
    std::atomic<bool> done{false};
    std::atomic<int> max_backends{0};
    std::atomic<int> samples{0};
    std::string sampler_error;
    std::thread sampler([&] {
        try {
            Connection direct = connect(postgres().superuser_conninfo());
            while (!done.load()) {
                int count = std::stoi(query_value(
                    direct, "select count(*) from pg_stat_activity where usename = 'app' "
                            "and datname = 'app' and backend_type = 'client backend'"));
                if (count > max_backends.load()) max_backends.store(count);
                samples.fetch_add(1);
                std::this_thread::sleep_for(10ms);
            }
        } catch (const std::exception& error) {
            sampler_error = error.what();
        }
    });

    std::mutex errors_mutex;
    std::vector<std::string> errors;
    std::vector<std::thread> clients;
    for (int client = 0; client < kClients; ++client) {
        clients.emplace_back([&, client] {
            std::string error = run_client(conninfo, client);
            if (!error.empty()) {
                std::lock_guard lock(errors_mutex);
                errors.push_back(error);
            }
        });
    }
    for (auto& thread : clients) thread.join();
    done.store(true);
    sampler.join();

    INFO("first errors: " << (errors.empty() ? "" : errors.front()) << (errors.size() > 1 ? " | " + errors[1] : ""));
    CHECK(errors.empty());
    CHECK(sampler_error.empty());
    INFO("samples " << samples.load() << ", most backends seen " << max_backends.load());
    CHECK(samples.load() > 0);
    CHECK(max_backends.load() >= 1);
    CHECK(max_backends.load() <= kPoolSize);
    CHECK(postgres().count_backends("app", "app") <= kPoolSize);
}
