// tls.server towards MySQL backends: a MariaDB of its own (one per test process) with a throwaway
// CA's certificate, a user that must come over TLS (REQUIRE SSL) and one that must show a client
// certificate (REQUIRE X509). Each backend session's own Ssl_cipher, read through Sluice, shows
// whether Sluice encrypted it; a wrong CA or a plain login where TLS is required gives the
// client the backend-login error (2003) and a log line; a reload switches new backends to TLS.
#include <catch2/catch.hpp>

#include <optional>

#include "sluice/protocol/mysql/responses.hpp"
#include "support/my_raw_login.hpp"  // before <mysql.h>, whose macros name the capability flags
#include "support/harness.hpp"
#include "support/test_ca.hpp"

using namespace sluice_it;
namespace mysql = sluice::mysql;

namespace {

constexpr std::uint16_t kBackendLoginFailed = 2003;  // CR_CONN_HOST_ERROR: "Can't connect to server"

struct TlsMariadb {
    TestCa ca;
    MariadbServer server;
    TlsMariadb()
        : ca("certified"),
          server(MariadbSetup{{{"server.crt", ca.file("server.crt")},
                               {"server.key", ca.file("server.key")},
                               {"ca.crt", ca.file("ca.crt")}},
                              {"--ssl-cert=server.crt", "--ssl-key=server.key", "--ssl-ca=ca.crt"}}) {
        server.execute("CREATE USER secure@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('tls-only-pw') "
                       "REQUIRE SSL");
        server.execute("CREATE USER certified@'%' IDENTIFIED VIA mysql_native_password USING PASSWORD('certified') "
                       "REQUIRE X509");
        server.execute("GRANT ALL ON app.* TO secure@'%', certified@'%'");
    }
};

// One TLS MariaDB per test process, started on first use.
TlsMariadb& tls_mariadb() {
    static TlsMariadb backend;
    return backend;
}

// `app` on the TLS MariaDB by IP address, `app_by_name` by host name; `tls` is the lines under
// tls.server (unindented).
MySluiceOptions tls_options(const std::string& tls) {
    const std::string port = std::to_string(tls_mariadb().server.port());
    MySluiceOptions options;
    options.databases = "app:\n  protocol: mysql\n  host: 127.0.0.1\n  port: " + port + "\n" +
                        "app_by_name:\n  protocol: mysql\n  host: localhost\n  port: " + port + "\n  dbname: app\n";
    options.users = "app:\n  password: app\nsecure:\n  password: tls-only-pw\ncertified:\n  password: certified\n";
    options.top_level = "tls:\n  server:\n" + indent(tls, 4);
    options.defaults = "server_connect_timeout: 2s\n";
    return options;
}

// The cipher of the backend session that runs the statement ("" in plain text), or the error.
std::string backend_cipher(MYSQL* connection) {
    const MyResult result = my_query(connection, "SHOW SESSION STATUS LIKE 'Ssl_cipher'");
    if (result.error_code != 0) return "error " + std::to_string(result.error_code) + ": " + result.error;
    if (result.rows.size() != 1 || result.rows[0].size() != 2 || !result.rows[0][1]) return "no row";
    return *result.rows[0][1];
}

bool is_cipher(const std::string& value) { return !value.empty() && value.find(' ') == std::string::npos; }

MyLoginOptions secure_login(const MySluice& sluice, const std::string& database = "app") {
    return sluice.login("secure", "tls-only-pw", database);
}

// The ERR packet Sluice answers `SELECT 1` with (support/my_raw_login.hpp).
std::optional<mysql::ErrPacket> statement_error(const MySluice& sluice, const std::string& user,
                                                const std::string& password) {
    return my_statement_error(sluice.mysql_port(), user, password);
}

}  // namespace

TEST_CASE("mysql server tls: require encrypts the backends, REQUIRE SSL users log in", "[mysql][mysql_server_tls]") {
    auto options = tls_options("mode: require\n");
    options.defaults += "server_check_delay: 1ms\n";  // a health check (COM_PING) before every lease
    options.defaults += "statement_timeout: 1s\n";
    MySluice sluice(options);
    for (const auto& login : {secure_login(sluice), sluice.login("app", "app")}) {
        INFO(login.user);
        MyConnection connection = my_connect(login);
        CHECK(is_cipher(backend_cipher(connection.get())));
        CHECK(my_value(connection.get(), "SELECT CURRENT_USER()") == login.user + "@%");
        // Results larger than a TLS record, and a transaction, relayed over the encrypted backend.
        CHECK(my_value(connection.get(), "SELECT LENGTH(REPEAT('x', 100000))") == "100000");
        CHECK(my_value(connection.get(), "SELECT REPEAT('y', 70000)") == std::string(70000, 'y'));
        my_exec(connection.get(), "BEGIN");
        CHECK(my_value(connection.get(), "SELECT @@in_transaction") == "1");
        my_exec(connection.get(), "COMMIT");
    }
    // Sluice's own commands on a TLS backend: the reset before another client's lease.
    MyConnection first = my_connect(secure_login(sluice));
    my_exec(first.get(), "SET @marker = 7");
    CHECK(my_value(first.get(), "SELECT @marker") == "7");
    first.reset();
    MyConnection second = my_connect(secure_login(sluice));
    CHECK(my_query(second.get(), "SELECT @marker").rows.at(0).at(0) == std::nullopt);
    CHECK(is_cipher(backend_cipher(second.get())));
    // statement_timeout's KILL QUERY logs in on a side connection as `secure`: over TLS as well,
    // or MariaDB would refuse it and the SLEEP would run its 10 s.
    const auto started = Clock::now();
    const MyResult slow = my_query(second.get(), "SELECT SLEEP(10)");
    CHECK((slow.error_code == 3024 || (slow.error_code == 0 && slow.rows.at(0).at(0) == "1")));
    CHECK(Clock::now() - started < std::chrono::seconds(5));
    CHECK(sluice.process().log().find("KILL QUERY") == std::string::npos);  // logged only when it fails
}

TEST_CASE("mysql server tls: verify-full checks the chain and the name, a client certificate is shown",
          "[mysql][mysql_server_tls]") {
    TlsMariadb& backend = tls_mariadb();
    SECTION("the right CA, by IP address and by host name") {
        MySluice sluice(tls_options("mode: verify-full\nca: " + backend.ca.file("ca.crt") + "\n"));
        for (const std::string database : {"app", "app_by_name"}) {
            INFO(database);
            MyConnection connection = my_connect(secure_login(sluice, database));
            CHECK(is_cipher(backend_cipher(connection.get())));
        }
    }
    SECTION("the wrong CA: the client's statement gets the backend-login error, the log says why") {
        MySluice sluice(tls_options("mode: verify-full\nca: " + backend.ca.file("other_ca.crt") + "\n"));
        const auto error = statement_error(sluice, "secure", "tls-only-pw");
        REQUIRE(error);
        CHECK(error->error_code == kBackendLoginFailed);
        CHECK(error->sql_state == "HY000");
        CHECK_THAT(error->error_message, Catch::StartsWith("Can't connect to server (could not connect to server "
                                                           "127.0.0.1:" + std::to_string(backend.server.port())) &&
                                             Catch::Contains("TLS: certificate verification failed"));
        CHECK(eventually([&] {
            return sluice.process().log().find("server login failed: database=app user=secure") != std::string::npos;
        }));
        CHECK(sluice.process().log().find("certificate verification failed") != std::string::npos);
        CHECK(sluice.process().log().find("tls-only-pw") == std::string::npos);
    }
    SECTION("verify-ca with a client certificate: the REQUIRE X509 user logs in") {
        MySluice sluice(tls_options("mode: verify-ca\nca: " + backend.ca.file("ca.crt") + "\ncert: " +
                                    backend.ca.file("client.crt") + "\nkey: " + backend.ca.file("client.key") + "\n"));
        MyConnection connection = my_connect(sluice.login("certified", "certified"));
        CHECK(my_value(connection.get(), "SELECT CURRENT_USER()") == "certified@%");
        CHECK(is_cipher(backend_cipher(connection.get())));
    }
}

TEST_CASE("mysql server tls: disable and prefer", "[mysql][mysql_server_tls]") {
    SECTION("disable: plain backends, the REQUIRE SSL user is refused by the server") {
        MySluice sluice(tls_options("mode: disable\n"));
        MyConnection plain = my_connect(sluice.login("app", "app"));
        CHECK(backend_cipher(plain.get()).empty());
        const auto error = statement_error(sluice, "secure", "tls-only-pw");
        REQUIRE(error);
        CHECK(error->error_code == kBackendLoginFailed);
        CHECK_THAT(error->error_message,
                   Catch::Contains("ERROR 1045 (28000): Access denied for user 'secure'@'127.0.0.1'"));
    }
    SECTION("prefer: a server offering TLS gets it") {
        MySluice sluice(tls_options("mode: prefer\n"));
        MyConnection connection = my_connect(secure_login(sluice));
        CHECK(is_cipher(backend_cipher(connection.get())));
    }
}

TEST_CASE("mysql server tls: a reload gives new MySQL backends the new tls.server", "[mysql][mysql_server_tls]") {
    MySluice sluice(tls_options("mode: disable\n"));
    const auto refused = statement_error(sluice, "secure", "tls-only-pw");
    CHECK((refused && refused->error_code == kBackendLoginFailed));
    sluice.reload_with(tls_options("mode: verify-full\nca: " + tls_mariadb().ca.file("ca.crt") + "\n"));
    // The pool that failed is retargeted: its next backend logs in over TLS.
    CHECK(eventually([&] {
        MyLogin login = my_try_connect(secure_login(sluice));
        return login && is_cipher(backend_cipher(login.connection.get()));
    }));
}
