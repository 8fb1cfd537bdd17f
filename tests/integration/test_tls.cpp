// TLS between clients and Sluice (tls.client): libpq with sslmode=verify-full against a
// throwaway CA, a client trusting another CA, tls.client.mode require, SCRAM-SHA-256-PLUS
// (channel_binding=require), PostgreSQL 17 direct TLS through a raw OpenSSL client (Debian's
// libpq 15 has no sslnegotiation=direct), GSSENCRequest, a stalled handshake, certificates
// replaced on SIGHUP, and pgbench over TLS.
#include <catch2/catch.hpp>

#include "support/harness.hpp"
#include "support/pgbench.hpp"
#include "support/tls.hpp"

using namespace sluice_it;

namespace {

SluiceOptions tls_options(const TestPki& pki, const std::string& mode, const std::string& auth_type = "scram-sha-256") {
    SluiceOptions options;
    options.auth_type = auth_type;
    options.top_level = pki.client_tls_yaml(mode);
    return options;
}

// What Sluice says to a plain StartupMessage: the ErrorResponse's fields (empty if none).
std::map<char, std::string> plain_login_error(int port, const std::string& user) {
    RawSocket socket(port, 5s);
    socket.send_bytes(wire::startup_message({{"user", user}, {"database", "app"}}));
    for (int i = 0; i < 20; ++i) {
        const auto message = wire::read_message(socket);
        if (!message) break;
        if (message->type == 'E') return wire::error_fields(message->body);
    }
    return {};
}

}  // namespace

TEST_CASE("libpq with sslmode=verify-full logs in over TLS, a client trusting another CA refuses", "[tls]") {
    TestPki pki;
    SluiceProcess sluice(tls_options(pki, "allow"));

    SECTION("verify-full: the certificate names 127.0.0.1 and chains to the CA") {
        Connection conn = connect(sluice.conninfo("app", "app", "app", verify_full_options(pki)));
        CHECK(PQsslInUse(conn) == 1);
        CHECK_THAT(std::string(PQsslAttribute(conn, "protocol")), Catch::StartsWith("TLSv1."));
        CHECK(query_value(conn, "select current_user || '@' || current_database()") == "app@app");
    }
    SECTION("psql with verify-full and host=localhost") {
        const auto result = run_command({postgres_tool("psql"), "-X", "-At", "-c", "select 6 * 7",
                                         "host=localhost port=" + std::to_string(sluice.port()) +
                                             " user=app dbname=app " + verify_full_options(pki)},
                                        {"PGPASSWORD=app"}, 20s);
        CHECK(result.exit_code == 0);
        CHECK(result.output == "42\n");
    }
    SECTION("a CA that did not sign Sluice's certificate: verification fails") {
        Connection conn = try_connect(sluice.conninfo("app", "app", "app", verify_full_options(pki, "wrong-ca.crt")));
        CHECK_FALSE(conn.ok());
        CHECK_THAT(conn.error_message(), Catch::Contains("certificate verify failed"));
    }
    SECTION("allow: a plain client still logs in") {
        Connection conn = connect(sluice.conninfo("app", "app", "app", "sslmode=disable"));
        CHECK(PQsslInUse(conn) == 0);
        CHECK(query_value(conn, "select 1") == "1");
    }
    SECTION("GSSENCRequest is still answered N") {
        RawSocket socket(sluice.port(), 5s);
        socket.send_bytes(wire::gssenc_request());
        CHECK(socket.receive_exact(1) == std::optional<std::string>("N"));
    }
}

TEST_CASE("tls.client.mode require refuses plain clients with 28000", "[tls]") {
    TestPki pki;
    SluiceProcess sluice(tls_options(pki, "require"));

    Connection plain = try_connect(sluice.conninfo("app", "app", "app", "sslmode=disable"));
    CHECK_FALSE(plain.ok());
    CHECK_THAT(plain.error_message(), Catch::Contains("SSL required: tls.client.mode is require"));
    auto fields = plain_login_error(sluice.port(), "app");
    CHECK(fields['C'] == "28000");
    CHECK(fields['M'] == "SSL required: tls.client.mode is require");

    Connection secured = connect(sluice.conninfo("app", "app", "app", "sslmode=require"));
    CHECK(PQsslInUse(secured) == 1);
    CHECK(query_value(secured, "select current_user") == "app");
}

TEST_CASE("SCRAM-SHA-256-PLUS: channel_binding=require logs in over TLS", "[tls][auth]") {
    TestPki pki;
    SluiceProcess sluice(tls_options(pki, "allow"));

    Connection bound = connect(sluice.conninfo("app", "app", "app", verify_full_options(pki) + " channel_binding=require"));
    CHECK(query_value(bound, "select current_user") == "app");
    Connection wrong = try_connect(sluice.conninfo("app", "nope", "app", "sslmode=require channel_binding=require"));
    CHECK_FALSE(wrong.ok());
    CHECK_THAT(wrong.error_message(), Catch::Contains("password authentication failed"));
    // Without TLS there is nothing to bind to: libpq refuses on its own.
    Connection plain = try_connect(sluice.conninfo("app", "app", "app", "sslmode=disable channel_binding=require"));
    CHECK_FALSE(plain.ok());
    CHECK_THAT(plain.error_message(), Catch::Contains("channel binding"));
}

TEST_CASE("PostgreSQL 17 direct TLS: the handshake first, ALPN postgresql, then a query", "[tls]") {
    TestPki pki;
    SluiceProcess sluice(tls_options(pki, "require", "trust"));

    SECTION("ALPN postgresql: startup packet and a real result") {
        TlsRawClient client(sluice.port(), TlsClientOptions{true, "postgresql", pki.path("ca.crt"), "", ""});
        REQUIRE(client.handshake_error() == "");
        CHECK(client.alpn() == "postgresql");
        CHECK(client.peer_serial_hex() == "1001");
        CHECK(client.log_in({{"user", "app"}, {"database", "app"}}).empty());
        CHECK(client.query_value("select 41 + 1") == std::optional<std::string>("42"));
        CHECK(client.query_value("select current_user") == std::optional<std::string>("app"));
    }
    SECTION("another ALPN protocol: the handshake fails") {
        TlsRawClient client(sluice.port(), TlsClientOptions{true, "http/1.1", pki.path("ca.crt"), "", ""});
        CHECK_THAT(client.handshake_error(), Catch::Contains("no application protocol"));
    }
    SECTION("no ALPN at all: refused right after the handshake, as PostgreSQL 17 does") {
        TlsRawClient client(sluice.port(), TlsClientOptions{true, "", pki.path("ca.crt"), "", ""});
        REQUIRE(client.ok());
        auto fields = client.log_in({{"user", "app"}, {"database", "app"}});
        CHECK(fields['C'] == "08P01");
        CHECK(fields['M'] == "direct TLS connection without ALPN protocol \"postgresql\"");
    }
    SECTION("the SSLRequest route works on the same port") {
        TlsRawClient client(sluice.port(), TlsClientOptions{false, "", pki.path("ca.crt"), "", ""});
        REQUIRE(client.ok());
        CHECK(client.log_in({{"user", "app"}, {"database", "app"}}).empty());
        CHECK(client.query_value("select 'tls'") == std::optional<std::string>("tls"));
    }
}

TEST_CASE("a client stalling mid-handshake is dropped by client_login_timeout", "[tls]") {
    TestPki pki;
    SluiceOptions options = tls_options(pki, "allow");
    options.defaults = "client_login_timeout: 2s";
    SluiceProcess sluice(options);

    RawSocket socket(sluice.port(), 6s);
    socket.send_bytes(wire::ssl_request());
    REQUIRE(socket.receive_exact(1) == std::optional<std::string>("S"));
    const auto start = Clock::now();
    // Half a ClientHello record header, then nothing.
    socket.send_bytes(std::string("\x16\x03\x01", 3));
    // While that handshake waits, the workers serve others (accepted connections go to the two
    // workers in turn, so some share the stalled client's): they log in over TLS at once.
    for (int i = 0; i < 3; ++i) {
        Connection other = connect(sluice.conninfo("app", "app", "app", "sslmode=require"));
        CHECK(query_value(other, "select 1") == "1");
    }
    CHECK(since(start) < 1500ms);
    CHECK(socket.receive_exact(1) == std::nullopt);  // closed, no plaintext error
    CHECK(since(start) >= 1500ms);
    CHECK(since(start) < 4500ms);
    CHECK(eventually([&] { return sluice.log().find("reason=client_login_timeout") != std::string::npos; }));
}

TEST_CASE("certificates replaced and SIGHUP: new connections see the new serial, connected clients stay", "[tls][reload]") {
    TestPki pki;
    SluiceProcess sluice(tls_options(pki, "allow"));
    CHECK(presented_serial(sluice.port()) == "1001");
    Connection before = connect(sluice.conninfo("app", "app", "app", verify_full_options(pki)));
    CHECK(query_value(before, "select 1") == "1");

    pki.install_server_certificate("server2");
    sluice.reload();
    CHECK(eventually([&] { return presented_serial(sluice.port()) == "2002"; }));
    CHECK(query_value(before, "select 'still here'") == "still here");
    Connection after = connect(sluice.conninfo("app", "app", "app", verify_full_options(pki)));
    CHECK(query_value(after, "select 2") == "2");

    SECTION("a broken certificate: the reload is refused, the current one stays") {
        write_file(pki.path("server.crt"), "not a certificate\n");
        sluice.reload();
        CHECK(eventually([&] { return sluice.log().find("keeping the current certificate") != std::string::npos; }));
        CHECK(presented_serial(sluice.port()) == "2002");
        CHECK(query_value(before, "select 3") == "3");
        // RELOAD in the console says why, naming the file.
        Connection admin = connect(sluice.conninfo("admin", "admin", "sluice", "sslmode=require"));
        PgResult reload = exec(admin, "RELOAD");
        CHECK(sqlstate(reload.get()) == "58000");
        CHECK_THAT(describe(reload.get()), Catch::Contains("RELOAD failed: " + sluice.config_path() +
                                                           ": tls.client.cert '" + pki.path("server.crt") + "'"));
        CHECK(presented_serial(sluice.port()) == "2002");
    }
}

TEST_CASE("pgbench over TLS: no failed transaction", "[tls][pgbench]") {
    TestPki pki;
    SluiceProcess sluice(tls_options(pki, "require"));
    initialize_pgbench_tables_directly();
    const auto run = run_command(pgbench_command(sluice, {"-c", "4", "-j", "2", "-T", "3", "-n"}),
                                 {"PGPASSWORD=app", "PGSSLMODE=require", "PGGSSENCMODE=disable"}, 60s);
    INFO(run.output);
    CHECK(run.exit_code == 0);
    CHECK(failed_transactions(run.output) == 0);
    CHECK(processed_transactions(run.output) > 0);
}
