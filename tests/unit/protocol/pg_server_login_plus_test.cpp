// ServerLogin over TLS and without a password: SCRAM-SHA-256-PLUS when the backend offers it
// (the "y" flag when it does not), and SCRAM pass-through with a ClientKey recovered from a
// client's proof, each against the real server-side exchange.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "sluice/auth/scram_client.hpp"
#include "sluice/auth/scram_secret.hpp"
#include "sluice/auth/scram_server.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/server_login.hpp"
#include "sluice/protocol/postgres/writers.hpp"

#include "../support/scram_login.hpp"
#include "feed_login.hpp"

using namespace sluice;
using pg::ServerLogin;
using pg::ServerLoginEvent;

namespace {

std::span<const std::uint8_t> body_of(const std::string& out) {
  REQUIRE(out.size() >= 5);
  REQUIRE(pg::load_be32(reinterpret_cast<const std::uint8_t*>(out.data()) + 1) + 1 == out.size());
  return {reinterpret_cast<const std::uint8_t*>(out.data()) + 5, out.size() - 5};
}

std::string ready() {
  std::string out;
  pg::write_authentication_ok(out);
  pg::write_ready_for_query(out, 'I');
  return out;
}

// Offers `mechanisms` (AuthenticationSASL); the login's SASLInitialResponse, copied out.
struct Initial {
  std::string mechanism;
  std::string data;
};
Initial offer(ServerLogin& login, std::initializer_list<std::string_view> mechanisms) {
  login.output().clear();
  std::string sasl;
  pg::write_authentication_sasl(sasl, std::span<const std::string_view>(mechanisms.begin(), mechanisms.size()));
  REQUIRE(feed(login, sasl) == ServerLoginEvent::need_input);
  const auto initial = pg::read_sasl_initial_response(body_of(login.output()));
  REQUIRE(initial);
  Initial copy{std::string(initial->mechanism), std::string(initial->data)};
  login.output().clear();
  return copy;
}

// The backend's server-first-message for `initial`, fed to the login.
ServerLoginEvent send_server_first(ServerLogin& login, auth::ScramServerExchange& server, const Initial& initial) {
  const auto server_first = server.handle_client_first(initial.data);
  REQUIRE(server_first);
  std::string message;
  pg::write_authentication_sasl_continue(message, *server_first);
  return feed(login, message);
}

// Runs the SASL part of `login` against `server`, which offers `mechanisms` and binds to
// `binding`; returns the mechanism the login chose, or "" if the server refused the proof.
std::string run_sasl(ServerLogin& login, auth::ScramServerExchange& server,
                     std::initializer_list<std::string_view> mechanisms,
                     const std::vector<std::uint8_t>& binding) {
  const auto initial = offer(login, mechanisms);
  server.set_channel_binding(binding, initial.mechanism == "SCRAM-SHA-256-PLUS");
  REQUIRE(send_server_first(login, server, initial) == ServerLoginEvent::need_input);
  const auto server_final = server.handle_client_final(pg::read_sasl_response(body_of(login.output())));
  if (!server_final) return "";
  login.output().clear();
  std::string final_message;
  pg::write_authentication_sasl_final(final_message, *server_final);
  REQUIRE(feed(login, final_message + ready()) == ServerLoginEvent::ready);
  CHECK(login.sasl_mechanism() == initial.mechanism);
  return initial.mechanism;
}

const std::vector<std::uint8_t> kCertificateHash(32, 0x5a);

}  // namespace

TEST_CASE("server login over TLS: SCRAM-SHA-256-PLUS when offered, bound to the certificate", "[pg][server-login][channel_binding]") {
  const auto secret = *auth::try_make_scram_secret("pencil", "0123456789abcdef", 4096);
  auth::ScramServerExchange server(secret);
  ServerLogin login({"alice", "app", std::string("pencil"), {}, kCertificateHash, {}});
  CHECK(run_sasl(login, server, {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}, kCertificateHash) == "SCRAM-SHA-256-PLUS");
  CHECK(server.channel_bound());
}

TEST_CASE("server login over TLS: a server binding to another certificate refuses the proof", "[pg][server-login][channel_binding]") {
  const auto secret = *auth::try_make_scram_secret("pencil", "0123456789abcdef", 4096);
  auth::ScramServerExchange server(secret);
  ServerLogin login({"alice", "app", std::string("pencil"), {}, kCertificateHash, {}});
  CHECK(run_sasl(login, server, {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}, std::vector<std::uint8_t>(32, 0x11)).empty());
}

TEST_CASE("server login over TLS without a PLUS offer: plain SCRAM with the y flag", "[pg][server-login][channel_binding]") {
  const auto secret = *auth::try_make_scram_secret("pencil", "0123456789abcdef", 4096);
  auth::ScramServerExchange server(secret);  // no binding of its own: a "y" client is fine
  ServerLogin login({"alice", "app", std::string("pencil"), {}, kCertificateHash, {}});
  const auto initial = offer(login, {"SCRAM-SHA-256"});
  CHECK(initial.mechanism == "SCRAM-SHA-256");
  CHECK(initial.data.starts_with("y,,"));
}

TEST_CASE("server login: SCRAM pass-through with the ClientKey a client's proof revealed", "[pg][server-login][pass_through]") {
  const auto secret = *auth::try_make_scram_secret("pencil", "0123456789abcdef", 4096);
  // The client logs in to Sluice, which holds only the verifier.
  auth::ScramServerExchange sluice_side(secret);
  auth::ScramClientExchange client("pencil");
  REQUIRE(test::run_login(sluice_side, client).client_accepted);
  const auto client_key = sluice_side.client_key();

  SECTION("a backend holding the same verifier accepts it, over TLS too") {
    auth::ScramServerExchange backend(secret);
    ServerLogin login({"alice", "app", std::nullopt, {}, kCertificateHash, pg::ScramPassThrough{secret, client_key}});
    CHECK(run_sasl(login, backend, {"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"}, kCertificateHash) == "SCRAM-SHA-256-PLUS");
  }
  SECTION("a backend with another salt: refused before any proof is sent") {
    const auto other = *auth::try_make_scram_secret("pencil", "fedcba9876543210", 4096);
    auth::ScramServerExchange backend(other);
    ServerLogin login({"alice", "app", std::nullopt, {}, std::nullopt, pg::ScramPassThrough{secret, client_key}});
    CHECK(send_server_first(login, backend, offer(login, {"SCRAM-SHA-256"})) == ServerLoginEvent::failed);
    CHECK(login.failure().sqlstate == "08001");
  }
  SECTION("no password and no key: the SCRAM request is refused") {
    ServerLogin login({"alice", "app", std::nullopt, {}});
    login.output().clear();
    std::string sasl;
    const std::string_view plain[] = {"SCRAM-SHA-256"};
    pg::write_authentication_sasl(sasl, plain);
    CHECK(feed(login, sasl) == ServerLoginEvent::failed);
  }
}
