// `sluice --check-config PATH`: exit 0 for a valid file; otherwise one PATH:LINE:COL: message per
// error (every error, not just the first) and exit 1.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <regex>

#include "support/harness.hpp"
#include "support/tls.hpp"

using namespace sluice_it;

namespace {

// Lines are numbered in the comments: the assertions below depend on them.
const char* const kValidConfig =
    "listen:\n"
    "  postgres: 127.0.0.1:6432\n"
    "auth_type: scram-sha-256\n"
    "admin_users: [admin]\n"
    "shutdown_timeout: 30s\n"
    "defaults:\n"
    "  pool_mode: transaction\n"
    "  pool_size: 20\n"
    "  query_wait_timeout: 250ms\n"
    "  server_idle_timeout: 5m\n"
    "  server_lifetime: 1h\n"
    "  statement_timeout: 0\n"
    "databases:\n"
    "  app:\n"
    "    host: 127.0.0.1\n"
    "    port: 5432\n"
    "    dbname: app\n"
    "    pool_size: 10\n"
    "users:\n"
    "  app:\n"
    "    password: app\n"
    "    pool_mode: session\n"
    "  admin:\n"
    "    password: admin\n";

const char* const kInvalidConfig =
    "listen:\n"                        // 1
    "  postgres: 127.0.0.1:6432\n"     // 2
    "auth_type: scram-sha-256\n"       // 3
    "defaults:\n"                      // 4
    "  pool_mode: transaction\n"       // 5
    "  query_wait_timeout: 30\n"       // 6: bare number, a unit is required
    "  pool_sise: 5\n"                 // 7: unknown key (typo of pool_size)
    "databases:\n"                     // 8
    "  app:\n"                         // 9
    "    host: 127.0.0.1\n"            // 10
    "    port: 5432\n"                 // 11
    "users:\n"                         // 12
    "  app:\n"                         // 13
    "    password: app\n";             // 14

// The output lines of the form PATH:LINE:COL: message for the given line.
std::vector<std::string> errors_at_line(const std::string& output, const std::string& path, int line) {
    std::vector<std::string> found;
    std::regex pattern("^" + std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                       ":" + std::to_string(line) + R"(:[0-9]+: .+)");
    std::istringstream lines(output);
    std::string text;
    while (std::getline(lines, text)) {
        if (std::regex_search(text, pattern)) found.push_back(text);
    }
    return found;
}

}  // namespace

TEST_CASE("check-config accepts a valid file", "[pg][config]") {
    TempDir dir;
    std::string path = dir.file("valid.yaml");
    write_file(path, kValidConfig);

    CommandResult result = check_config(path);
    INFO("output:\n" << result.output);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 0);
}

TEST_CASE("check-config reports every error with its line and exits 1", "[pg][config]") {
    TempDir dir;
    std::string path = dir.file("invalid.yaml");
    write_file(path, kInvalidConfig);

    CommandResult result = check_config(path);
    INFO("output:\n" << result.output);
    CHECK_FALSE(result.timed_out);
    CHECK(result.exit_code == 1);

    auto duration_errors = errors_at_line(result.output, path, 6);
    CHECK(duration_errors.size() == 1);
    auto unknown_key_errors = errors_at_line(result.output, path, 7);
    REQUIRE(unknown_key_errors.size() == 1);
    CHECK_THAT(unknown_key_errors[0], Catch::Contains("pool_sise"));
    // Nothing else is wrong with the file.
    CHECK(errors_at_line(result.output, path, 5).empty());
    CHECK(errors_at_line(result.output, path, 8).empty());
}

TEST_CASE("check-config loads the certificate files as the daemon would", "[pg][config][tls]") {
    TestPki pki;
    TempDir dir;
    const std::string good = "listen:\n  postgres: 127.0.0.1:6432\n" + pki.client_tls_yaml("allow");
    std::string path = dir.file("tls.yaml");
    write_file(path, good);
    CommandResult accepted = check_config(path);
    INFO("output:\n" << accepted.output);
    CHECK(accepted.exit_code == 0);

    // A file that exists but holds no certificate: the loader's existence check passes it, the
    // TLS context does not, so the check must fail here and not at the daemon's start.
    std::string not_a_certificate = dir.file("garbage.crt");
    write_file(not_a_certificate, "this is not a certificate\n");
    write_file(path, "listen:\n"                                          // 1
                     "  postgres: 127.0.0.1:6432\n"                       // 2
                     "tls:\n"                                             // 3
                     "  client:\n"                                        // 4
                     "    mode: allow\n"                                  // 5
                     "    cert: " + not_a_certificate + "\n"              // 6
                     "    key: " + pki.path("server.key") + "\n");        // 7
    CommandResult refused = check_config(path);
    INFO("output:\n" << refused.output);
    CHECK(refused.exit_code == 1);
    const auto at_cert = errors_at_line(refused.output, path, 6);
    REQUIRE(at_cert.size() == 1);
    CHECK_THAT(at_cert[0], Catch::Contains("tls.client.cert '" + not_a_certificate + "'"));
}

TEST_CASE("check-config accepts the shipped config/sluice.yaml", "[pg][config]") {
    std::string path = std::string(SLUICE_SOURCE_DIR) + "/config/sluice.yaml";
    REQUIRE(!read_file(path).empty());

    CommandResult result = check_config(path);
    INFO("output:\n" << result.output);
    CHECK(result.exit_code == 0);
}

TEST_CASE("a generated test config is valid and sluice serves it", "[pg][config]") {
    SluiceProcess sluice;
    CommandResult result = check_config(sluice.config_path());
    INFO("output:\n" << result.output);
    CHECK(result.exit_code == 0);
    CHECK(sluice.running());
}

TEST_CASE("a listen address already in use stops the start and names the listen entry", "[pg][config]") {
    // The port is taken by a listening socket of this test.
    const int taken = pick_free_port();
    const int holder = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(holder >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(taken));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(holder, 1) == 0);
    TempDir dir("sluice-it-taken-port");
    write_file(dir.file("sluice.yaml"), sluice_config(taken));
    const CommandResult run = run_command({sluice_binary(), "--config", dir.file("sluice.yaml")}, {}, 20s);
    ::close(holder);
    INFO(run.output);
    CHECK(run.exit_code == 1);
    CHECK_THAT(run.output, Catch::Contains("listen.postgres 127.0.0.1:" + std::to_string(taken) +
                                           ": cannot listen: Address already in use"));
    CHECK_THAT(run.output, !Catch::Contains(".hpp"));  // the reason, not Boost's source location
}
