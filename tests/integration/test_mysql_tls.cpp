// TLS between MySQL clients and Sluice (tls.client): Connector/C and the mariadb command-line
// client over TLS (SSLRequest, the handshake, then HandshakeResponse41 encrypted), plain
// clients under allow and require, a client verifying Sluice against the wrong CA, the
// certificate replaced on SIGHUP, caching_sha2_password's full authentication over TLS for
// users whose configured password is a hash, and hba rules that see the client's TLS state
// (hostssl, hostnossl, cert).
#include <catch2/catch.hpp>

#include "sluice/auth/md5.hpp"
#include "sluice/auth/scram_secret.hpp"
#include "support/admin.hpp"
#include "support/harness.hpp"
#include "support/tls.hpp"

using namespace sluice_it;

namespace {

constexpr unsigned int kSslConnectionError = 2026;  // CR_SSL_CONNECTION_ERROR

MySluiceOptions tls_options(const TestPki& pki, const std::string& mode, bool ca = false) {
    MySluiceOptions options;
    options.users += "admin:\n  password: admin\n";
    options.top_level = pki.client_tls_yaml(mode, ca);
    return options;
}

// The mariadb command-line client as app on Sluice's MySQL port, with `flags` added.
CommandResult mariadb_cli(const MySluice& sluice, const std::vector<std::string>& flags, const std::string& sql) {
    std::vector<std::string> argv{"/usr/bin/mariadb", "--no-defaults", "-h127.0.0.1",
                                  "-P" + std::to_string(sluice.mysql_port()), "-uapp", "-papp", "app", "-N", "-B"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"-e", sql});
    return run_command(argv, {}, std::chrono::seconds(20));
}

// SHOW CLIENTS' tls column of the MySQL clients logged in as `user`.
std::vector<std::string> tls_column(MySluice& sluice, const std::string& user) {
    Connection console = admin_connect(sluice.process());
    AdminTable clients = admin_show(console.get(), "SHOW CLIENTS");
    std::vector<std::string> values;
    for (const std::size_t row : clients.where("protocol", "mysql")) {
        if (clients.at(row, "user") == user) values.push_back(clients.at(row, "tls"));
    }
    return values;
}

// The serial of the certificate a new MySQL TLS connection gets (openssl's STARTTLS for MySQL:
// the handshake, SSLRequest, then TLS), upper-case hex.
std::string presented_mysql_serial(const MySluice& sluice) {
    const auto result = run_command(
        {"/bin/sh", "-c",
         "openssl s_client -starttls mysql -connect 127.0.0.1:" + std::to_string(sluice.mysql_port()) +
             " </dev/null 2>/dev/null | openssl x509 -noout -serial"},
        {}, std::chrono::seconds(10));
    const std::string prefix = "serial=";
    if (result.exit_code != 0 || !result.output.starts_with(prefix)) return "(none: " + result.output + ")";
    return result.output.substr(prefix.size(), result.output.find('\n') - prefix.size());
}

std::string cipher_of(MYSQL* connection) {
    const char* cipher = mysql_get_ssl_cipher(connection);
    return cipher ? cipher : "";
}

}  // namespace

TEST_CASE("mysql tls: allow gives TLS to clients that ask and plain text to the others", "[mysql][tls][mysql_tls]") {
    TestPki pki;
    MySluice sluice(tls_options(pki, "allow"));

    SECTION("Connector/C verifying Sluice's certificate: TLS, SHOW CLIENTS says so") {
        auto options = sluice.login("app", "app");
        options.tls_ca = pki.path("ca.crt");
        MyConnection connection = my_connect(options);
        CHECK_FALSE(cipher_of(connection.get()).empty());
        CHECK(my_value(connection.get(), "SELECT 40 + 2") == "42");
        CHECK(my_value(connection.get(), "SELECT CURRENT_USER()") == "app@%");
        const auto tls = tls_column(sluice, "app");
        REQUIRE(tls.size() == 1);
        CHECK_THAT(tls[0], Catch::StartsWith("TLSv1.") && Catch::Contains(cipher_of(connection.get())));
    }
    SECTION("the mariadb client with --ssl-verify-server-cert") {
        const auto result = mariadb_cli(sluice, {"--ssl", "--ssl-ca=" + pki.path("ca.crt"), "--ssl-verify-server-cert"},
                                        "SELECT 6 * 7;\\s");
        CHECK(result.exit_code == 0);
        CHECK_THAT(result.output, Catch::StartsWith("42\n") && Catch::Contains("Cipher in use is"));
    }
    SECTION("plain clients still log in") {
        MyConnection connection = my_connect(sluice.login("app", "app"));
        CHECK(cipher_of(connection.get()).empty());
        CHECK(my_value(connection.get(), "SELECT 40 + 2") == "42");
        CHECK(tls_column(sluice, "app") == std::vector<std::string>{""});
        const auto result = mariadb_cli(sluice, {"--skip-ssl"}, "SELECT 6 * 7;\\s");
        CHECK(result.exit_code == 0);
        CHECK_THAT(result.output, Catch::StartsWith("42\n") && Catch::Contains("Not in use"));
    }
    SECTION("a client trusting another CA refuses Sluice's certificate") {
        auto options = sluice.login("app", "app");
        options.tls_ca = pki.path("wrong-ca.crt");
        MyLogin login = my_try_connect(options);
        CHECK_FALSE(login);
        CHECK(login.error_code == kSslConnectionError);
        const auto result = mariadb_cli(
            sluice, {"--ssl", "--ssl-ca=" + pki.path("wrong-ca.crt"), "--ssl-verify-server-cert"}, "SELECT 1");
        CHECK(result.exit_code != 0);
        CHECK_THAT(result.output, Catch::Contains("2026"));
        // Sluice logged the failed handshake and still serves.
        CHECK(eventually([&] { return sluice.process().log().find("TLS handshake with 127.0.0.1") != std::string::npos; }));
        CHECK(my_value(my_connect(sluice.login("app", "app")).get(), "SELECT 1") == "1");
    }
}

TEST_CASE("mysql tls: certificates replaced and SIGHUP: new connections see the new one", "[mysql][tls][mysql_tls]") {
    TestPki pki;
    const MySluiceOptions options = tls_options(pki, "allow");
    MySluice sluice(options);
    CHECK(presented_mysql_serial(sluice) == "1001");
    auto login = sluice.login("app", "app");
    login.tls_ca = pki.path("ca.crt");
    MyConnection connected = my_connect(login);

    pki.install_server_certificate("server2");
    sluice.reload_with(options);
    CHECK(presented_mysql_serial(sluice) == "2002");
    // The client connected before keeps its TLS session; a new one verifies the new certificate.
    CHECK(my_value(connected.get(), "SELECT 1") == "1");
    CHECK(my_value(my_connect(login).get(), "SELECT 2") == "2");
}

TEST_CASE("mysql tls: require refuses plain clients with 1045", "[mysql][tls][mysql_tls]") {
    TestPki pki;
    MySluice sluice(tls_options(pki, "require"));

    MyLogin plain = my_try_connect(sluice.login("app", "app"));
    CHECK_FALSE(plain);
    CHECK(plain.error_code == 1045);
    CHECK_THAT(plain.error, Catch::StartsWith("Access denied for user 'app'@'127.0.0.1'") &&
                                Catch::Contains("SSL required: tls.client.mode is require"));
    const auto skipped = mariadb_cli(sluice, {"--skip-ssl"}, "SELECT 1");
    CHECK(skipped.exit_code != 0);
    CHECK_THAT(skipped.output, Catch::Contains("ERROR 1045 (28000)") && Catch::Contains("SSL required"));

    auto options = sluice.login("app", "app");
    options.tls = true;
    MyConnection secured = my_connect(options);
    CHECK_FALSE(cipher_of(secured.get()).empty());
    CHECK(my_value(secured.get(), "SELECT DATABASE()") == "app");
    CHECK(mariadb_cli(sluice, {}, "SELECT 6 * 7").output == "42\n");  // the client's default: TLS when offered
}

TEST_CASE("mysql tls: caching_sha2_password's full authentication over TLS", "[mysql][tls][mysql_tls]") {
    TestPki pki;
    // Hashes of the password "app": none can check a caching_sha2_password scramble. The
    // backends log in as the database's forced user.
    MySluiceOptions options = tls_options(pki, "allow");
    options.databases = mariadb_database(mariadb().port()) + "user: app\npassword: app\n";
    options.databases = "app:\n" + indent(options.databases, 2);
    const auto verifier = sluice::auth::format_scram_verifier(sluice::auth::make_scram_secret("app", "0123456789abcdef", 4096));
    options.users = "md5user:\n  password: " + sluice::auth::pg_md5_password("app", "md5user") +
                    "\nscramuser:\n  password: \"" + verifier +
                    "\"\nhashed:\n  password: \"*5BCB3E6AC345B435C7C2E6B7949A04CE6F6563D3\"\n";
    MySluice sluice(options);
    const auto login = [&](const std::string& user, const std::string& password, bool tls, const std::string& plugin) {
        auto login_options = sluice.login(user, password);
        login_options.tls = tls;
        login_options.auth_plugin = plugin;
        return my_try_connect(login_options);
    };

    SECTION("over TLS every stored form logs in a caching_sha2_password client") {
        for (const std::string user : {"md5user", "scramuser", "hashed"}) {
            MyLogin client = login(user, "app", true, "caching_sha2_password");
            INFO(user << ": " << client.error_code << " " << client.error);
            REQUIRE(client);
            CHECK(my_value(client.connection.get(), "SELECT CURRENT_USER()") == "app@%");
            CHECK(login(user, "wrong", true, "caching_sha2_password").error_code == 1045);
        }
        // A client answering mysql_native_password first is switched to caching_sha2_password.
        CHECK(login("md5user", "app", true, ""));
        const auto result = run_command({"/usr/bin/mariadb", "--no-defaults", "-h127.0.0.1",
                                         "-P" + std::to_string(sluice.mysql_port()), "-umd5user", "-papp", "app", "-N",
                                         "-B", "--ssl", "--default-auth=caching_sha2_password", "-e", "SELECT 6 * 7"},
                                        {}, std::chrono::seconds(20));
        CHECK(result.exit_code == 0);
        CHECK(result.output == "42\n");
    }
    SECTION("without TLS the password is never asked for in clear") {
        CHECK(login("md5user", "app", false, "caching_sha2_password").error_code == 1045);
        CHECK(login("scramuser", "app", false, "").error_code == 1045);
        // A "*" hash checks a mysql_native_password scramble: that client is switched to it.
        CHECK(login("hashed", "app", false, "caching_sha2_password"));
    }
}

TEST_CASE("mysql tls: hba rules see the client's TLS state", "[mysql][tls][mysql_tls][hba]") {
    TestPki pki;
    MySluiceOptions options = tls_options(pki, "allow", true);
    options.top_level += R"(hba:
  - { type: hostssl, database: app2, user: all, address: all, method: cert }
  - { type: hostnossl, database: app, user: bob, address: 127.0.0.1/32, method: md5 }
  - { type: hostssl, database: app, user: all, address: all, method: md5 }
)";
    MySluice sluice(options);
    const auto tls_login = [&](const std::string& user, const std::string& password, const std::string& database,
                               const std::string& certificate = "") {
        auto login_options = sluice.login(user, password, database);
        login_options.tls_ca = pki.path("ca.crt");
        if (!certificate.empty()) {
            login_options.tls_cert = pki.path(certificate + ".crt");
            login_options.tls_key = pki.path(certificate + ".key");
        }
        return my_try_connect(login_options);
    };

    SECTION("hostssl: a plain client matches no rule and gets 1045, a TLS client logs in") {
        MyLogin plain = my_try_connect(sluice.login("app", "app"));
        CHECK(plain.error_code == 1045);
        CHECK_THAT(plain.error, Catch::StartsWith("Access denied for user 'app'"));
        MyLogin secured = tls_login("app", "app", "app");
        REQUIRE(secured);
        CHECK(my_value(secured.connection.get(), "SELECT 1") == "1");
    }
    SECTION("hostnossl matches the plain client only") {
        CHECK(my_try_connect(sluice.login("bob", "bob")));
        CHECK(tls_login("bob", "bob", "app"));  // the hostssl rule, with its password
        CHECK(my_try_connect(sluice.login("alice", "alice")).error_code == 1045);
    }
    SECTION("cert: the verified certificate's CN is the user, no password needed") {
        MyLogin app = tls_login("app", "not-the-password", "app2", "client-app");
        REQUIRE(app);
        CHECK(my_value(app.connection.get(), "SELECT DATABASE()") == "app2");
        CHECK(tls_login("alice", "alice", "app2", "client-app").error_code == 1045);
        CHECK(tls_login("app", "app", "app2").error_code == 1045);
        // A certificate from another CA fails the handshake itself.
        CHECK(tls_login("app", "app", "app2", "client-rogue").error_code == kSslConnectionError);
    }
}
