#include <catch2/catch.hpp>

#include "sluice/auth/credential.hpp"
#include "sluice/auth/md5.hpp"
#include "sluice/auth/scram_client.hpp"
#include "sluice/auth/scram_server.hpp"

using namespace sluice::auth;

namespace {

// Runs a full SCRAM login of `password` against `secret`; true if both sides accept.
bool scram_login(const ScramSecret& secret, const std::string& password) {
  ScramServerExchange server(secret);
  ScramClientExchange client(password);
  const auto server_first = server.handle_client_first(client.client_first_message());
  if (!server_first) return false;
  const auto client_final = client.handle_server_first(*server_first);
  if (!client_final) return false;
  const auto server_final = server.handle_client_final(*client_final);
  return server_final && client.verify_server_final(*server_final);
}

}  // namespace

TEST_CASE("make_credential derives a SCRAM secret for a plain password", "[auth]") {
  const auto credential = make_credential("pencil", "user");
  REQUIRE(credential);
  CHECK(credential->kind == PasswordKind::plain);
  CHECK(credential->text == "pencil");
  CHECK(credential->scram.iterations == 4096);
  CHECK(credential->scram.salt.size() == 16);
  CHECK(scram_login(credential->scram, "pencil"));
  CHECK_FALSE(scram_login(credential->scram, "pencil2"));

  // Each load salts afresh.
  const auto again = make_credential("pencil", "user");
  REQUIRE(again);
  CHECK(again->scram.salt != credential->scram.salt);
}

TEST_CASE("make_credential recognises md5 hashes", "[auth]") {
  const std::string hash = pg_md5_password("pencil", "user");
  const auto credential = make_credential(hash, "user");
  REQUIRE(credential);
  CHECK(credential->kind == PasswordKind::md5);
  CHECK(credential->text == hash);

  // As in PostgreSQL, anything not exactly "md5" + 32 lowercase hex is a plain password.
  const auto looks_like_md5 = make_credential("md5notahash", "user");
  REQUIRE(looks_like_md5);
  CHECK(looks_like_md5->kind == PasswordKind::plain);
}

TEST_CASE("make_credential parses SCRAM verifiers and refuses broken ones", "[auth]") {
  const std::string verifier = format_scram_verifier(make_scram_secret("pencil", "NaCl", 4096));
  const auto credential = make_credential(verifier, "user");
  REQUIRE(credential);
  CHECK(credential->kind == PasswordKind::scram);
  CHECK(credential->text == verifier);
  CHECK(credential->scram.salt == "NaCl");
  CHECK(scram_login(credential->scram, "pencil"));

  CHECK_FALSE(make_credential("SCRAM-SHA-256$4096:abc", "user"));
  CHECK_FALSE(make_credential(verifier.substr(0, verifier.size() - 2), "user"));
  CHECK_FALSE(make_credential("", "user"));
}
