#include <catch2/catch.hpp>

#include <string>

#include "../support/scram_login.hpp"
#include "sluice/auth/base64.hpp"
#include "sluice/auth/scram_client.hpp"
#include "sluice/auth/scram_server.hpp"

using namespace sluice::auth;
using sluice::test::LoginResult;
using sluice::test::run_login;

namespace {

// RFC 7677 §3 example exchange.
constexpr const char* rfc_client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr const char* rfc_server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* rfc_client_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr const char* rfc_server_first =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* rfc_client_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* rfc_server_final = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
// ClientKey for "pencil" with the RFC salt, computed independently with Python.
constexpr const char* rfc_client_key = "pg/JI9Z+hkSpLRa5btpe9GVrDHJcSEN0viVTVXaZbos=";

ScramSecret rfc_secret() {
  return make_scram_secret("pencil", *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
}


}  // namespace

TEST_CASE("SCRAM client reproduces the RFC 7677 example", "[auth]") {
  ScramClientExchange client("pencil", rfc_client_nonce, "user");
  CHECK(client.client_first_message() == rfc_client_first);
  const auto client_final = client.handle_server_first(rfc_server_first);
  REQUIRE(client_final);
  CHECK(*client_final == rfc_client_final);
  CHECK(client.verify_server_final(rfc_server_final));
  CHECK(client.error().empty());
}

TEST_CASE("SCRAM server reproduces the RFC 7677 example", "[auth]") {
  ScramServerExchange server(rfc_secret(), rfc_server_nonce);
  // The RFC client sends n=user; PostgreSQL clients send n= — both are accepted.
  const auto server_first = server.handle_client_first(rfc_client_first);
  REQUIRE(server_first);
  CHECK(*server_first == rfc_server_first);
  const auto server_final = server.handle_client_final(rfc_client_final);
  REQUIRE(server_final);
  CHECK(*server_final == rfc_server_final);
  CHECK(server.succeeded());
  CHECK(base64_encode(server.client_key()) == rfc_client_key);
}

TEST_CASE("SCRAM client speaks to PostgreSQL with an empty user name", "[auth]") {
  ScramClientExchange client("pencil");
  const std::string first = client.client_first_message();
  REQUIRE(first.starts_with("n,,n=,r="));
  CHECK(first.size() == 8 + 24);  // 18 random bytes in base64
  ScramClientExchange other("pencil");
  CHECK(other.client_first_message() != first);
}

TEST_CASE("SCRAM round trip with random nonces", "[auth]") {
  ScramServerExchange server(rfc_secret());
  ScramClientExchange client("pencil");
  const LoginResult result = run_login(server, client);
  CHECK(result.server_accepted);
  CHECK(result.client_accepted);
  CHECK(result.server_error.empty());
  CHECK(result.client_error.empty());
}

TEST_CASE("SCRAM with a wrong password fails on the server", "[auth]") {
  ScramServerExchange server(rfc_secret());
  ScramClientExchange client("pencil ");
  const LoginResult result = run_login(server, client);
  CHECK_FALSE(result.server_accepted);
  CHECK_THAT(result.server_error, Catch::Contains("wrong password"));
  CHECK_FALSE(server.succeeded());
  CHECK(server.client_key() == ScramKey{});
}

TEST_CASE("SCRAM client rejects a forged server signature", "[auth]") {
  ScramClientExchange client("pencil", rfc_client_nonce, "user");
  client.client_first_message();
  REQUIRE(client.handle_server_first(rfc_server_first));
  CHECK_FALSE(client.verify_server_final("v=" + base64_encode(std::string(32, 'x'))));
  CHECK_THAT(client.error(), Catch::Contains("server signature does not match"));
}

TEST_CASE("SCRAM client reports a server e= error", "[auth]") {
  ScramClientExchange client("pencil", rfc_client_nonce);
  client.client_first_message();
  REQUIRE(client.handle_server_first(rfc_server_first));
  CHECK_FALSE(client.verify_server_final("e=invalid-proof"));
  CHECK_THAT(client.error(), Catch::Contains("invalid-proof"));
}

TEST_CASE("SCRAM server accepts the y,, GS2 flag when c= echoes it", "[auth]") {
  ScramServerExchange server(rfc_secret(), rfc_server_nonce);
  REQUIRE(server.handle_client_first("y,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  // c=biws echoes "n,,", not the "y,," the client sent: a downgrade the server must catch.
  CHECK_FALSE(server.handle_client_final(rfc_client_final));
  CHECK_THAT(server.error(), Catch::Contains("GS2 header"));

  ScramServerExchange second(rfc_secret(), rfc_server_nonce);
  REQUIRE(second.handle_client_first("y,,n=,r=abc"));
  // Right binding data, wrong proof: gets as far as the proof check.
  CHECK_FALSE(second.handle_client_final("c=eSws,r=abc%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=" +
                                         base64_encode(std::string(32, 'p'))));
  CHECK_THAT(second.error(), Catch::Contains("wrong password"));
}

TEST_CASE("SCRAM user names are escaped and validated", "[auth]") {
  ScramClientExchange client("pencil", "abc", "a,b=c");
  CHECK(client.client_first_message() == "n,,n=a=2Cb=3Dc,r=abc");

  ScramServerExchange server(rfc_secret());
  CHECK(server.handle_client_first("n,,n=a=2Cb=3Dc,r=abc"));
  ScramServerExchange bad_escape(rfc_secret());
  CHECK_FALSE(bad_escape.handle_client_first("n,,n=a=2Xb,r=abc"));
  ScramServerExchange dangling(rfc_secret());
  CHECK_FALSE(dangling.handle_client_first("n,,n=ab=,r=abc"));
}

TEST_CASE("SCRAM pass-through logs in with the recovered ClientKey", "[auth]") {
  const ScramSecret secret = rfc_secret();
  ScramServerExchange front(secret);
  ScramClientExchange app("pencil");
  REQUIRE(run_login(front, app).client_accepted);

  // Sluice now logs in to a backend holding the same verifier, without the password.
  ScramServerExchange backend(secret);
  auto relay = ScramClientExchange::from_keys(front.client_key(), secret.server_key);
  const LoginResult result = run_login(backend, relay);
  CHECK(result.server_accepted);
  CHECK(result.client_accepted);

  ScramServerExchange backend2(secret);
  auto checked = ScramClientExchange::from_secret(secret, front.client_key());
  CHECK(run_login(backend2, checked).client_accepted);
}

TEST_CASE("SCRAM pass-through refuses a backend with another salt", "[auth]") {
  const ScramSecret secret = rfc_secret();
  ScramServerExchange front(secret);
  ScramClientExchange app("pencil");
  REQUIRE(run_login(front, app).client_accepted);

  ScramServerExchange backend(make_scram_secret("pencil", "other salt", 4096));
  auto relay = ScramClientExchange::from_secret(secret, front.client_key());
  const LoginResult result = run_login(backend, relay);
  CHECK_FALSE(result.server_accepted);
  CHECK_THAT(result.client_error, Catch::Contains("salt or iteration count differ"));
}

TEST_CASE("SCRAM exchanges refuse messages out of order", "[auth]") {
  ScramServerExchange server(rfc_secret(), rfc_server_nonce);
  CHECK_FALSE(server.handle_client_final(rfc_client_final));
  CHECK_THAT(server.error(), Catch::Contains("unexpected"));
  CHECK_FALSE(server.handle_client_first(rfc_client_first));  // failed for good

  ScramServerExchange twice(rfc_secret(), rfc_server_nonce);
  REQUIRE(twice.handle_client_first(rfc_client_first));
  CHECK_FALSE(twice.handle_client_first(rfc_client_first));

  ScramClientExchange client("pencil", rfc_client_nonce, "user");
  CHECK_FALSE(client.handle_server_first(rfc_server_first));  // no client-first yet
  CHECK_FALSE(client.verify_server_final(rfc_server_final));

  ScramClientExchange early("pencil", rfc_client_nonce, "user");
  early.client_first_message();
  CHECK_FALSE(early.verify_server_final(rfc_server_final));
}

TEST_CASE("SCRAM server refuses a failed secret derivation", "[auth]") {
  ScramServerExchange server(make_scram_secret("pencil", "salt", 0));
  CHECK_FALSE(server.handle_client_first(rfc_client_first));
  CHECK_THAT(server.error(), Catch::Contains("unusable"));
}

TEST_CASE("recover_client_key reproduces RFC 7677's ClientKey from its proof", "[auth][pass_through]") {
  // AuthMessage = client-first-message-bare "," server-first-message "," client-final-without-proof.
  const std::string auth_message = std::string("n=user,r=rOprNGfwEbeRWgbNEkqO,") + rfc_server_first +
                                   ",c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
  const auto proof = decode_scram_key("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  REQUIRE(proof);
  const auto client_key = recover_client_key(rfc_secret(), auth_message, *proof);
  REQUIRE(client_key);
  CHECK(base64_encode(*client_key) == rfc_client_key);
  // A proof for another AuthMessage, or a flipped bit, reveals nothing.
  CHECK_FALSE(recover_client_key(rfc_secret(), auth_message + "x", *proof));
  ScramKey flipped = *proof;
  flipped[0] ^= 1;
  CHECK_FALSE(recover_client_key(rfc_secret(), auth_message, flipped));
}
