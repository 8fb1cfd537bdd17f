// MySQL/MariaDB password schemes: mysql_native_password, caching_sha2_password's fast path,
// a password sent in clear (its full authentication) against every stored form, MariaDB's
// client_ed25519. Known answers come from MySQL's published PASSWORD() values,
// RFC 8032, MariaDB's published ed25519_password('secret'), and Python's hashlib applied to the
// documented formulas (noted at each value).
#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <string>

#include "sluice/auth/caching_sha2_password.hpp"
#include "sluice/auth/cleartext_password.hpp"
#include "sluice/auth/client_ed25519.hpp"
#include "sluice/auth/mysql_native_password.hpp"

#include "../support/hex.hpp"

using namespace sluice::auth;

namespace {

// The scramble the Python reference values use: bytes 1..20.
std::string test_scramble() {
  std::string scramble;
  for (int i = 1; i <= 20; ++i) scramble.push_back(static_cast<char>(i));
  return scramble;
}

std::string flip_first_bit(std::string bytes) {
  bytes[0] = static_cast<char>(bytes[0] ^ 1);
  return bytes;
}

}  // namespace

TEST_CASE("mysql_native_password_hash matches MySQL's PASSWORD()", "[auth][mysql]") {
  CHECK(mysql_native_password_hash("password") == "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
  CHECK(mysql_native_password_hash("secret") == "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7");
  CHECK(mysql_native_password_hash("").empty());
  CHECK(is_mysql_native_password_hash("*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"));
  CHECK(is_mysql_native_password_hash("*14e65567abdb5135d0cfd9a70b3032c179a49ee7"));
  CHECK_FALSE(is_mysql_native_password_hash("14E65567ABDB5135D0CFD9A70B3032C179A49EE7"));
  CHECK_FALSE(is_mysql_native_password_hash("*14E65567ABDB5135D0CFD9A70B3032C179A49EE"));
  CHECK_FALSE(is_mysql_native_password_hash("*14E65567ABDB5135D0CFD9A70B3032C179A49EEG"));
  CHECK(parse_mysql_native_password_hash("*14E65567ABDB5135D0CFD9A70B3032C179A49EE7") == mysql_native_stage2("secret"));
}

TEST_CASE("mysql_native_password scramble and verification", "[auth][mysql]") {
  const std::string scramble = test_scramble();
  // Python: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))) for pw = b"secret".
  const std::string expected = from_hex("b32bb3a583e1340c0a1108d58b1be49781ad8c2f");
  const auto response = mysql_native_password_scramble("secret", scramble);
  REQUIRE(response);
  CHECK(*response == expected);

  const std::string stored = "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7";
  CHECK(verify_mysql_native_password(stored, scramble, expected));
  CHECK(verify_mysql_native_password(std::string_view("secret"), scramble, expected));  // plain password
  CHECK(verify_mysql_native_password(*mysql_native_stage2("secret"), scramble, expected));
  CHECK_FALSE(verify_mysql_native_password(stored, scramble, flip_first_bit(expected)));
  CHECK_FALSE(verify_mysql_native_password(stored, flip_first_bit(scramble), expected));
  CHECK_FALSE(verify_mysql_native_password(std::string_view("Secret"), scramble, expected));
  CHECK_FALSE(verify_mysql_native_password(stored, scramble, expected.substr(0, 19)));
  CHECK_FALSE(verify_mysql_native_password(stored, scramble, ""));
}

TEST_CASE("mysql_native_password: the empty password is the empty response", "[auth][mysql]") {
  CHECK(mysql_native_password_scramble("", test_scramble()) == std::string());
  CHECK(verify_mysql_native_password(std::string_view(""), test_scramble(), ""));
  CHECK_FALSE(verify_mysql_native_password(std::string_view(""), test_scramble(), std::string(20, 'x')));
  CHECK_FALSE(verify_mysql_native_password(std::string_view("secret"), test_scramble(), ""));
}

TEST_CASE("caching_sha2_password fast path", "[auth][mysql]") {
  const std::string scramble = test_scramble();
  // Python: XOR(SHA256(pw), SHA256(SHA256(SHA256(pw)) + scramble)) for pw = b"secret".
  const std::string expected = from_hex("746ebe205d56a0707acb3e796e834e0dd7b1d61743b26bd5202c7a623230c7c9");
  const auto response = caching_sha2_scramble("secret", scramble);
  REQUIRE(response);
  CHECK(*response == expected);

  const auto stage2 = caching_sha2_stage2("secret");
  REQUIRE(stage2);
  CHECK(std::string(stage2->begin(), stage2->end()) ==
        from_hex("3881219d087dd9c634373fd33dfa33a2cb6bfc6c520b64b8bb60ef2ceb534ae7"));
  CHECK(verify_caching_sha2_scramble(*stage2, scramble, expected));
  CHECK(verify_caching_sha2_password("secret", scramble, expected));
  CHECK_FALSE(verify_caching_sha2_password("secret", scramble, flip_first_bit(expected)));
  CHECK_FALSE(verify_caching_sha2_password("secret", flip_first_bit(scramble), expected));
  CHECK_FALSE(verify_caching_sha2_password("secreT", scramble, expected));
  CHECK_FALSE(verify_caching_sha2_password("secret", scramble, expected.substr(1)));
  CHECK(caching_sha2_scramble("", scramble) == std::string());
  CHECK(verify_caching_sha2_password("", scramble, ""));
  CHECK_FALSE(verify_caching_sha2_password("", scramble, expected));
  CHECK(caching_sha2_cleartext_response("pw") == std::string("pw\0", 3));
}

TEST_CASE("Ed25519 verification follows RFC 8032", "[auth][mysql]") {
  // RFC 8032 section 7.1, tests 1 and 2.
  const auto key1 = from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
  const auto signature1 = from_hex(
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24"
      "655141438e7a100b");
  const auto key2 = from_hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const auto signature2 = from_hex(
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aee"
      "b00d291612bb0c00");
  Ed25519PublicKey public1{}, public2{};
  std::copy(key1.begin(), key1.end(), public1.begin());
  std::copy(key2.begin(), key2.end(), public2.begin());
  CHECK(verify_ed25519_signature(public1, "", signature1));
  CHECK(verify_ed25519_signature(public2, "\x72", signature2));
  CHECK_FALSE(verify_ed25519_signature(public2, "\x73", signature2));
  CHECK_FALSE(verify_ed25519_signature(public1, "", signature2));
  CHECK_FALSE(verify_ed25519_signature(public1, "", flip_first_bit(signature1)));
  CHECK_FALSE(verify_ed25519_signature(public1, "", signature1.substr(1)));
}

TEST_CASE("client_ed25519: MariaDB's key from a password, and its signatures", "[auth][mysql]") {
  // MariaDB: SELECT ed25519_password('secret').
  const std::string stored = "ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY";
  const auto key = parse_ed25519_password_hash(stored);
  REQUIRE(key);
  CHECK(format_ed25519_password_hash(*key) == stored);
  CHECK_FALSE(parse_ed25519_password_hash(stored.substr(1)));
  CHECK_FALSE(parse_ed25519_password_hash(stored + "="));

  // One of the two candidates of "secret" is MariaDB's key; the other is its negation.
  const auto candidates = ed25519_public_key_candidates("secret");
  REQUIRE(candidates);
  CHECK(((*candidates)[0] == *key || (*candidates)[1] == *key));
  CHECK((*candidates)[0] != (*candidates)[1]);

  // A signature of nonce 0..31 made the MariaDB way (SHA-512 of the password as the expanded
  // key), computed from RFC 8032's formulas in Python and checked with pyca/cryptography.
  std::string nonce;
  for (int i = 0; i < 32; ++i) nonce.push_back(static_cast<char>(i));
  const auto signature = from_hex(
      "546c3e9311d19ee389d1ae5d945821bfe459423910136f16b3bd2ae89fd7d63b449e689f4be812891a85b8f999076446d92adb83d070721"
      "5aaa60b5a23220907");
  CHECK(verify_ed25519_signature(*key, nonce, signature));
  CHECK(verify_client_ed25519_password("secret", nonce, signature));
  CHECK_FALSE(verify_client_ed25519_password("Secret", nonce, signature));
  CHECK_FALSE(verify_client_ed25519_password("", nonce, signature));
  CHECK_FALSE(verify_client_ed25519_password("secret", nonce.substr(1), signature));
}

TEST_CASE("client_ed25519 agrees with OpenSSL's own key for a 32-byte password", "[auth][mysql]") {
  // For a password of exactly 32 bytes MariaDB's derivation is RFC 8032's with the password as
  // the seed: RFC 8032 test 2's seed must give test 2's public key.
  const auto seed = from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
  const auto expected = from_hex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c");
  const auto candidates = ed25519_public_key_candidates(seed);
  REQUIRE(candidates);
  const auto as_text = [](const Ed25519PublicKey& key) { return std::string(key.begin(), key.end()); };
  CHECK((as_text((*candidates)[0]) == expected || as_text((*candidates)[1]) == expected));
}

TEST_CASE("a password in clear is checked against every stored form", "[auth][mysql]") {
  // PASSWORD('secret'); "md5" + md5("secret" + "app") (hashlib); RFC 7677's verifier of "pencil".
  const std::string native = "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7";
  const std::string md5 = "md56a422f785c9e20873908ce25d1736ae2";
  const std::string scram =
      "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
      "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=";
  CHECK(verify_cleartext_password("secret", "app", "secret"));
  CHECK(verify_cleartext_password(native, "app", "secret"));
  CHECK(verify_cleartext_password(md5, "app", "secret"));
  CHECK(verify_cleartext_password(scram, "app", "pencil"));
  for (const std::string& stored : {std::string("secret"), native, md5}) {
    CHECK_FALSE(verify_cleartext_password(stored, "app", "secreT"));
    CHECK_FALSE(verify_cleartext_password(stored, "app", ""));
  }
  CHECK_FALSE(verify_cleartext_password(scram, "app", "pencils"));
  // md5 hashes embed the user name.
  CHECK_FALSE(verify_cleartext_password(md5, "bob", "secret"));
  // An empty stored password accepts only the empty one; a broken verifier nothing.
  CHECK(verify_cleartext_password("", "app", ""));
  CHECK_FALSE(verify_cleartext_password("", "app", "x"));
  CHECK_FALSE(verify_cleartext_password("SCRAM-SHA-256$4096:broken", "app", "pencil"));
}
