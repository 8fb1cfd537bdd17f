// auth_query's rows to a Credential, and the TTL cache with an injected clock.

#include <catch2/catch.hpp>

#include "sluice/auth/auth_query.hpp"
#include "sluice/auth/scram_secret.hpp"

using namespace sluice::auth;
using namespace std::chrono_literals;

namespace {

constexpr std::string_view verifier =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";

Credential credential(std::string_view password) {
  auto made = make_credential(password, "app");
  REQUIRE(made);
  return *made;
}

}  // namespace

TEST_CASE("credential_from_rows accepts one row for the user", "[auth_query]") {
  const std::vector<AuthQueryRow> rows{{"app", verifier}};
  const auto result = credential_from_rows(rows, "app");
  REQUIRE(result.status == AuthQueryStatus::found);
  REQUIRE(result.credential);
  CHECK(result.credential->kind == PasswordKind::scram);
  CHECK(result.credential->scram.iterations == 4096);
  const std::string md5_hash = "md5" + std::string(32, 'a');  // rows hold views: keep the text alive
  const std::vector<AuthQueryRow> md5{{"app", md5_hash}};
  CHECK(credential_from_rows(md5, "app").credential->kind == PasswordKind::md5);
}

TEST_CASE("credential_from_rows refuses what it cannot trust, without echoing passwords", "[auth_query]") {
  auto status = [](std::vector<AuthQueryRow> rows) { return credential_from_rows(rows, "app"); };
  CHECK(status({}).status == AuthQueryStatus::unknown_user);
  CHECK(status({{"app", std::nullopt}}).status == AuthQueryStatus::no_password);
  CHECK(status({{"app", ""}}).status == AuthQueryStatus::no_password);
  CHECK(status({{"admin", verifier}}).status == AuthQueryStatus::bad_reply);
  CHECK(status({{std::nullopt, verifier}}).status == AuthQueryStatus::bad_reply);
  CHECK(status({{"app", verifier}, {"app", verifier}}).status == AuthQueryStatus::bad_reply);
  CHECK(status({{"app"}}).status == AuthQueryStatus::bad_reply);
  CHECK(status({{"app", verifier, "x"}}).status == AuthQueryStatus::bad_reply);
  const auto broken = status({{"app", "SCRAM-SHA-256$4096:secret-looking"}});
  CHECK(broken.status == AuthQueryStatus::bad_reply);
  CHECK(broken.error.find("secret-looking") == std::string::npos);
}

TEST_CASE("CredentialCache keeps entries for the TTL, forgets on demand", "[auth_query]") {
  const auto t0 = CredentialCache::TimePoint{} + 1h;
  CredentialCache cache(60s, 10);
  CHECK_FALSE(cache.find("app", t0));
  cache.store("app", credential("one"), t0);
  REQUIRE(cache.find("app", t0 + 59s));
  CHECK(cache.find("app", t0 + 59s)->text == "one");
  CHECK_FALSE(cache.find("app", t0 + 60s));
  cache.store("app", credential("two"), t0 + 60s);  // a refresh restarts the TTL
  CHECK(cache.find("app", t0 + 100s)->text == "two");
  cache.forget("app");
  CHECK_FALSE(cache.find("app", t0 + 100s));
  cache.forget("nobody");
  cache.store("x", credential("x"), t0);
  cache.clear();
  CHECK(cache.size() == 0);
}

TEST_CASE("CredentialCache is bounded: expired entries go first, then the oldest", "[auth_query]") {
  const auto t0 = CredentialCache::TimePoint{} + 1h;
  CredentialCache cache(60s, 2);
  cache.store("a", credential("a"), t0);
  cache.store("b", credential("b"), t0 + 30s);
  cache.store("c", credential("c"), t0 + 61s);  // a has expired: it makes the room
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.find("a", t0 + 61s));
  CHECK(cache.find("b", t0 + 61s));
  cache.store("d", credential("d"), t0 + 62s);  // nothing expired: b, the oldest, goes
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.find("b", t0 + 62s));
  CHECK(cache.find("c", t0 + 62s));
  CHECK(cache.find("d", t0 + 62s));
  CredentialCache none(60s, 0);
  none.store("a", credential("a"), t0);
  CHECK(none.size() == 0);
}
