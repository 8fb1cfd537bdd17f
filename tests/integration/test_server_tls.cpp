// tls.server: Sluice to a PostgreSQL that accepts only TLS (hostssl rules), with a throwaway CA
// made by openssl for this process. verify-full logs in and pg_stat_ssl, read directly, shows
// every backend encrypted; a wrong CA gives 08001 fast; prefer falls back to plain; pgbench runs
// without a failed transaction; cancels and reloads work over TLS.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "support/admin.hpp"
#include "support/faults.hpp"
#include "support/harness.hpp"
#include "support/pgbench.hpp"
#include "support/test_ca.hpp"

using namespace sluice_it;

namespace {

// Only hostssl for TCP: a plain login from Sluice would be refused by PostgreSQL itself.
// `certified` logs in by its client certificate alone (CN = role name).
const char* const kHostsslOnly =
    "local all all trust\n"
    "hostssl all certified 127.0.0.1/32 cert\n"
    "hostssl all all 127.0.0.1/32 scram-sha-256\n";

struct TlsBackend {
    TestCa ca;
    PostgresServer server;
    TlsBackend()
        : ca("certified"),
          server(PostgresSetup{kHostsslOnly,
                               {{"server.crt", ca.file("server.crt")},
                                {"server.key", ca.file("server.key")},
                                {"ca.crt", ca.file("ca.crt")}},
                               {"ssl=on", "ssl_cert_file=server.crt", "ssl_key_file=server.key", "ssl_ca_file=ca.crt"}}) {
        server.execute("CREATE ROLE certified LOGIN");
        server.execute("GRANT CONNECT ON DATABASE app TO certified");
    }
};

// One TLS PostgreSQL per test process, started on first use.
TlsBackend& tls_backend() {
    static TlsBackend backend;
    return backend;
}

// `app` on the TLS PostgreSQL by IP address, `app_by_name` by host name (verify-full checks both).
SluiceOptions tls_options(const std::string& mode, const std::string& ca_file, const std::string& auth_type = "scram-sha-256") {
    const int port = tls_backend().server.port();
    SluiceOptions options;
    options.auth_type = auth_type;
    options.databases = {};
    options.extra_databases = "app:\n  host: 127.0.0.1\n  port: " + std::to_string(port) + "\n  dbname: app\n" +
                              "app_by_name:\n  host: localhost\n  port: " + std::to_string(port) + "\n  dbname: app\n";
    options.top_level = "tls:\n  server:\n    mode: " + mode + (ca_file.empty() ? "" : "\n    ca: " + ca_file) + "\n";
    options.defaults = "server_connect_timeout: 2s\nserver_login_retry: 100ms";
    return options;
}

// Backends of `user` on the TLS server and how many of them pg_stat_ssl shows encrypted.
std::pair<int, int> encrypted_backends(const std::string& user) {
    const std::string counts = tls_backend().server.query(
        "select count(*) || '/' || count(*) filter (where s.ssl) from pg_stat_activity a "
        "join pg_stat_ssl s using (pid) where a.usename = " + sql_literal(user));
    const auto slash = counts.find('/');
    return {std::stoi(counts.substr(0, slash)), std::stoi(counts.substr(slash + 1))};
}

// Says 'S' to every SSLRequest, then never sends a byte of the TLS handshake.
class StallsAfterYes {
public:
    StallsAfterYes() : port_(pick_free_port()) {
        fd_ = listen_on_loopback(port_, "StallsAfterYes");
        thread_ = std::thread([this] { serve(); });
    }
    ~StallsAfterYes() {
        stop_ = true;
        thread_.join();
        for (int client : clients_) close(client);
        close(fd_);
    }
    int port() const { return port_; }

private:
    void serve() {
        while (!stop_) {
            pollfd ready{fd_, POLLIN, 0};
            if (poll(&ready, 1, 50) != 1) continue;
            int client = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) continue;
            clients_.push_back(client);
            char request[8];
            pollfd readable{client, POLLIN, 0};
            if (poll(&readable, 1, 1000) == 1 && recv(client, request, sizeof request, MSG_WAITALL) == 8) {
                (void)send(client, "S", 1, MSG_NOSIGNAL);
            }
        }
    }

    int port_;
    int fd_ = -1;
    std::atomic<bool> stop_{false};
    std::vector<int> clients_;
    std::thread thread_;
};

}  // namespace

TEST_CASE("verify-full to a hostssl-only PostgreSQL: every backend encrypted", "[server_tls]") {
    SluiceProcess sluice(tls_options("verify-full", tls_backend().ca.file("ca.crt")));
    for (const std::string database : {"app", "app_by_name"}) {
        INFO("database " << database);
        Connection conn = connect(sluice.conninfo("alice", "alice", database));
        CHECK(query_value(conn, "select current_user") == "alice");
        // Through Sluice, its own backend's row in pg_stat_ssl.
        CHECK(query_value(conn, "select ssl::text || ' ' || version from pg_stat_ssl where pid = pg_backend_pid()")
                  .starts_with("true TLSv1."));
    }
    // Read directly as superuser: alice's backends are Sluice's, and all of them are encrypted.
    const auto [total, encrypted] = encrypted_backends("alice");
    CHECK(total >= 1);
    CHECK(encrypted == total);
    // SHOW SERVERS says so too, as PgBouncer's tls column does.
    Connection console = admin_connect(sluice);
    const AdminTable servers = admin_show(console, "SHOW SERVERS");
    const auto rows = servers.where("user", "alice");
    REQUIRE_FALSE(rows.empty());
    for (const auto row : rows) CHECK(servers.at(row, "tls").starts_with("TLSv1."));
}

TEST_CASE("tls.server.cert/key: a backend that authenticates by client certificate lets Sluice in", "[server_tls]") {
    auto& backend = tls_backend();
    auto options = tls_options("verify-full", backend.ca.file("ca.crt"));
    options.top_level += "    cert: " + backend.ca.file("client.crt") + "\n    key: " + backend.ca.file("client.key") + "\n";
    options.users.push_back({"certified", "client-side-only", ""});  // checks the client; the backend wants the cert
    SluiceProcess sluice(options);
    Connection conn = connect(sluice.conninfo("certified", "client-side-only"));
    CHECK(query_value(conn, "select current_user || ' ' || client_dn from pg_stat_ssl where pid = pg_backend_pid()") ==
          "certified /CN=certified");
}

TEST_CASE("a backend certificate from another CA gives 08001 within server_connect_timeout", "[server_tls]") {
    SluiceProcess sluice(tls_options("verify-ca", tls_backend().ca.file("other_ca.crt"), "trust"));
    for (int round = 0; round < 2; ++round) {
        const auto started = Clock::now();
        auto error = raw_login_error(sluice.port(), "alice", "app");
        INFO("[" << error['C'] << "] " << error['M']);
        CHECK(error['C'] == "08001");
        CHECK_THAT(error['M'], Catch::Contains("certificate verification failed"));
        CHECK(since(started) < Ms(2000));
    }
    CHECK(sluice.running());
}

TEST_CASE("a backend that stalls mid-handshake gives 08001 at server_connect_timeout, never a hang", "[server_tls]") {
    StallsAfterYes stalling;
    SluiceOptions options;
    options.auth_type = "trust";
    options.databases = {};
    options.extra_databases = "stalled:\n  host: 127.0.0.1\n  port: " + std::to_string(stalling.port()) + "\n  dbname: app\n";
    options.top_level = "tls:\n  server:\n    mode: require\n";
    options.defaults = "server_connect_timeout: 1s\nserver_login_retry: 100ms";
    SluiceProcess sluice(options);
    const auto started = Clock::now();
    auto error = raw_login_error(sluice.port(), "alice", "stalled", 10s);
    INFO("[" << error['C'] << "] " << error['M'] << " after " << since(started).count() << " ms");
    CHECK(error['C'] == "08001");
    CHECK_THAT(error['M'], Catch::Contains("server_connect_timeout"));
    CHECK(since(started) >= Ms(900));
    CHECK(since(started) < Ms(2000));
}

TEST_CASE("prefer falls back to plain text against a PostgreSQL without TLS, require refuses it", "[server_tls]") {
    SluiceOptions options;
    options.top_level = "tls:\n  server:\n    mode: prefer\n";
    SluiceProcess sluice(options);
    Connection conn = connect(sluice.conninfo("alice", "alice"));
    CHECK(query_value(conn, "select ssl::text from pg_stat_ssl where pid = pg_backend_pid()") == "false");

    options.auth_type = "trust";
    options.top_level = "tls:\n  server:\n    mode: require\n";
    SluiceProcess strict(options);
    auto error = raw_login_error(strict.port(), "alice", "app");
    CHECK(error['C'] == "08001");
    CHECK_THAT(error['M'], Catch::Contains("server does not support TLS"));
}

TEST_CASE("require over TLS uses SCRAM-SHA-256-PLUS towards the backend", "[server_tls]") {
    auto options = tls_options("require", "");
    options.top_level += "log_level: debug\n";
    SluiceProcess sluice(options);
    Connection conn = connect(sluice.conninfo("bob", "bob"));
    CHECK(query_value(conn, "select ssl::text from pg_stat_ssl where pid = pg_backend_pid()") == "true");
    CHECK_THAT(sluice.log(), Catch::Contains("logged in to 127.0.0.1:" + std::to_string(tls_backend().server.port()) +
                                             " as bob over TLS with SCRAM-SHA-256-PLUS"));
}

TEST_CASE("a statement over a TLS backend is cancelled through a TLS cancel connection", "[server_tls]") {
    SluiceProcess sluice(tls_options("verify-full", tls_backend().ca.file("ca.crt")));
    Connection conn = connect(sluice.conninfo("alice", "alice"));
    REQUIRE(PQsendQuery(conn, "select pg_sleep(30)") == 1);
    std::this_thread::sleep_for(300ms);
    PGcancel* cancel = PQgetCancel(conn);
    char message[256];
    REQUIRE(PQcancel(cancel, message, sizeof message) == 1);
    PQfreeCancel(cancel);
    PgResult result = wait_for_result(conn, 10s);
    CHECK(sqlstate(result.get()) == "57014");
    while (PgResult rest{PQgetResult(conn)}) {}
    CHECK(query_value(conn, "select 1") == "1");
}

TEST_CASE("SIGHUP: a new server CA applies to new backends, an unusable one keeps the old", "[server_tls]") {
    auto& backend = tls_backend();
    SluiceProcess sluice(tls_options("verify-full", backend.ca.file("other_ca.crt"), "trust"));
    CHECK(raw_login_error(sluice.port(), "alice", "app")['C'] == "08001");

    sluice.write_config(sluice_config(sluice.port(), tls_options("verify-full", backend.ca.file("ca.crt"), "trust")));
    sluice.reload();
    CHECK(eventually([&] { return raw_login_error(sluice.port(), "alice", "app").empty(); }));

    // A CA file that is not a certificate: the reload is refused and the working CA stays.
    write_file(backend.ca.file("broken.crt"), "not a certificate\n");
    sluice.write_config(sluice_config(sluice.port(), tls_options("verify-full", backend.ca.file("broken.crt"), "trust")));
    sluice.reload();
    CHECK(eventually([&] { return sluice.log().find("reload rejected: tls.server.ca") != std::string::npos; }));
    Connection fresh = connect(sluice.conninfo("bob", "bob"));  // a new pool: its backends use the kept context
    CHECK(query_value(fresh, "select ssl::text from pg_stat_ssl where pid = pg_backend_pid()") == "true");
}

TEST_CASE("pgbench through Sluice to a TLS backend: no failed transaction", "[server_tls]") {
    auto& backend = tls_backend();
    std::vector<std::string> direct_env = {"PGPASSWORD=app", "PGSSLMODE=require", "PGCONNECT_TIMEOUT=10"};
    CommandResult init = run_command(pgbench_command(backend.server.port(), {"-i", "-s", "1", "-q"}), direct_env, 120s);
    REQUIRE(init.exit_code == 0);
    SluiceProcess sluice(tls_options("verify-full", backend.ca.file("ca.crt")));
    CommandResult run = run_command(pgbench_command(sluice, {"-c", "4", "-j", "2", "-t", "250"}), client_env(), 180s);
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(failed_transactions(run.output) == 0);
    CHECK(processed_transactions(run.output) == 1000);
    const auto [total, encrypted] = encrypted_backends("app");
    CHECK(encrypted == total);
}
