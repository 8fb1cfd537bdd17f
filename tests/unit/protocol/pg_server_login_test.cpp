// ServerLogin: Sluice's login to a backend, against server replies built by the writers,
// including a full SCRAM exchange with the real server-side exchange.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>

#include "sluice/auth/md5.hpp"
#include "sluice/auth/scram_secret.hpp"
#include "sluice/auth/scram_server.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/server_login.hpp"
#include "sluice/protocol/postgres/writers.hpp"

#include "feed_login.hpp"

using namespace sluice;
using pg::ServerLogin;
using pg::ServerLoginEvent;

namespace {

std::string welcome() {
  std::string out;
  pg::write_authentication_ok(out);
  pg::write_parameter_status(out, "server_version", "15.0");
  pg::write_parameter_status(out, "TimeZone", "UTC");
  pg::write_parameter_status(out, "TimeZone", "Europe/Paris");  // the last report wins
  pg::write_backend_key_data(out, 4242, 0xdeadbeef);
  pg::write_ready_for_query(out, pg::transaction_status::Idle);
  return out;
}

// The body of the one typed message in `out`.
std::span<const std::uint8_t> only_body(const std::string& out) {
  REQUIRE(out.size() >= 5);
  REQUIRE(pg::load_be32(reinterpret_cast<const std::uint8_t*>(out.data()) + 1) + 1 == out.size());
  return {reinterpret_cast<const std::uint8_t*>(out.data()) + 5, out.size() - 5};
}

}  // namespace

TEST_CASE("server login: trust, whole or one byte at a time", "[pg][server-login]") {
  const std::size_t step = GENERATE(std::size_t{1}, SIZE_MAX);
  ServerLogin login({"alice", "app", std::nullopt, {}});
  CHECK(login.output()[0] == 0);  // the StartupMessage's length, untyped
  login.output().clear();
  REQUIRE(feed(login, welcome(), step) == ServerLoginEvent::ready);
  CHECK(login.process_id() == 4242);
  CHECK(login.secret_key() == 0xdeadbeef);
  REQUIRE(login.parameters().size() == 2);
  CHECK(login.parameters()[1] == std::pair<std::string, std::string>{"TimeZone", "Europe/Paris"});
  CHECK(login.output().empty());
}

TEST_CASE("server login: md5 from a plain password and from a stored hash", "[pg][server-login]") {
  const std::array<std::uint8_t, 4> salt = {1, 2, 3, 4};
  const auto hash = auth::pg_md5_password("secret", "alice");
  const std::string password = GENERATE_COPY(std::string("secret"), hash);
  ServerLogin login({"alice", "app", password, {}});
  login.output().clear();
  std::string request;
  pg::write_authentication_md5_password(request, salt);
  REQUIRE(feed(login, request) == ServerLoginEvent::need_input);
  const auto response = pg::read_password_message(only_body(login.output()));
  REQUIRE(response);
  CHECK(*response == auth::pg_md5_salted_response(hash, salt));
}

TEST_CASE("server login: SCRAM-SHA-256 against the real server exchange", "[pg][server-login]") {
  const auto secret = *auth::try_make_scram_secret("pencil", "0123456789abcdef", 4096);
  auth::ScramServerExchange server(secret);
  ServerLogin login({"alice", "app", std::string("pencil"), {}});
  login.output().clear();

  std::string sasl;
  const std::string_view mechanisms[] = {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"};
  pg::write_authentication_sasl(sasl, mechanisms);
  REQUIRE(feed(login, sasl) == ServerLoginEvent::need_input);
  const auto initial = pg::read_sasl_initial_response(only_body(login.output()));
  REQUIRE(initial);
  CHECK(initial->mechanism == "SCRAM-SHA-256");
  login.output().clear();

  const auto server_first = server.handle_client_first(initial->data);
  REQUIRE(server_first);
  std::string cont;
  pg::write_authentication_sasl_continue(cont, *server_first);
  REQUIRE(feed(login, cont) == ServerLoginEvent::need_input);
  const auto server_final = server.handle_client_final(pg::read_sasl_response(only_body(login.output())));
  REQUIRE(server_final);  // our proof verified
  login.output().clear();

  std::string final_message;
  pg::write_authentication_sasl_final(final_message, *server_final);
  SECTION("a genuine signature") { CHECK(feed(login, final_message + welcome()) == ServerLoginEvent::ready); }
  SECTION("a forged signature") {
    std::string forged;
    pg::write_authentication_sasl_final(forged, "v=" + std::string(44, 'A'));
    CHECK(feed(login, forged) == ServerLoginEvent::failed);
    CHECK(login.failure().message == "server login failed: server's SCRAM signature does not verify");
  }
}

TEST_CASE("server login: refusals are 08001 with the reason", "[pg][server-login]") {
  SECTION("the server's ErrorResponse") {
    ServerLogin login({"alice", "app", std::nullopt, {}});
    std::string error;
    pg::write_error_response(error, "FATAL", "28P01", "password authentication failed for user \"alice\"");
    REQUIRE(feed(login, error) == ServerLoginEvent::failed);
    CHECK(login.failure().sqlstate == "08001");
    CHECK(login.failure().reason == "server_login_failed");
    CHECK(login.failure().message.find("(SQLSTATE 28P01)") != std::string::npos);
  }
  SECTION("a cleartext request with only an md5 hash") {
    ServerLogin login({"alice", "app", auth::pg_md5_password("x", "alice"), {}});
    std::string request;
    pg::write_authentication_cleartext_password(request);
    REQUIRE(feed(login, request) == ServerLoginEvent::failed);
    CHECK(login.failure().message.find("cleartext") != std::string::npos);
  }
  SECTION("a message over the cap, from its header alone") {
    ServerLogin login({"alice", "app", std::nullopt, {}}, {.max_message = 1024});
    std::string header = "S";
    header.resize(5);
    pg::store_be32(header, 1, 1024 + 5);
    REQUIRE(feed(login, header) == ServerLoginEvent::failed);
    CHECK(login.input().empty());
  }
  SECTION("an iteration count above the limit") {
    ServerLogin login({"alice", "app", std::string("pencil"), "abc"}, {.max_scram_iterations = 4096});
    std::string sasl;
    const std::string_view mechanisms[] = {"SCRAM-SHA-256"};
    pg::write_authentication_sasl(sasl, mechanisms);
    std::string cont;
    pg::write_authentication_sasl_continue(cont, "r=abcdef,s=QSXCR+Q6sek8bf92,i=4097");
    REQUIRE(feed(login, sasl + cont) == ServerLoginEvent::failed);
    CHECK(login.failure().message.find("limit") != std::string::npos);
  }
}
