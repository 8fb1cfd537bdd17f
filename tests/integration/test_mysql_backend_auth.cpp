// Backend logins past mysql_native_password against the real MariaDB: a user IDENTIFIED VIA
// ed25519 (the server plugin auth_ed25519, installed here as the harness's root), to which
// Sluice logs in with the user's plain password by signing the server's nonce
// (client_ed25519). A wrong password in Sluice's config gives the client the backend-login
// error (2003) with the server's reason, and the log says why.
// (caching_sha2_password's RSA exchange has no server here: MariaDB 10.11 ships no
// caching_sha2_password plugin; tests/unit/protocol/mysql_server_login_auth_test.cpp plays it.)
#include <catch2/catch.hpp>

#include "support/my_raw_login.hpp"  // before <mysql.h>, whose macros name the capability flags
#include "support/harness.hpp"

using namespace sluice_it;

namespace {

constexpr std::uint16_t kBackendLoginFailed = 2003;  // CR_CONN_HOST_ERROR: "Can't connect to server"
const std::string kEd25519Password = "secret-ed25519-pw";

// The plugin and the user edu on the shared MariaDB; again for every section, so idempotent.
void create_ed25519_user() {
    const MariadbServer& server = mariadb();
    if (server.query("SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519'") == "0") {
        server.execute("INSTALL SONAME 'auth_ed25519'");
    }
    server.execute("CREATE OR REPLACE USER edu@'%' IDENTIFIED VIA ed25519 USING PASSWORD('" + kEd25519Password +
                   "')");
    server.execute("GRANT ALL ON app.* TO edu@'%'");
}

// Sluice's user edu, whose `password` both checks the client and logs in to MariaDB.
MySluiceOptions ed25519_options(const std::string& password) {
    MySluiceOptions options;
    options.users = "edu:\n  password: " + password + "\n";
    options.defaults = "server_connect_timeout: 2s\n";
    return options;
}

}  // namespace

TEST_CASE("mysql backend auth: client_ed25519 logs in to a MariaDB ed25519 user", "[mysql][mysql_backend_auth]") {
    create_ed25519_user();
    REQUIRE(mariadb().query("SELECT plugin FROM mysql.user WHERE user = 'edu'") == "ed25519");
    MySluice sluice(ed25519_options(kEd25519Password));
    MyConnection first = my_connect(sluice.login("edu", kEd25519Password));
    CHECK(my_value(first.get(), "SELECT CURRENT_USER()") == "edu@%");
    CHECK(my_value(first.get(), "SELECT DATABASE()") == "app");
    // A second backend of the pool, opened while the first is held by a transaction: every
    // login signs its own server's nonce.
    my_exec(first.get(), "BEGIN");
    MyConnection second = my_connect(sluice.login("edu", kEd25519Password));
    CHECK(my_value(second.get(), "SELECT 6 * 7") == "42");
    CHECK(my_value(second.get(), "SELECT CONNECTION_ID()") != my_value(first.get(), "SELECT CONNECTION_ID()"));
    my_exec(first.get(), "COMMIT");
    CHECK(mariadb().count_connections("edu") == 2);
}

TEST_CASE("mysql backend auth: a wrong password for an ed25519 user gives the client 2003 with the reason",
          "[mysql][mysql_backend_auth]") {
    create_ed25519_user();
    // Sluice accepts the client (its own config says so); MariaDB refuses Sluice's signature.
    const std::string wrong = "not-the-ed25519-pw";
    MySluice sluice(ed25519_options(wrong));
    const auto error = my_statement_error(sluice.mysql_port(), "edu", wrong);
    REQUIRE(error);
    CHECK(error->error_code == kBackendLoginFailed);
    CHECK(error->sql_state == "HY000");
    CHECK_THAT(error->error_message, Catch::StartsWith("Can't connect to server (") &&
                                         Catch::Contains("ERROR 1045 (28000): Access denied for user 'edu'"));
    CHECK(eventually([&] {
        return sluice.process().log().find("server login failed: database=app user=edu") != std::string::npos;
    }));
    CHECK(sluice.process().log().find(wrong) == std::string::npos);
}
