// tls, auth_query and hba in sluice.yaml: values, defaults and every error at its position.

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "sluice/config/loader.hpp"
#include "../support/config_loading.hpp"

using namespace std::chrono_literals;
using namespace sluice::config;
using namespace sluice::test;
namespace auth = sluice::auth;

namespace {


// Empty files standing in for certificates: the loader checks they exist, not what is in them.
struct CertFiles {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("sluice-config-tls-" + std::to_string(::getpid()));
  CertFiles() {
    std::filesystem::create_directories(dir);
    for (const char* name : {"server.crt", "server.key", "ca.crt"}) std::ofstream(dir / name) << "x";
  }
  ~CertFiles() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string operator()(const char* name) const { return (dir / name).string(); }
};

}  // namespace

TEST_CASE("without tls, auth_query and hba: TLS off, no lookups, auth_type for everyone", "[config][tls]") {
  auto config = load_ok("");
  CHECK(config->tls == TlsConfig{});
  CHECK(config->tls.client.mode == ClientTlsMode::disable);
  CHECK(config->tls.server.mode == ServerTlsMode::disable);
  CHECK_FALSE(config->auth_query);
  CHECK(config->hba.empty());
}

TEST_CASE("tls: both sides with every key", "[config][tls]") {
  CertFiles files;
  const std::string yaml = "tls:\n"
                           "  client:\n"
                           "    mode: require\n"
                           "    cert: " + files("server.crt") + "\n"
                           "    key: " + files("server.key") + "\n"
                           "    ca: " + files("ca.crt") + "\n"
                           "  server:\n"
                           "    mode: verify-full\n"
                           "    ca: " + files("ca.crt") + "\n"
                           "    cert: " + files("server.crt") + "\n"
                           "    key: " + files("server.key") + "\n";
  auto config = load_ok(yaml);
  CHECK(config->tls.client.mode == ClientTlsMode::require);
  CHECK(config->tls.client.cert == files("server.crt"));
  CHECK(config->tls.client.key == files("server.key"));
  CHECK(config->tls.client.ca == files("ca.crt"));
  CHECK(config->tls.server.mode == ServerTlsMode::verify_full);
  CHECK(config->tls.server.ca == files("ca.crt"));
  CHECK(config->tls.server.cert == files("server.crt"));
  CHECK(config->tls.server.key == files("server.key"));
}

TEST_CASE("tls: disabled sides never look at their files, and the shape doc's example loads", "[config][tls]") {
  auto config = load_ok("tls:\n  client:\n    mode: disable\n    cert: /nonexistent/server.crt\n"
                        "    key: /nonexistent/server.key\n    ca: null\n"
                        "  server:\n    mode: disable\n    ca: null\n    cert: null\n    key: null\n");
  CHECK(config->tls.client.cert == "/nonexistent/server.crt");
  CHECK_FALSE(config->tls.client.ca);
  CHECK(load_ok("tls:\n  server:\n    mode: prefer\n")->tls.server.mode == ServerTlsMode::prefer);
  CHECK(load_ok("tls:\n  server:\n    mode: require\n")->tls.server.mode == ServerTlsMode::require);
}

TEST_CASE("tls errors point at the value that breaks the rule", "[config][tls]") {
  CertFiles files;
  SECTION("unknown keys and bad modes") {
    auto result = load("tls:\n  client:\n    mode: verify-full\n    crt: x\n  servr: {}\n");
    const auto& mode = error_containing(result, "tls.client.mode: expected one of disable, allow, require");
    CHECK(mode.line == 3);
    CHECK(mode.column == 11);
    const auto& crt = error_containing(result, "unknown key 'crt' in tls.client (did you mean 'cert'?)");
    CHECK(crt.line == 4);
    CHECK(crt.column == 5);
    CHECK(error_containing(result, "unknown key 'servr' in tls (did you mean 'server'?)").line == 5);
  }
  SECTION("a mode needing certificates without them") {
    auto result = load("tls:\n  client:\n    mode: allow\n  server:\n    mode: verify-ca\n");
    const auto& client = error_containing(result, "allow needs tls.client.cert and tls.client.key");
    CHECK(client.line == 3);
    CHECK(client.column == 11);
    const auto& server = error_containing(result, "verify-ca needs tls.server.ca");
    CHECK(server.line == 5);
    CHECK(server.column == 11);
  }
  SECTION("a certificate file that does not exist, or is a directory") {
    auto result = load("tls:\n  client:\n    mode: require\n    cert: " + files("missing.crt") + "\n    key: " +
                       files.dir.string() + "\n");
    const auto& cert = error_containing(result, "tls.client.cert: file '" + files("missing.crt") + "' does not exist");
    CHECK(cert.line == 4);
    CHECK(cert.column == 11);
    CHECK(error_containing(result, "tls.client.key: file").message.find("is not a regular file") != std::string::npos);
  }
  SECTION("cert without key") {
    auto result = load("tls:\n  server:\n    mode: require\n    cert: " + files("server.crt") + "\n");
    CHECK(error_containing(result, "tls.server: cert is set without key").line == 4);
  }
  SECTION("empty paths and wrong shapes") {
    auto result = load("tls:\n  client:\n    cert: ''\n  server: [require]\n");
    CHECK(error_containing(result, "tls.client.cert: must not be empty").line == 3);
    CHECK(error_containing(result, "tls.server: expected a mapping").line == 4);
    CHECK(error_containing(load("tls: on\n"), "tls: expected a mapping of TLS sides").column == 6);
  }
}

TEST_CASE("auth_query: values, defaults and errors", "[config][auth_query]") {
  const std::string users = "users:\n  sluice_auth:\n    password: secret\n  nopass:\n";
  auto config = load_ok(users + "auth_query:\n  user: sluice_auth\n"
                                "  query: SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1\n");
  REQUIRE(config->auth_query);
  CHECK(config->auth_query->user == "sluice_auth");
  CHECK(config->auth_query->query == "SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = $1");
  CHECK_FALSE(config->auth_query->database);
  CHECK(config->auth_query->cache_ttl == 60s);

  config = load_ok(users + "auth_query:\n  user: sluice_auth\n  query: SELECT u, p FROM f($1)\n"
                           "  database: postgres\n  cache_ttl: 5m\n");
  CHECK(config->auth_query->database == "postgres");
  CHECK(config->auth_query->cache_ttl == 5min);

  SECTION("the user must be listed, with a password") {
    auto result = load(users + "auth_query:\n  user: nopass\n  query: SELECT 1 WHERE $1 = ''\n");
    const auto& error = error_containing(result, "auth_query.user: 'nopass' must be listed under users");
    CHECK(error.line == 6);
    CHECK(error.column == 9);
    CHECK_FALSE(load("auth_query:\n  user: ghost\n  query: SELECT $1\n").ok());
  }
  SECTION("the query must bind the user name; keys are required and known") {
    auto result = load(users + "auth_query:\n  user: sluice_auth\n  query: SELECT usename FROM pg_shadow\n"
                               "  cache_tll: 5s\n");
    CHECK(error_containing(result, "must take the user name as the parameter $1").line == 7);
    CHECK(error_containing(result, "unknown key 'cache_tll' in auth_query (did you mean 'cache_ttl'?)").line == 8);
    auto missing = load(users + "auth_query:\n  cache_ttl: 10\n");
    CHECK(error_containing(missing, "auth_query: missing 'user'").line == 5);
    CHECK(error_containing(missing, "auth_query: missing 'query'").line == 5);
    CHECK(error_containing(missing, "auth_query.cache_ttl").line == 6);
  }
}

TEST_CASE("hba: rules in order, with names, lists, all and CIDRs", "[config][hba]") {
  CertFiles files;
  const std::string yaml =
      "tls:\n  client:\n    mode: allow\n    cert: " + files("server.crt") + "\n    key: " + files("server.key") +
      "\n    ca: " + files("ca.crt") + "\n"
      "hba:\n"
      "  - { type: hostssl, database: all, user: all, address: 0.0.0.0/0, method: scram-sha-256 }\n"
      "  - { type: host, database: app, user: [app, batch], address: 127.0.0.1/32, method: md5 }\n"
      "  - { type: host, database: all, user: all, address: 10.0.0.0/8, method: reject }\n"
      "  - { type: hostnossl, database: [a, b], user: 'x, y', address: '::1/128', method: trust }\n"
      "  - { type: hostssl, database: all, user: all, address: all, method: cert }\n";
  auto config = load_ok(yaml);
  REQUIRE(config->hba.size() == 5);
  const auto& first = config->hba[0];
  CHECK(first.type == auth::HbaConnectionType::hostssl);
  CHECK(first.databases.empty());
  CHECK(first.users.empty());
  CHECK(auth::format_cidr(*first.address) == "0.0.0.0/0");
  CHECK(first.method == auth::HbaMethod::scram_sha_256);
  CHECK(config->hba[1].databases == std::vector<std::string>{"app"});
  CHECK(config->hba[1].users == std::vector<std::string>{"app", "batch"});
  CHECK(config->hba[2].method == auth::HbaMethod::reject);
  CHECK(config->hba[3].databases == std::vector<std::string>{"a", "b"});
  CHECK(config->hba[3].users == std::vector<std::string>{"x", "y"});
  CHECK(auth::format_cidr(*config->hba[3].address) == "::1/128");
  CHECK_FALSE(config->hba[4].address);
  CHECK(config->hba[4].method == auth::HbaMethod::cert);
}

TEST_CASE("hba errors point at the rule's value", "[config][hba]") {
  SECTION("bad type, method, CIDR, unknown key, missing key") {
    auto result = load("hba:\n"
                       "  - { type: hostsll, database: all, user: all, address: all, method: trust }\n"
                       "  - { type: host, database: all, user: all, address: 10.0.0.1/8, method: md4 }\n"
                       "  - { type: host, database: all, user: all, address: 10.0.0.0/40, method: trust, x: 1 }\n"
                       "  - { type: host, database: all, address: all, method: trust }\n");
    const auto& type = error_containing(result, "hba[0].type: expected one of host, hostssl, hostnossl, got "
                                                "'hostsll' (did you mean 'hostssl'?)");
    CHECK(type.line == 2);
    CHECK(type.column == 13);
    const auto& bits = error_containing(result, "hba[1].address: '10.0.0.1/8' has bits set past the /8 prefix");
    CHECK(bits.line == 3);
    CHECK(bits.column == 54);
    CHECK(error_containing(result, "hba[1].method: expected one of trust, md5").line == 3);
    CHECK(error_containing(result, "hba[2].address: prefix length must be a number from 0 to 32").line == 4);
    CHECK(error_containing(result, "unknown key 'x' in hba[2]").line == 4);
    const auto& missing = error_containing(result, "hba[3]: missing 'user'");
    CHECK(missing.line == 5);
    CHECK(missing.column == 5);
  }
  SECTION("all inside a list, not a list, not a mapping") {
    auto result = load("hba:\n  - { type: host, database: [app, all], user: all, address: all, method: trust }\n"
                       "  - host all all\n");
    CHECK(error_containing(result, "hba[0].database: 'all' must stand alone").line == 2);
    CHECK(error_containing(result, "hba[1]: expected a mapping of rule settings").line == 3);
    CHECK(error_containing(load("hba: {}\n"), "hba: expected a list of rules").line == 1);
  }
  SECTION("hostssl and cert need client TLS, cert needs hostssl") {
    auto result = load("hba:\n  - { type: hostssl, database: all, user: all, address: all, method: trust }\n"
                       "  - { type: host, database: all, user: all, address: all, method: cert }\n");
    const auto& hostssl = error_containing(result, "hba[0].type: a hostssl rule cannot match");
    CHECK(hostssl.line == 2);
    CHECK(hostssl.column == 13);
    const auto& cert = error_containing(result, "hba[1].method: cert needs type hostssl");
    CHECK(cert.line == 3);
    CHECK(error_containing(result, "hba[1].method: cert needs tls.client.ca").line == 3);
  }
}
