// hba rules at client login: every type (host, hostssl, hostnossl) and method (trust, md5,
// scram-sha-256, cert with the certificate's CN, reject), address match and mismatch over
// IPv4 and IPv6 (::1), first match wins, no match refuses, the errors clients see, a reload
// that changes the rules, and rule errors reported with line:col.
#include <catch2/catch.hpp>

#include "support/harness.hpp"
#include "support/tls.hpp"

using namespace sluice_it;

namespace {

// First match wins: the order is part of what is tested.
const char* kRules = R"(hba:
  - { type: host, database: app, user: bob, address: all, method: reject }
  - { type: hostssl, database: app2, user: all, address: 127.0.0.1/32, method: cert }
  - { type: hostnossl, database: app, user: alice, address: 127.0.0.1/32, method: trust }
  - { type: hostssl, database: app, user: alice, address: 127.0.0.1/32, method: md5 }
  - { type: host, database: app, user: md5user, address: 127.0.0.0/8, method: md5 }
  - { type: host, database: app, user: app, address: 10.0.0.0/8, method: trust }
  - { type: host, database: app, user: app, address: 127.0.0.0/8, method: scram-sha-256 }
  - { type: host, database: all, user: all, address: "::1/128", method: trust }
)";

// Sluice on 127.0.0.1 and [::1] (same port), TLS allowed with client certificates checked.
std::string hba_config(const TestPki& pki, int port, const std::string& rules) {
    SluiceOptions options;
    options.top_level = pki.client_tls_yaml("allow", true) + rules;
    std::string yaml = sluice_config(port, options);
    const std::string single = "  postgres: 127.0.0.1:" + std::to_string(port) + "\n";
    const std::string both = "  postgres: [127.0.0.1:" + std::to_string(port) + ", \"[::1]:" + std::to_string(port) + "\"]\n";
    yaml.replace(yaml.find(single), single.size(), both);
    return yaml;
}

// The first authentication request a plain client gets (5 = md5, 10 = SASL, 0 = ok), or the
// ErrorResponse's SQLSTATE and message.
std::string first_answer(int port, const std::string& user, const std::string& database) {
    RawSocket socket(port, 5s);
    socket.send_bytes(wire::startup_message({{"user", user}, {"database", database}}));
    const auto message = wire::read_message(socket);
    if (!message) return "closed";
    if (message->type == 'E') {
        auto fields = wire::error_fields(message->body);
        return fields['C'] + " " + fields['M'];
    }
    if (message->type == 'R' && message->body.size() >= 4) {
        return "R" + std::to_string(static_cast<unsigned char>(message->body[3]));
    }
    return std::string("message ") + message->type;
}

std::string certificate_options(const TestPki& pki, const std::string& name) {
    return verify_full_options(pki) + " sslcert=" + pki.path(name + ".crt") + " sslkey=" + pki.path(name + ".key");
}

}  // namespace

TEST_CASE("hba rules decide the method at login", "[hba]") {
    TestPki pki;
    SluiceProcess sluice([&](int port) { return hba_config(pki, port, kRules); });
    const int port = sluice.port();

    SECTION("reject: refused before any password, with PostgreSQL's wording and 28000") {
        CHECK(first_answer(port, "bob", "app") ==
              "28000 hba rejects connection for host \"127.0.0.1\", user \"bob\", database \"app\", no encryption");
        Connection tls = try_connect(sluice.conninfo("bob", "bob", "app", verify_full_options(pki)));
        CHECK_THAT(tls.error_message(), Catch::Contains("hba rejects connection") && Catch::Contains("SSL encryption"));
        // hba comes first, as in PostgreSQL: a refused client learns nothing of which databases exist.
        CHECK(first_answer(port, "mallory", "nosuchdb") ==
              "28000 no hba entry for host \"127.0.0.1\", user \"mallory\", database \"nosuchdb\", no encryption");
    }
    SECTION("hostnossl trust vs hostssl md5 for the same user") {
        Connection plain = connect(sluice.conninfo("alice", "wrongpass", "app", "sslmode=disable"));
        CHECK(query_value(plain, "select current_user") == "alice");
        Connection wrong = try_connect(sluice.conninfo("alice", "wrongpass", "app", verify_full_options(pki)));
        CHECK_THAT(wrong.error_message(), Catch::Contains("password authentication failed for user \"alice\""));
        Connection right = connect(sluice.conninfo("alice", "alice", "app", verify_full_options(pki)));
        CHECK(PQsslInUse(right) == 1);
        CHECK(query_value(right, "select current_user") == "alice");
    }
    SECTION("md5: AuthenticationMD5Password, then the password decides") {
        CHECK(first_answer(port, "md5user", "app") == "R5");
        Connection conn = connect(sluice.conninfo("md5user", "md5pass", "app", "sslmode=disable"));
        CHECK(query_value(conn, "select current_user") == "md5user");
        Connection wrong = try_connect(sluice.conninfo("md5user", "wrong", "app", "sslmode=disable"));
        CHECK_THAT(wrong.error_message(), Catch::Contains("password authentication failed"));
    }
    SECTION("address mismatch: 10.0.0.0/8 trust is skipped, 127.0.0.0/8 scram applies") {
        CHECK(first_answer(port, "app", "app") == "R10");
        Connection wrong = try_connect(sluice.conninfo("app", "wrong", "app", "sslmode=disable"));
        CHECK_THAT(wrong.error_message(), Catch::Contains("password authentication failed"));
        Connection right = connect(sluice.conninfo("app", "app", "app", "sslmode=disable"));
        CHECK(query_value(right, "select current_user") == "app");
    }
    SECTION("IPv6: ::1/128 trust matches over [::1], not over 127.0.0.1") {
        Connection v6 = connect("host=::1 port=" + std::to_string(port) +
                                " user=alice password=wrong dbname=app2 sslmode=disable");
        CHECK(query_value(v6, "select current_user || '@' || current_database()") == "alice@app2");
        CHECK(first_answer(port, "alice", "app2") ==
              "28000 no hba entry for host \"127.0.0.1\", user \"alice\", database \"app2\", no encryption");
    }
    SECTION("cert: the verified certificate's CN is the user; hostssl does not match plain") {
        Connection app = connect(sluice.conninfo("app", "nopassword", "app2", certificate_options(pki, "client-app")));
        CHECK(query_value(app, "select current_user || '@' || current_database()") == "app@app2");
        Connection alice_as_app = try_connect(sluice.conninfo("alice", "alice", "app2", certificate_options(pki, "client-app")));
        CHECK_THAT(alice_as_app.error_message(), Catch::Contains("certificate authentication failed for user \"alice\""));
        Connection no_certificate = try_connect(sluice.conninfo("app", "app", "app2", verify_full_options(pki)));
        CHECK_THAT(no_certificate.error_message(), Catch::Contains("certificate authentication failed for user \"app\""));
        Connection rogue = try_connect(sluice.conninfo("app", "app", "app2", certificate_options(pki, "client-rogue")));
        CHECK_FALSE(rogue.ok());
        CHECK_THAT(rogue.error_message(), Catch::Contains("unknown ca"));
        CHECK(first_answer(port, "app", "app2") ==
              "28000 no hba entry for host \"127.0.0.1\", user \"app\", database \"app2\", no encryption");
    }
}

TEST_CASE("auth_type trust lets a user listed without a password in, and still refuses unlisted ones", "[hba]") {
    SluiceOptions options;
    options.auth_type = "trust";
    options.users.push_back({"nopass", "", ""});
    // The backend login needs a password, so the database logs in as a forced user.
    options.extra_databases = "forced:\n  host: 127.0.0.1\n  port: " + std::to_string(postgres().port()) +
                              "\n  dbname: app\n  user: app\n  password: app\n";
    SluiceProcess sluice(options);
    Connection listed = try_connect(sluice.conninfo("nopass", "", "forced"));
    INFO(listed.error_message());
    REQUIRE(listed.ok());
    CHECK(query_value(listed, "select current_user") == "app");
    CHECK(first_answer(sluice.port(), "nosuchuser", "forced") ==
          "28P01 password authentication failed for user \"nosuchuser\"");
}

TEST_CASE("hba rules reload on SIGHUP", "[hba][reload]") {
    TestPki pki;
    SluiceProcess sluice([&](int port) { return hba_config(pki, port, kRules); });
    CHECK_THAT(first_answer(sluice.port(), "bob", "app"), Catch::StartsWith("28000 hba rejects"));
    sluice.write_config(hba_config(pki, sluice.port(),
                                   "hba:\n  - { type: host, database: all, user: all, address: 127.0.0.1/32, method: md5 }\n"));
    sluice.reload();
    CHECK(eventually([&] { return first_answer(sluice.port(), "bob", "app") == "R5"; }));
    Connection bob = connect(sluice.conninfo("bob", "bob", "app", "sslmode=disable"));
    CHECK(query_value(bob, "select current_user") == "bob");
}

TEST_CASE("hba rule errors are reported with line:col", "[hba][config]") {
    TempDir dir;
    const std::string path = dir.file("sluice.yaml");
    write_file(path, sluice_config(pick_free_port()) +
                         "hba:\n"
                         "  - { type: host, database: all, user: all, address: 10.0.0.1/8, method: md5 }\n"
                         "  - { type: host, database: all, user: all, address: all, method: password }\n");
    const auto result = check_config(path);
    CHECK(result.exit_code == 1);
    // The rules start after the generated config: find their line numbers in the file itself.
    const std::string text = read_file(path);
    const auto line_of = [&](const std::string& needle) {
        return std::count(text.begin(), text.begin() + static_cast<long>(text.find(needle)), '\n') + 1;
    };
    CHECK_THAT(result.output, Catch::Contains(path + ":" + std::to_string(line_of("10.0.0.1/8")) + ":"));
    CHECK_THAT(result.output, Catch::Contains(path + ":" + std::to_string(line_of("password }")) + ":"));
}

TEST_CASE("mysql: hba rules apply to MySQL clients too (plain text: host and hostnossl)", "[hba][mysql]") {
    MySluice sluice(MySluiceOptions{.top_level = "hba:\n"
                                                  "  - { type: host, database: app, user: bob, address: all, method: reject }\n"
                                                  "  - { type: hostnossl, database: app, user: alice, address: 127.0.0.1/32, method: trust }\n"
                                                  "  - { type: host, database: all, user: app, address: 127.0.0.0/8, method: md5 }\n"});
    MyLogin bob = my_try_connect(sluice.login("bob", "bob"));
    CHECK(bob.error_code == 1045);
    CHECK_THAT(bob.error, Catch::StartsWith("Access denied for user 'bob'"));
    MyLogin alice = my_try_connect(sluice.login("alice", "wrong"));
    REQUIRE(alice);
    CHECK(my_value(alice.connection.get(), "SELECT CURRENT_USER()") == "alice@%");
    MyLogin app_wrong = my_try_connect(sluice.login("app", "wrong", "app2"));
    CHECK(app_wrong.error_code == 1045);
    MyLogin app = my_try_connect(sluice.login("app", "app", "app2"));
    REQUIRE(app);
    CHECK(my_value(app.connection.get(), "SELECT DATABASE()") == "app2");
    MyLogin unmatched = my_try_connect(sluice.login("alice", "alice", "app2"));
    CHECK(unmatched.error_code == 1045);
}
