// Fault injection on the client side: clients that vanish without a Terminate (mid-query,
// mid-COPY, mid-result), a slow reader, 500 clients queued on a pool of 2, slowloris logins
// and a storm of 5,000 connects. Each case checks what the clients see and that Sluice
// recovers: the backend is never reused dirty, none is leaked (pg_stat_activity read directly
// against SHOW SERVERS), memory and file descriptors come back down.
// (A client that leaves inside a transaction is test_pool_modes.cpp's "[dirty]" case.)
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "support/faults.hpp"
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

// Slack on top of every configured limit (sanitizer builds are several times slower).
constexpr Ms kSlack{2500};

SluiceOptions transaction_pool(int size, const std::string& more = "") {
    SluiceOptions options;
    options.defaults = "pool_mode: transaction\npool_size: " + std::to_string(size) + "\n" + more;
    return options;
}

// The backend a client gets holds no transaction and no half-finished work of someone else's.
void check_clean_backend(PGconn* conn) {
    CHECK(PQtransactionStatus(conn) == PQTRANS_IDLE);
    // Outside a transaction block a statement's transaction starts with it.
    CHECK(query_value(conn, "select now() = statement_timestamp()") == "t");
    CHECK_FALSE(query_optional(conn, "select pg_current_xact_id_if_assigned()::text").has_value());
}

// Backends are accounted for: as many as pool_size at most, and Sluice lists exactly those.
void check_no_backend_leaked(const SluiceProcess& sluice, int pool_size) {
    Connection console = admin_connect(sluice);
    BackendAudit audit = settled_audit(console, "app", "app");
    INFO(audit.describe());
    CHECK(audit.consistent());
    CHECK(audit.postgres_pids.size() <= static_cast<std::size_t>(pool_size));
    // Nor any other backend on the database (a half-closed one of another user, say).
    CHECK(eventually([&] { return postgres().count_client_backends("app") <= pool_size; }));
}

// After a client vanished from a pool of one backend: the next client gets that backend (or
// its replacement) at once, and clean.
void check_next_client_served_clean(const SluiceProcess& sluice) {
    auto started = Clock::now();
    Connection next = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(next, "select 'served'") == "served");
    INFO("next client served after " << since(started).count() << " ms");
    CHECK(since(started) < Ms(2000));
    check_clean_backend(next);
}

// The client leaves without a Terminate while its `marker` statement runs: the statement stops.
void vanish_and_check_statement_stops(Connection& leaver, const std::string& marker) {
    auto vanished = Clock::now();
    leaver.vanish();
    const bool stopped = eventually([&] { return active_queries(marker) == 0; }, Ms(3000));
    INFO("statement gone " << since(vanished).count() << " ms after the client");
    CHECK(stopped);
}

// A pool of one backend, held by an open transaction: clients that ask now queue behind it.
struct HeldPool {
    SluiceProcess sluice{transaction_pool(1, "query_wait_timeout: 10s")};
    Connection console = admin_connect(sluice);
    Connection holder = connect(sluice.conninfo("app", "app"));
    std::string pid = held_backend_pid(holder);  // the one backend

    static std::string held_backend_pid(PGconn* holder) {
        exec_ok(holder, "begin");
        return query_value(holder, "select pg_backend_pid()");
    }
};

// After clients vanished while queued: the backend was not spent on them (had their statements
// run, it would have been closed, their client having left mid-statement): the queue is empty,
// and the next client gets the same backend (`pid`) at once, clean.
void check_backend_not_spent_on_vanished(const SluiceProcess& sluice, PGconn* console, const std::string& pid) {
    CHECK(eventually([&] { return pool_view(console, "app", "app").cl_waiting == 0; }));
    auto started = Clock::now();
    Connection next = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(next, "select pg_backend_pid()") == pid);
    INFO("next client served after " << since(started).count() << " ms");
    CHECK(since(started) < Ms(1000));
    check_clean_backend(next);
    check_no_backend_leaked(sluice, 1);
}

// Reads up to `count` rows of a single-row-mode result; returns how many came in time.
int read_rows(PGconn* conn, int count, Ms timeout) {
    auto deadline = Clock::now() + timeout;
    int rows = 0;
    while (rows < count) {
        while (PQisBusy(conn)) {
            if (!wait_readable(conn, deadline) || PQconsumeInput(conn) == 0) return rows;
        }
        PgResult row(PQgetResult(conn));
        if (PQresultStatus(row.get()) != PGRES_SINGLE_TUPLE) return rows;
        ++rows;
    }
    return rows;
}

}  // namespace

TEST_CASE("a client that vanishes mid-query: its statement stops and its backend is not reused dirty",
          "[faults][client-vanish][mid-query]") {
    SluiceProcess sluice(transaction_pool(1));
    const std::string marker = "faults-vanish-mid-query";
    Connection leaver = connect(sluice.conninfo("app", "app"));
    REQUIRE(PQsendQuery(leaver, ("select pg_sleep(30) /* " + marker + " */").c_str()) == 1);
    REQUIRE(eventually([&] { return active_queries(marker) == 1; }));

    vanish_and_check_statement_stops(leaver, marker);

    check_next_client_served_clean(sluice);
    check_no_backend_leaked(sluice, 1);
    Connection console = admin_connect(sluice);
    CHECK(eventually([&] { return pool_view(console, "app", "app").cl_active == 0; }));
}

TEST_CASE("a client that vanishes mid-COPY FROM STDIN: no row lands and the backend is not reused dirty",
          "[faults][client-vanish][mid-copy]") {
    postgres().execute("create table if not exists faults_copy(x int)", "app");
    postgres().execute("grant all on faults_copy to app", "app");
    postgres().execute("truncate faults_copy", "app");
    SluiceProcess sluice(transaction_pool(1));
    const std::string marker = "faults-vanish-mid-copy";
    constexpr int kRows = 2000;

    Connection leaver = connect(sluice.conninfo("app", "app"));
    PgResult copy = exec(leaver, "copy faults_copy from stdin /* " + marker + " */");
    REQUIRE(PQresultStatus(copy.get()) == PGRES_COPY_IN);
    int queued = 0;
    for (int row = 0; row < kRows; ++row) {
        const std::string line = std::to_string(row) + "\n";
        queued += PQputCopyData(leaver, line.data(), static_cast<int>(line.size()));
    }
    REQUIRE(queued == kRows);
    REQUIRE(PQflush(leaver) == 0);
    // The rows reached the backend (no CopyDone: they are not committed).
    REQUIRE(eventually([] {
        return std::stoi(postgres().query("select coalesce(max(tuples_processed), 0) from pg_stat_progress_copy")) >= kRows;
    }));

    leaver.vanish();
    CHECK(eventually([] { return postgres().query("select count(*) from pg_stat_progress_copy") == "0"; }, Ms(3000)));
    CHECK(active_queries(marker) == 0);
    CHECK(postgres().query("select count(*) from faults_copy", "app") == "0");

    check_next_client_served_clean(sluice);
    Connection next = connect(sluice.conninfo("app", "app"));
    CHECK(query_value(next, "select count(*) from faults_copy") == "0");
    // And COPY works for the next client on the same pool.
    PgResult again = exec(next, "copy faults_copy from stdin");
    REQUIRE(PQresultStatus(again.get()) == PGRES_COPY_IN);
    REQUIRE(PQputCopyData(next, "1\n2\n3\n", 6) == 1);
    REQUIRE(PQputCopyEnd(next, nullptr) == 1);
    PgResult done = wait_for_result(next);
    CHECK(describe(done.get()) == "PGRES_COMMAND_OK");
    CHECK(query_value(next, "select count(*) from faults_copy") == "3");
    check_no_backend_leaked(sluice, 1);
}

TEST_CASE("a client that vanishes mid-result: the backend stops streaming and is not reused dirty",
          "[faults][client-vanish][mid-result]") {
    SluiceProcess sluice(transaction_pool(1));
    const std::string marker = "faults-vanish-mid-result";
    Connection leaver = connect(sluice.conninfo("app", "app"));
    // generate_series in the select list streams (in FROM it would be materialized first).
    REQUIRE(PQsendQuery(leaver, ("select generate_series(1, 50000000), repeat('x', 200) /* " + marker + " */").c_str()) ==
            1);
    REQUIRE(PQsetSingleRowMode(leaver) == 1);
    REQUIRE(read_rows(leaver, 1000, Ms(10000)) == 1000);
    REQUIRE(active_queries(marker) == 1);  // still streaming, held back by the client

    vanish_and_check_statement_stops(leaver, marker);

    check_next_client_served_clean(sluice);
    check_no_backend_leaked(sluice, 1);
}

TEST_CASE("clients that vanish while queued for a backend cost no backend", "[faults][client-vanish][queued]") {
    HeldPool held;
    auto& [sluice, console, holder, pid] = held;

    // They ask, queue behind the holder's transaction, and go away without a word.
    constexpr int kQueued = 20;
    std::vector<Connection> queued;
    for (int i = 0; i < kQueued; ++i) {
        queued.push_back(connect(sluice.conninfo("app", "app")));
        REQUIRE(PQsendQuery(queued.back(), "select pg_sleep(0.2) /* faults-vanished-while-queued */") == 1);
    }
    REQUIRE(eventually([&] { return pool_view(console, "app", "app").cl_waiting == kQueued; }));
    for (auto& client : queued) client.vanish();
    exec_ok(holder, "commit");

    check_backend_not_spent_on_vanished(sluice, console, pid);
}

namespace {

std::string query_message(const std::string& sql) {
    return "Q" + wire::int32(static_cast<std::uint32_t>(sql.size() + 5)) + sql + '\0';
}

// Logs a raw socket in (auth_type trust) and reads up to ReadyForQuery.
void raw_log_in(RawSocket& socket, const std::string& user, const std::string& database) {
    socket.send_bytes(wire::startup_message({{"user", user}, {"database", database}}));
    std::optional<wire::Message> message;
    while ((message = wire::read_message(socket)) && message->type != 'Z') REQUIRE(message->type != 'E');
    REQUIRE(message);
}

// Samples Sluice's VmRSS until stopped.
class RssSampler {
public:
    explicit RssSampler(const SluiceProcess& sluice)
        : thread_([this, &sluice] {
              while (!done_.load()) {
                  max_ = std::max(max_.load(), sluice.rss_kib());
                  std::this_thread::sleep_for(Ms(20));
              }
          }) {}
    ~RssSampler() { stop(); }
    long stop() {
        done_.store(true);
        if (thread_.joinable()) thread_.join();
        return max_.load();
    }

private:
    std::atomic<bool> done_{false};
    std::atomic<long> max_{0};
    std::thread thread_;
};

}  // namespace

TEST_CASE("a slow reader of a large result: bounded memory, and the pool's other backend answers promptly",
          "[faults][slow-reader]") {
    SluiceOptions options = transaction_pool(2);
    options.auth_type = "trust";
    SluiceProcess sluice(options);
    const std::string marker = "faults-slow-reader";
    Connection other = connect(sluice.conninfo("app", ""));
    CHECK(query_value(other, "select 1") == "1");
    const long rss_before = sluice.rss_kib();
    RssSampler rss(sluice);

    // ~2 GB on offer, read 8 KiB per 100 ms.
    std::optional<RawSocket> slow;
    slow.emplace(sluice.port(), Ms(10000));
    raw_log_in(*slow, "app", "app");
    slow->send_bytes(query_message("select generate_series(1, 2000000), repeat('x', 1000) /* " + marker + " */"));
    REQUIRE(eventually([&] { return active_queries(marker) == 1; }));
    const std::string slow_pid = postgres().query(
        "select pid from pg_stat_activity where state = 'active' and query like '%" + marker + "%' "
        "and pid <> pg_backend_pid()");

    std::atomic<bool> reading{true};
    std::atomic<long> received{0};
    std::thread reader([&] {
        try {
            while (reading.load() && slow->receive_exact(8192)) {
                received += 8192;
                std::this_thread::sleep_for(Ms(100));
            }
        } catch (const std::exception&) {
            // A read that timed out: `received` stays short and the checks below say so.
        }
    });
    Ms slowest{0};
    int answered = 0;
    std::set<std::string> other_pids;
    auto until = Clock::now() + Ms(5000);
    while (Clock::now() < until) {
        auto started = Clock::now();
        PgResult result = exec(other, "select pg_backend_pid()", Ms(5000));
        slowest = std::max(slowest, since(started));
        if (PQresultStatus(result.get()) == PGRES_TUPLES_OK) {
            ++answered;
            other_pids.insert(PQgetvalue(result.get(), 0, 0));
        }
        std::this_thread::sleep_for(Ms(100));
    }
    reading.store(false);
    reader.join();
    const long rss_max = rss.stop();

    INFO("rss before " << rss_before << " KiB, max " << rss_max << " KiB; slowest answer " << slowest.count()
                       << " ms of " << answered << "; the slow reader read " << received.load() << " bytes");
    CHECK(received.load() >= 30 * 8192);
    CHECK(answered >= 20);
    CHECK(slowest < Ms(1000));
    CHECK(other_pids.count(slow_pid) == 0);  // another backend of the same pool
    CHECK(rss_max - rss_before < 64 * 1024);
    CHECK(active_queries(marker) == 1);  // still held back by the reader, not buffered away

    // The slow reader leaves mid-result: the pool gets back to normal.
    slow.reset();
    CHECK(eventually([&] { return active_queries(marker) == 0; }, Ms(3000)));
    check_no_backend_leaked(sluice, 2);
    CHECK(sluice.running());
}

namespace {

// Many libpq clients driven by one poll loop (no thread per client): each connects, may run
// one query, and its outcome is recorded.
class Fleet {
public:
    enum class Phase { connecting, ready, querying, done };
    struct Client {
        Connection conn;
        Phase phase = Phase::connecting;
        PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
        bool logged_in = false;
        bool answered = false;          // the query returned rows
        std::string sqlstate;           // of the query's error
        std::string message;            // libpq's or the server's error message
        Clock::time_point sent_at{};
        Clock::time_point done_at{};
    };

    explicit Fleet(std::string query_on_login = "") : query_on_login_(std::move(query_on_login)) {}

    void start_connect(const std::string& conninfo) {
        Client client;
        client.conn = Connection(PQconnectStart(conninfo.c_str()));
        if (client.conn.get() == nullptr || PQstatus(client.conn) == CONNECTION_BAD) fail_login(client);
        clients.push_back(std::move(client));
    }

    void send_to_ready(const std::string& sql) {
        for (auto& client : clients) {
            if (client.phase == Phase::ready) send(client, sql);
        }
    }

    std::size_t unfinished() const {
        return static_cast<std::size_t>(std::count_if(clients.begin(), clients.end(), [](const Client& c) {
            return c.phase == Phase::connecting || c.phase == Phase::querying;
        }));
    }

    // Drives every client until none is connecting or querying, or the deadline passes
    // (false). `between` runs after each poll round (to start more clients, say).
    bool run(Clock::time_point deadline, const std::function<bool()>& between = {}) {
        std::vector<pollfd> fds;
        std::vector<Client*> owners;
        for (;;) {
            bool more_coming = between ? between() : false;
            if (unfinished() == 0 && !more_coming) return true;
            if (Clock::now() >= deadline) return false;
            fds.clear();
            owners.clear();
            for (auto& client : clients) {
                if (client.phase != Phase::connecting && client.phase != Phase::querying) continue;
                short events = client.phase == Phase::connecting && client.polling == PGRES_POLLING_WRITING ? POLLOUT : POLLIN;
                fds.push_back({PQsocket(client.conn), events, 0});
                owners.push_back(&client);
            }
            if (poll(fds.data(), fds.size(), 20) < 0 && errno != EINTR) return false;
            for (std::size_t i = 0; i < fds.size(); ++i) {
                if (fds[i].revents != 0) advance(*owners[i]);
            }
        }
    }

    std::vector<Client> clients;

private:
    void advance(Client& client) {
        if (client.phase == Phase::connecting) {
            client.polling = PQconnectPoll(client.conn);
            if (client.polling == PGRES_POLLING_FAILED) {
                fail_login(client);
            } else if (client.polling == PGRES_POLLING_OK) {
                client.logged_in = true;
                client.phase = Phase::ready;
                if (!query_on_login_.empty()) send(client, query_on_login_);
            }
            return;
        }
        // Whole results as they come, until libpq has nothing more (or the connection broke:
        // PQgetResult then reports it without blocking).
        for (;;) {
            if (PQisBusy(client.conn) && PQconsumeInput(client.conn) == 1 && PQisBusy(client.conn)) return;
            PgResult result(PQgetResult(client.conn));
            if (!result) break;
            if (client.done_at != Clock::time_point{}) continue;  // keep the first outcome
            client.done_at = Clock::now();
            client.answered = PQresultStatus(result.get()) == PGRES_TUPLES_OK;
            client.sqlstate = sqlstate(result.get());
            if (!client.answered) client.message = describe(result.get());
        }
        if (client.done_at == Clock::time_point{}) {
            client.done_at = Clock::now();
            client.message = "no result: " + std::string(PQerrorMessage(client.conn));
        }
        client.phase = Phase::done;
    }

    void send(Client& client, const std::string& sql) {
        client.sent_at = Clock::now();
        if (PQsendQuery(client.conn, sql.c_str()) == 1) {
            client.phase = Phase::querying;
        } else {
            client.phase = Phase::done;
            client.done_at = Clock::now();
            client.message = "send failed: " + std::string(PQerrorMessage(client.conn));
        }
    }

    static void fail_login(Client& client) {
        client.phase = Phase::done;
        client.done_at = Clock::now();
        client.message = client.conn.error_message();
    }

    std::string query_on_login_;
};

}  // namespace

TEST_CASE("a pool at its cap with 500 waiting clients: each gets its answer or a clean 57014 in time",
          "[faults][queue]") {
    constexpr int kClients = 500;
    constexpr Ms kQueryWait{2000};
    SluiceOptions options = transaction_pool(2, "query_wait_timeout: 2s");
    options.auth_type = "trust";
    SluiceProcess sluice(options);
    REQUIRE(serves(sluice, "app", ""));

    Fleet fleet;
    for (int i = 0; i < kClients; ++i) fleet.start_connect(sluice.conninfo("app", ""));
    REQUIRE(fleet.run(Clock::now() + Ms(20000)));
    int logged_in = 0;
    for (const auto& client : fleet.clients) logged_in += client.logged_in ? 1 : 0;
    REQUIRE(logged_in == kClients);

    const auto sent = Clock::now();
    fleet.send_to_ready("select pg_sleep(0.05)");
    const bool finished = fleet.run(sent + kQueryWait + Ms(15000));

    int answered = 0;
    int timed_out = 0;
    std::map<std::string, int> others;
    Ms slowest{0};
    for (const auto& client : fleet.clients) {
        if (client.phase != Fleet::Phase::done) continue;
        slowest = std::max(slowest, std::chrono::duration_cast<Ms>(client.done_at - sent));
        if (client.answered) {
            ++answered;
        } else if (client.sqlstate == "57014" && client.message.find("query_wait_timeout") != std::string::npos) {
            ++timed_out;
        } else {
            ++others[client.message];
        }
    }
    std::string other_text;
    for (const auto& [message, count] : others) other_text += message + " x" + std::to_string(count) + "; ";
    INFO("answered " << answered << ", 57014 " << timed_out << ", unfinished " << fleet.unfinished()
                     << ", slowest " << slowest.count() << " ms; others: " << other_text);
    CHECK(finished);
    CHECK(answered + timed_out == kClients);
    CHECK(others.empty());
    CHECK(answered >= 10);
    CHECK(slowest < kQueryWait + kSlack);

    fleet.clients.clear();
    Connection console = admin_connect(sluice);
    CHECK(eventually([&] { return pool_view(console, "app", "app").cl_waiting == 0; }));
    CHECK(serves(sluice, "app", ""));
    check_no_backend_leaked(sluice, 2);
    CHECK(sluice.running());
}

TEST_CASE("slowloris logins are cut at client_login_timeout while normal clients are served",
          "[faults][slowloris]") {
    constexpr int kSlowClients = 20;
    constexpr Ms kLoginTimeout{2000};
    SluiceOptions options;
    options.defaults = "client_login_timeout: 2s";
    SluiceProcess sluice(options);
    const std::string startup = wire::startup_message({{"user", "app"}, {"database", "app"}});

    std::vector<std::unique_ptr<RawSocket>> slow;
    for (int i = 0; i < kSlowClients; ++i) slow.push_back(std::make_unique<RawSocket>(sluice.port(), Ms(5000)));
    const auto started = Clock::now();

    // Normal clients log in and query meanwhile, one after another.
    std::atomic<bool> done{false};
    std::mutex normal_mutex;
    std::vector<Ms> normal_times;
    std::vector<std::string> normal_errors;
    std::thread normal([&] {
        while (!done.load()) {
            auto begun = Clock::now();
            bool ok = serves(sluice, "app", "app", "app", Ms(5000));
            std::lock_guard lock(normal_mutex);
            normal_times.push_back(since(begun));
            if (!ok) normal_errors.push_back("attempt " + std::to_string(normal_times.size()) + " failed");
            std::this_thread::sleep_for(Ms(100));
        }
    });

    // One byte per second per slow client; note when Sluice hangs up on each.
    std::vector<std::optional<Ms>> closed_after(kSlowClients);
    std::vector<std::string> farewell(kSlowClients);
    for (std::size_t sent = 0; sent < startup.size() && since(started) < kLoginTimeout + Ms(8000); ++sent) {
        for (int i = 0; i < kSlowClients; ++i) {
            if (closed_after[i]) continue;
            try {
                slow[i]->send_bytes(startup.substr(sent, 1));
            } catch (const std::exception&) {
                // Hung up already: the poll below sees it.
            }
        }
        auto tick_end = Clock::now() + Ms(1000);
        while (Clock::now() < tick_end) {
            std::vector<pollfd> fds;
            std::vector<int> which;
            for (int i = 0; i < kSlowClients; ++i) {
                if (closed_after[i]) continue;
                fds.push_back({slow[i]->fd(), POLLIN, 0});
                which.push_back(i);
            }
            if (fds.empty()) break;
            auto left = std::chrono::duration_cast<Ms>(tick_end - Clock::now());
            if (poll(fds.data(), fds.size(), static_cast<int>(std::max<long>(left.count(), 1))) <= 0) continue;
            for (std::size_t k = 0; k < fds.size(); ++k) {
                if (fds[k].revents == 0) continue;
                const int i = which[k];
                closed_after[i] = since(started);
                try {
                    if (auto message = wire::read_message(*slow[i])) {
                        auto fields = wire::error_fields(message->body);
                        farewell[i] = std::string(1, message->type) + " " + fields['C'] + " " + fields['M'];
                    }
                } catch (const std::exception& error) {
                    farewell[i] = error.what();
                }
            }
        }
        if (std::all_of(closed_after.begin(), closed_after.end(), [](const auto& c) { return c.has_value(); })) break;
    }
    done.store(true);
    normal.join();

    for (int i = 0; i < kSlowClients; ++i) {
        INFO("slow client " << i << ": " << farewell[i]);
        REQUIRE(closed_after[i].has_value());
        INFO("hung up after " << closed_after[i]->count() << " ms");
        CHECK(*closed_after[i] >= kLoginTimeout - Ms(300));
        CHECK(*closed_after[i] < kLoginTimeout + kSlack);
        CHECK(farewell[i] == "E 08006 client_login_timeout");
    }
    Ms slowest_normal{0};
    for (Ms time : normal_times) slowest_normal = std::max(slowest_normal, time);
    INFO(normal_times.size() << " normal clients, slowest " << slowest_normal.count() << " ms");
    CHECK(normal_errors.empty());
    CHECK(normal_times.size() >= 5);
    CHECK(slowest_normal < Ms(1000));
    CHECK(sluice.running());
}

TEST_CASE("a storm of 5,000 connects: every client is served, fds come back down",
          "[faults][storm]") {
    constexpr int kClients = 5000;
    constexpr int kPoolSize = 10;
    // Our fds and Sluice's (it inherits our limit): 5,000 clients and a margin.
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, 20000);
    setrlimit(RLIMIT_NOFILE, &limit);
    // A machine that cannot hold the storm fails it rather than skipping it silently.
    INFO("RLIMIT_NOFILE soft limit after raising it: " << limit.rlim_cur);
    REQUIRE(limit.rlim_cur >= 12000);
    SluiceOptions options = transaction_pool(kPoolSize, "query_wait_timeout: 30s");
    options.auth_type = "trust";
    options.top_level = "max_client_connections: 6000";
    SluiceProcess sluice(options);
    REQUIRE(serves(sluice, "app", ""));
    Connection console = admin_connect(sluice);
    const int fds_before = sluice.open_fds();
    const int backends_before = audit_backends(console, "app", "app").sluice_servers;

    // 5,000 connects spread over ~2.5 s; each runs `select 1` once logged in, and stays.
    Fleet fleet("select 1");
    fleet.clients.reserve(kClients);
    const std::string conninfo = sluice.conninfo("app", "", "app", "hostaddr=127.0.0.1");
    const auto started = Clock::now();
    const bool finished = fleet.run(started + Ms(40000), [&] {
        const auto due = std::min<long>(kClients, 2 * since(started).count() + 100);
        while (static_cast<long>(fleet.clients.size()) < due) fleet.start_connect(conninfo);
        return static_cast<int>(fleet.clients.size()) < kClients;
    });
    const Ms took = since(started);
    const int fds_peak = sluice.open_fds();

    int served = 0;
    int refused = 0;
    std::map<std::string, int> others;
    for (const auto& client : fleet.clients) {
        if (client.answered) {
            ++served;
        } else if (!client.logged_in && client.message.find("too many connections") != std::string::npos) {
            ++refused;
        } else if (client.phase == Fleet::Phase::done) {
            ++others[client.message.substr(0, 120)];
        }
    }
    std::string other_text;
    for (const auto& [message, count] : others) other_text += message + " x" + std::to_string(count) + "; ";
    INFO("served " << served << ", 53300 " << refused << ", unfinished " << fleet.unfinished() << " in "
                   << took.count() << " ms; fds before " << fds_before << ", with the clients " << fds_peak
                   << "; others: " << other_text);
    CHECK(finished);
    CHECK(served == kClients);  // max_client_connections is above the storm: no 53300 either
    CHECK(refused == 0);
    CHECK(others.empty());
    CHECK(fds_peak >= fds_before + kClients);  // they really were all connected at once

    fleet.clients.clear();  // all leave (Terminate)
    // Back to the baseline, give or take the backends the pool opened meanwhile (pool_size at most).
    BackendAudit backends = settled_audit(console, "app", "app");
    const int opened = backends.sluice_servers - backends_before;
    int fds_after = 0;
    CHECK(eventually([&] { return (fds_after = sluice.open_fds()) <= fds_before + opened + 2; }, Ms(10000)));
    INFO("fds after the storm: " << fds_after << ", backends opened meanwhile: " << opened);
    CHECK(eventually([&] { return admin_show(console, "SHOW CLIENTS").rows.size() == 1; }));  // the console
    CHECK(serves(sluice, "app", ""));
    check_no_backend_leaked(sluice, kPoolSize);
    CHECK(sluice.running());
}

TEST_CASE("clients that pipelined more before vanishing while queued cost no backend either",
          "[faults][client-vanish][queued][pipelined]") {
    HeldPool held;
    auto& [sluice, console, holder, pid] = held;

    // A first statement queues them; a second one, sent while they wait, stays unread in
    // Sluice's socket ahead of their FIN.
    constexpr int kQueued = 5;
    std::vector<Connection> queued;
    for (int i = 0; i < kQueued; ++i) {
        queued.push_back(connect(sluice.conninfo("app", "app")));
        PGconn* conn = queued.back();
        REQUIRE(PQenterPipelineMode(conn) == 1);
        REQUIRE(PQsendQueryParams(conn, "select pg_sleep(0.2) /* faults-pipelined-first */", 0, nullptr, nullptr,
                                  nullptr, nullptr, 0) == 1);
        REQUIRE(PQflush(conn) == 0);
    }
    REQUIRE(eventually([&] { return pool_view(console, "app", "app").cl_waiting == kQueued; }));
    for (auto& client : queued) {
        REQUIRE(PQsendQueryParams(client, "select pg_sleep(0.2) /* faults-pipelined-second */", 0, nullptr, nullptr,
                                  nullptr, nullptr, 0) == 1);
        REQUIRE(PQpipelineSync(client) == 1);
        REQUIRE(PQflush(client) == 0);
    }
    std::this_thread::sleep_for(Ms(100));  // the second statements reach Sluice's socket
    for (auto& client : queued) client.vanish();
    exec_ok(holder, "commit");

    check_backend_not_spent_on_vanished(sluice, console, pid);
}

TEST_CASE("a client that pipelines without reading and then vanishes frees its backend", "[faults][client-vanish]") {
    // Its answers fill the client's socket, the pump blocks writing them, the backend blocks
    // writing its own, and the main loop blocks writing more queries to it: the client leaving
    // must undo all three, or the session and its backend stay forever.
    SluiceOptions options;
    options.auth_type = "trust";
    options.defaults = "pool_size: 1\nquery_wait_timeout: 10s";
    SluiceProcess sluice(options);
    {
        RawSocket socket(sluice.port(), std::chrono::seconds(5));
        socket.send_bytes(wire::startup_message({{"user", "app"}, {"database", "app"}}));
        for (;;) {  // up to ReadyForQuery
            auto message = wire::read_message(socket);
            REQUIRE(message);
            if (message->type == 'Z') break;
        }
        const std::string sql = "select repeat('x', 1000) from generate_series(1, 10)";
        std::string query = "Q" + wire::int32(static_cast<std::uint32_t>(sql.size() + 5)) + sql + '\0';
        std::string burst;
        for (int i = 0; i < 100; ++i) burst += query;
        REQUIRE(fcntl(socket.fd(), F_SETFL, fcntl(socket.fd(), F_GETFL) | O_NONBLOCK) == 0);
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        std::size_t sent = 0;
        while (std::chrono::steady_clock::now() < until) {
            const ssize_t n = ::send(socket.fd(), burst.data() + sent, burst.size() - sent, MSG_NOSIGNAL);
            if (n > 0) sent = (sent + static_cast<std::size_t>(n)) % burst.size();
            if (n < 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));  // full: nobody reads
        }
    }  // closed with answers unread: a reset
    Connection console = admin_connect(sluice);
    CHECK(eventually([&] { return admin_show(console, "SHOW CLIENTS").where("database", "app").empty(); },
                     std::chrono::seconds(10)));
    Connection next = connect(sluice.conninfo("app", "", "app"));
    CHECK(query_value(next, "select 'the backend is free'") == "the backend is free");
}
