#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>

#include "sluice/auth/base64.hpp"
#include "sluice/auth/scram_secret.hpp"

using namespace sluice::auth;

namespace {

// Verifiers computed independently with Python's hashlib.pbkdf2_hmac/hmac, in the exact
// form PostgreSQL stores in pg_authid.rolpassword.
constexpr const char* rfc7677_verifier =
    "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
constexpr const char* utf8_verifier =  // password "pässwörd", salt "0123456789abcdef"
    "SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$"
    "3fAV27j/YomKockTpuTuKl8RWKrwUX4tGo6Bmy3IHkQ=:LakBVUYurAovdTX6//mRi+yyjfF4zqUVQreGOY7pUPI=";

}  // namespace

TEST_CASE("make_scram_secret matches an independently computed verifier", "[auth]") {
  const auto salt = base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==");
  REQUIRE(salt);
  const ScramSecret secret = make_scram_secret("pencil", *salt, 4096);
  CHECK(format_scram_verifier(secret) == rfc7677_verifier);
}

TEST_CASE("non-ASCII passwords are hashed in their SASLprep form, as PostgreSQL hashes them", "[auth]") {
  // "pässwörd" in NFC, as typed on most systems.
  const ScramSecret nfc = make_scram_secret("p\xC3\xA4ssw\xC3\xB6rd", "0123456789abcdef", 4096);
  CHECK(format_scram_verifier(nfc) == utf8_verifier);
  // SASLprep: the NFD spelling normalises to the same password, hence the same verifier.
  const ScramSecret nfd = make_scram_secret("pa\xCC\x88ssw\xC3\xB6rd", "0123456789abcdef", 4096);
  CHECK(format_scram_verifier(nfd) == utf8_verifier);
}

TEST_CASE("parse_scram_verifier reads a PostgreSQL verifier", "[auth]") {
  const auto secret = parse_scram_verifier(rfc7677_verifier);
  REQUIRE(secret);
  CHECK(secret->iterations == 4096);
  CHECK(secret->salt == *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="));
  CHECK(base64_encode(secret->stored_key) == "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=");
  CHECK(base64_encode(secret->server_key) == "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
  CHECK(format_scram_verifier(*secret) == rfc7677_verifier);
}

TEST_CASE("parse_scram_verifier round-trips a generated secret", "[auth]") {
  const ScramSecret secret = make_scram_secret("hunter2", random_bytes(16), 10000);
  const auto parsed = parse_scram_verifier(format_scram_verifier(secret));
  REQUIRE(parsed);
  CHECK(parsed->iterations == 10000);
  CHECK(parsed->salt == secret.salt);
  CHECK(parsed->stored_key == secret.stored_key);
  CHECK(parsed->server_key == secret.server_key);
}

TEST_CASE("parse_scram_verifier rejects malformed verifiers", "[auth]") {
  const std::string key = "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=";
  const std::string short_key = base64_encode(std::string(31, 'k'));
  const std::string long_key = base64_encode(std::string(33, 'k'));
  const std::string malformed[] = {
      "",
      "SCRAM-SHA-256",
      "SCRAM-SHA-256$",
      "scram-sha-256$4096:c2FsdA==$" + key + ":" + key,  // prefix is case-sensitive
      "SCRAM-SHA-1$4096:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + key,                   // one key
      "SCRAM-SHA-256$4096:c2FsdA==" + key + ":" + key,        // missing '$'
      "SCRAM-SHA-256$4096c2FsdA==$" + key + ":" + key,        // missing ':'
      "SCRAM-SHA-256$:c2FsdA==$" + key + ":" + key,           // no iterations
      "SCRAM-SHA-256$0:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$-1:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$+4096:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$4096x:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$100000001:c2FsdA==$" + key + ":" + key,  // above max_scram_iterations
      "SCRAM-SHA-256$99999999999999999999999:c2FsdA==$" + key + ":" + key,
      "SCRAM-SHA-256$4096:$" + key + ":" + key,               // empty salt
      "SCRAM-SHA-256$4096:c2FsdA=$" + key + ":" + key,        // bad base64 salt
      "SCRAM-SHA-256$4096:c2Fs*A==$" + key + ":" + key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + short_key + ":" + key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":" + long_key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":",
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":" + key + "$",
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":" + key + ":" + key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + " :" + key,
      "SCRAM-SHA-256$4096:c2FsdA==$" + key + ":" + key + "\n",
  };
  for (const std::string& text : malformed) {
    INFO(text);
    CHECK_FALSE(parse_scram_verifier(text));
  }
}

TEST_CASE("make_scram_secret fails closed on an out-of-range iteration count", "[auth]") {
  CHECK_FALSE(try_make_scram_secret("pencil", "salt", 0));
  CHECK_FALSE(try_make_scram_secret("pencil", "salt", -5));
  CHECK_FALSE(try_make_scram_secret("pencil", "salt", max_scram_iterations + 1));
  const ScramSecret secret = make_scram_secret("pencil", "salt", 0);
  CHECK(secret.stored_key == ScramKey{});
  CHECK(secret.server_key == ScramKey{});
}

TEST_CASE("random_bytes returns fresh bytes of the requested length", "[auth]") {
  CHECK(random_bytes(0).empty());
  const std::string a = random_bytes(32);
  const std::string b = random_bytes(32);
  CHECK(a.size() == 32);
  CHECK(b.size() == 32);
  CHECK(a != b);

  std::array<std::uint8_t, 8> key{};
  REQUIRE(random_fill(key));
  CHECK(key != std::array<std::uint8_t, 8>{});  // 2^-64 chance of a false failure
}
