// MariaDB's client_ed25519, signing as a client (Sluice's backend login). The known answers:
// libsodium's own RFC 8032 signer (crypto_sign_detached) for a 32-byte password, which MariaDB's
// derivation then equals (SHA-512 of the password is SHA-512 of the seed), RFC 8032's test
// vectors, and MariaDB's published ed25519_password('secret') with a reference signature.
#include <catch2/catch.hpp>

#include <sodium.h>

#include <array>
#include <string>

#include "sluice/auth/client_ed25519.hpp"
#include "sluice/auth/client_ed25519_signature.hpp"

#include "../support/hex.hpp"

using namespace sluice::auth;

namespace {

std::string random_bytes(std::size_t count) {
  std::string bytes(count, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return bytes;
}

// libsodium's RFC 8032 signature of `message` with the key from `seed` (32 bytes).
std::string sodium_signature(const std::string& seed, const std::string& message) {
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> public_key{};
  std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret_key{};
  REQUIRE(crypto_sign_seed_keypair(public_key.data(), secret_key.data(),
                                   reinterpret_cast<const unsigned char*>(seed.data())) == 0);
  std::string signature(crypto_sign_BYTES, '\0');
  REQUIRE(crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                               reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                               secret_key.data()) == 0);
  return signature;
}

}  // namespace

TEST_CASE("client_ed25519 signature equals libsodium's RFC 8032 signer for a 32-byte password", "[auth][mysql]") {
  REQUIRE(sodium_init() >= 0);
  for (int round = 0; round < 64; ++round) {
    const std::string seed = random_bytes(crypto_sign_SEEDBYTES);
    const std::string nonce = random_bytes(client_ed25519_nonce_length);
    const auto signature = client_ed25519_signature(seed, nonce);
    REQUIRE(signature);
    REQUIRE(signature->size() == ed25519_signature_length);
    CHECK(*signature == sodium_signature(seed, nonce));
  }
}

TEST_CASE("client_ed25519 signature matches RFC 8032's test vectors", "[auth][mysql]") {
  // RFC 8032 section 7.1, tests 1 (empty message) and 2 (one byte).
  CHECK(client_ed25519_signature(from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"), "") ==
        from_hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25"
                 "bf5f0595bbe24655141438e7a100b"));
  CHECK(client_ed25519_signature(from_hex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"),
                                 "\x72") ==
        from_hex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387"
                 "b2eaeb4302aeeb00d291612bb0c00"));
}

TEST_CASE("client_ed25519 signature of a password of any length verifies under MariaDB's key", "[auth][mysql]") {
  // SELECT ed25519_password('secret'), and the reference signature of nonce 0..31 made from
  // RFC 8032's formulas with SHA-512('secret') as the expanded key (tests/unit/auth/mysql_auth_test.cpp).
  const auto key = parse_ed25519_password_hash("ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY");
  REQUIRE(key);
  std::string nonce;
  for (int i = 0; i < 32; ++i) nonce.push_back(static_cast<char>(i));
  const auto signature = client_ed25519_signature("secret", nonce);
  REQUIRE(signature);
  CHECK(*signature == from_hex("546c3e9311d19ee389d1ae5d945821bfe459423910136f16b3bd2ae89fd7d63b449e689f4be812891a85b8f"
                               "999076446d92adb83d0707215aaa60b5a23220907"));
  CHECK(verify_ed25519_signature(*key, nonce, *signature));
  // Sluice's own server side accepts it; another password's signature is refused.
  for (const std::string password : {"", "p", "a much longer password than thirty-two bytes, with ümlauts"}) {
    INFO(password);
    const std::string fresh_nonce = random_bytes(client_ed25519_nonce_length);
    const auto answer = client_ed25519_signature(password, fresh_nonce);
    REQUIRE(answer);
    if (!password.empty()) CHECK(verify_client_ed25519_password(password, fresh_nonce, *answer));
    CHECK_FALSE(verify_client_ed25519_password(password + "x", fresh_nonce, *answer));
  }
}
