// ClientLogin: a client's login fed as bytes, whole and one byte at a time, with the
// password exchanges a real client would send and the malformed ones a hostile one might.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

#include "sluice/auth/credential.hpp"
#include "sluice/auth/md5.hpp"
#include "sluice/auth/scram_client.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/client_login.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"

#include "feed_login.hpp"

using namespace sluice;
using pg::ClientLogin;
using pg::ClientLoginEvent;

namespace {

constexpr std::array<std::uint8_t, 4> kSalt = {9, 8, 7, 6};

std::string startup_message(std::string user = "alice") {
  std::string out;
  const std::pair<std::string, std::string> parameters[] = {{"user", std::move(user)}, {"database", "app"}};
  pg::write_startup_message(out, parameters);
  return out;
}

std::string password_message(std::string_view text) {
  std::string out;
  pg::write_password_message(out, text);
  return out;
}

auth::Credential credential(std::string_view password) { return *auth::make_credential(password, "alice"); }

// The body of the last message in `out` of type 'R' (an Authentication request).
std::string authentication_data(const std::string& out) {
  REQUIRE(out.size() > 9);
  REQUIRE(out[0] == pg::backend::Authentication);
  const auto body = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(out.data()) + 5, out.size() - 5);
  const auto request = pg::read_authentication(body);
  REQUIRE(request);
  return std::string(reinterpret_cast<const char*>(request->data.data()), request->data.size());
}

}  // namespace

TEST_CASE("client login: a startup message, whole or one byte at a time", "[pg][client-login]") {
  const std::size_t step = GENERATE(std::size_t{1}, std::size_t{3}, SIZE_MAX);
  ClientLogin login;
  REQUIRE(feed(login, startup_message(), step) == ClientLoginEvent::startup);
  CHECK(*login.startup().find("user") == "alice");
  CHECK(*login.startup().find("database") == "app");
  login.begin_trust();
  CHECK(login.next() == ClientLoginEvent::authenticated);
  CHECK(login.output().empty());  // AuthenticationOk is the welcome's, not the login's
}

TEST_CASE("client login: protocol 3.2 or _pq_ options get NegotiateProtocolVersion first, as from PostgreSQL 15",
          "[pg][client-login]") {
  std::string startup;
  const std::pair<std::string, std::string> parameters[] = {{"user", "alice"}, {"_pq_.foo", "1"}, {"database", "app"}};
  pg::write_startup_message(startup, parameters);
  pg::store_be32(startup, 4, (3u << 16) | 2u);  // asks for 3.2
  ClientLogin login;
  REQUIRE(feed(login, startup) == ClientLoginEvent::startup);
  login.begin_md5(nullptr, kSalt);
  const std::string& out = login.output();
  REQUIRE(out.size() > 9);
  REQUIRE(out[0] == pg::backend::NegotiateProtocolVersion);
  const auto bytes = [](const std::string& text) { return reinterpret_cast<const std::uint8_t*>(text.data()); };
  const std::uint32_t length = pg::load_be32(bytes(out) + 1);
  const std::string body = out.substr(5, length - 4);
  CHECK(pg::load_be32(bytes(body)) == pg::kProtocolVersion3);  // newest: 3.0
  CHECK(pg::load_be32(bytes(body) + 4) == 1u);                  // one option not recognised
  CHECK(body.substr(8) == std::string("_pq_.foo") + '\0');
  CHECK(out[1 + length] == pg::backend::Authentication);  // then the login goes on in 3.0

  // A plain 3.0 startup gets none.
  ClientLogin plain;
  REQUIRE(feed(plain, startup_message()) == ClientLoginEvent::startup);
  CHECK(plain.output().empty());
}

TEST_CASE("client login: SSLRequest and GSSENCRequest are refused, at most twice", "[pg][client-login]") {
  std::string ssl;
  pg::write_ssl_request(ssl);
  ClientLogin login;
  REQUIRE(feed(login, ssl) == ClientLoginEvent::encryption_request);
  CHECK(login.encryption_kind() == pg::StartupKind::ssl_request);
  login.refuse_encryption();
  CHECK(login.output() == "N");
  login.output().clear();

  SECTION("then the startup message") { CHECK(feed(login, startup_message()) == ClientLoginEvent::startup); }
  SECTION("a third request is a protocol violation") {
    REQUIRE(feed(login, ssl) == ClientLoginEvent::encryption_request);
    login.refuse_encryption();
    REQUIRE(feed(login, ssl) == ClientLoginEvent::failed);
    CHECK(login.failure().sqlstate == "08P01");
    CHECK(login.failure().message.find("too many encryption requests") != std::string::npos);
  }
}

TEST_CASE("client login: a CancelRequest ends the login with its key", "[pg][client-login]") {
  std::string cancel;
  pg::write_cancel_request(cancel, 1234, 5678);
  ClientLogin login;
  REQUIRE(feed(login, cancel) == ClientLoginEvent::cancel_request);
  CHECK(login.startup().cancel_process_id == 1234);
  CHECK(login.startup().cancel_secret_key == 5678);
}

TEST_CASE("client login: bad startup lengths are refused before anything is read", "[pg][client-login]") {
  const std::uint32_t length = GENERATE(0u, 7u, 10001u, 0xFFFFFFFFu);
  std::string bytes(4, '\0');
  pg::store_be32(bytes, 0, length);
  ClientLogin login;
  REQUIRE(feed(login, bytes) == ClientLoginEvent::failed);
  CHECK(login.failure().reason == "protocol_violation");
  CHECK(login.input().empty());
}

TEST_CASE("client login: md5", "[pg][client-login]") {
  const auto stored = credential("secret");
  ClientLogin login;
  REQUIRE(feed(login, startup_message()) == ClientLoginEvent::startup);
  login.begin_md5(&stored, kSalt);
  CHECK(login.output()[0] == pg::backend::Authentication);
  const auto right = auth::pg_md5_salted_response(auth::pg_md5_password("secret", "alice"), kSalt);

  SECTION("the right answer, split at every byte") {
    CHECK(feed(login, password_message(right), 1) == ClientLoginEvent::authenticated);
  }
  SECTION("a wrong answer is 28P01 naming the user") {
    CHECK(feed(login, password_message("md5" + std::string(32, '0'))) == ClientLoginEvent::failed);
    CHECK(login.failure().sqlstate == "28P01");
    CHECK(login.failure().message == "password authentication failed for user \"alice\"");
  }
  SECTION("an unknown user is refused the same way") {
    ClientLogin unknown;
    feed(unknown, startup_message("mallory"));
    unknown.begin_md5(nullptr, kSalt);
    CHECK(feed(unknown, password_message(right)) == ClientLoginEvent::failed);
    CHECK(unknown.failure().sqlstate == "28P01");
  }
  SECTION("another message type is a protocol violation") {
    std::string query;
    pg::write_query(query, "select 1");
    CHECK(feed(login, query) == ClientLoginEvent::failed);
    CHECK(login.failure().message.find("expected a password message") != std::string::npos);
  }
  SECTION("a password message over the cap is refused from its header") {
    std::string header = "p";
    header.resize(5);
    pg::store_be32(header, 1, 8 * 1024 + 5);
    CHECK(feed(login, header) == ClientLoginEvent::failed);
    CHECK(login.failure().message.find("invalid message length") != std::string::npos);
  }
}

TEST_CASE("client login: SCRAM-SHA-256 against the real client exchange", "[pg][client-login]") {
  const auto stored = credential("pencil");
  const std::string password = GENERATE(std::string("pencil"), std::string("wrong"));
  ClientLogin login;
  REQUIRE(feed(login, startup_message()) == ClientLoginEvent::startup);
  login.begin_scram(&stored);
  CHECK(authentication_data(login.output()).starts_with("SCRAM-SHA-256"));
  login.output().clear();

  auth::ScramClientExchange client(password);
  std::string initial;
  pg::write_sasl_initial_response(initial, "SCRAM-SHA-256", client.client_first_message());
  REQUIRE(feed(login, initial, 2) == ClientLoginEvent::need_input);
  const auto final_message = client.handle_server_first(authentication_data(login.output()));
  REQUIRE(final_message);
  login.output().clear();
  std::string response;
  pg::write_sasl_response(response, *final_message);
  const auto event = feed(login, response);
  if (password == "pencil") {
    REQUIRE(event == ClientLoginEvent::authenticated);
    CHECK(client.verify_server_final(authentication_data(login.output())));
  } else {
    REQUIRE(event == ClientLoginEvent::failed);
    CHECK(login.failure().sqlstate == "28P01");
    CHECK_FALSE(login.auth_error().empty());
  }
}

TEST_CASE("client login: SCRAM with another mechanism is a protocol violation", "[pg][client-login]") {
  const auto stored = credential("pencil");
  ClientLogin login;
  feed(login, startup_message());
  login.begin_scram(&stored);
  std::string initial;
  pg::write_sasl_initial_response(initial, "SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc");
  CHECK(feed(login, initial) == ClientLoginEvent::failed);
  CHECK(login.failure().sqlstate == "08P01");
}

TEST_CASE("client login: with TLS on, SSLRequest gets S and GSSENCRequest still N", "[pg][client-login][tls]") {
  std::string ssl;
  pg::write_ssl_request(ssl);
  ClientLogin login;
  REQUIRE(feed(login, ssl) == ClientLoginEvent::encryption_request);
  login.accept_encryption();
  CHECK(login.output() == "S");
  login.output().clear();
  // The session ran the handshake: what follows is the decrypted startup packet.
  SECTION("then the startup message") { CHECK(feed(login, startup_message()) == ClientLoginEvent::startup); }
  SECTION("a GSSENCRequest is refused even when encryption is accepted") {
    std::string gss(8, '\0');
    pg::store_be32(gss, 0, 8);
    pg::store_be32(gss, 4, pg::kGssEncRequestCode);
    REQUIRE(feed(login, gss) == ClientLoginEvent::encryption_request);
    login.accept_encryption();
    CHECK(login.output() == "N");
  }
}

TEST_CASE("client login: over TLS SCRAM-SHA-256-PLUS is offered first and binds to the certificate", "[pg][client-login][tls]") {
  const auto stored = credential("pencil");
  const std::vector<std::uint8_t> certificate_hash(32, 0xAB);
  const bool client_binds = GENERATE(true, false);
  ClientLogin login;
  REQUIRE(feed(login, startup_message()) == ClientLoginEvent::startup);
  login.begin_scram(&stored, {}, certificate_hash);
  const std::string offered = authentication_data(login.output());
  CHECK(offered == std::string("SCRAM-SHA-256-PLUS\0SCRAM-SHA-256\0\0", 34));
  login.output().clear();

  auth::ScramClientExchange client("pencil");
  if (client_binds) client.set_channel_binding(certificate_hash, true);
  std::string initial;
  pg::write_sasl_initial_response(initial, client.mechanism(), client.client_first_message());
  REQUIRE(feed(login, initial) == ClientLoginEvent::need_input);
  const auto final_message = client.handle_server_first(authentication_data(login.output()));
  REQUIRE(final_message);
  login.output().clear();
  std::string response;
  pg::write_sasl_response(response, *final_message);
  REQUIRE(feed(login, response) == ClientLoginEvent::authenticated);
  CHECK(login.channel_bound() == client_binds);
}

TEST_CASE("client login: a client that could bind but says it cannot is refused (downgrade)", "[pg][client-login][tls]") {
  const auto stored = credential("pencil");
  ClientLogin login;
  REQUIRE(feed(login, startup_message()) == ClientLoginEvent::startup);
  login.begin_scram(&stored, {}, std::vector<std::uint8_t>(32, 1));
  login.output().clear();
  auth::ScramClientExchange client("pencil");
  client.set_channel_binding(std::vector<std::uint8_t>(32, 1), false);  // "y": thinks PLUS was not offered
  std::string initial;
  pg::write_sasl_initial_response(initial, client.mechanism(), client.client_first_message());
  CHECK(feed(login, initial) == ClientLoginEvent::failed);
  CHECK(login.failure().sqlstate == "28P01");
}
