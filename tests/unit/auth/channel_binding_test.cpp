// SCRAM-SHA-256-PLUS: the tls-server-end-point hash (RFC 5929) and both exchange classes
// binding to it, checked against a login computed independently (Python hashlib/hmac).

#include <catch2/catch.hpp>

#include <openssl/evp.h>

#include <numeric>

#include "../support/scram_login.hpp"
#include "../support/test_pki.hpp"
#include "sluice/auth/base64.hpp"
#include "sluice/auth/channel_binding.hpp"
#include "sluice/auth/scram_client.hpp"
#include "sluice/auth/scram_server.hpp"

using namespace sluice::auth;
namespace test = sluice::test;

namespace {

// RFC 7677's user, password, salt and nonces, bound to the bytes 1..32 as the certificate hash.
constexpr const char* client_nonce = "rOprNGfwEbeRWgbNEkqO";
constexpr const char* server_nonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* plus_client_first = "p=tls-server-end-point,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr const char* plus_client_final =
    "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=,"
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=iewnHSRRfTAFmVgKHJEIWEKB8rw3MFGXwSNJNdh1bWA=";
constexpr const char* plus_server_final = "v=ys6uARKiwMeJBpN/yM+fr+cBjXraLhrVngdONUpXrb4=";

std::vector<std::uint8_t> sample_hash() {
  std::vector<std::uint8_t> hash(32);
  std::iota(hash.begin(), hash.end(), std::uint8_t{1});
  return hash;
}

ScramSecret rfc_secret() { return make_scram_secret("pencil", *base64_decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096); }

// The certificate's DER hashed with `digest`, computed apart from the function under test.
std::vector<std::uint8_t> der_digest(X509* certificate, const EVP_MD* digest) {
  unsigned char* der = nullptr;
  const int length = i2d_X509(certificate, &der);
  REQUIRE(length > 0);
  std::vector<std::uint8_t> hash(EVP_MAX_MD_SIZE);
  unsigned int hash_length = 0;
  const bool ok = EVP_Digest(der, static_cast<std::size_t>(length), hash.data(), &hash_length, digest, nullptr) == 1;
  OPENSSL_free(der);
  REQUIRE(ok);
  hash.resize(hash_length);
  return hash;
}

test::X509Ptr certificate_signed_with(const EVP_MD* digest) {
  auto key = test::make_test_key();
  test::CertificateSpec spec{"localhost", "DNS:localhost"};
  spec.digest = digest;
  return test::make_test_certificate(spec, key.get(), nullptr, nullptr);
}


}  // namespace

TEST_CASE("tls-server-end-point hashes with the signature's hash, SHA-256 for SHA-1", "[auth][channel_binding]") {
  auto sha256_signed = certificate_signed_with(EVP_sha256());
  CHECK(tls_server_end_point_hash(sha256_signed.get()) == der_digest(sha256_signed.get(), EVP_sha256()));
  auto sha384_signed = certificate_signed_with(EVP_sha384());
  const auto sha384 = tls_server_end_point_hash(sha384_signed.get());
  REQUIRE(sha384);
  CHECK(sha384->size() == 48);
  CHECK(*sha384 == der_digest(sha384_signed.get(), EVP_sha384()));
  auto sha1_signed = certificate_signed_with(EVP_sha1());
  CHECK(tls_server_end_point_hash(sha1_signed.get()) == der_digest(sha1_signed.get(), EVP_sha256()));
  CHECK_FALSE(tls_server_end_point_hash(nullptr));
}

TEST_CASE("SCRAM-SHA-256-PLUS client and server reproduce an independently computed login",
          "[auth][channel_binding]") {
  ScramClientExchange client("pencil", client_nonce, "user");
  client.set_channel_binding(sample_hash(), true);
  CHECK(client.mechanism() == "SCRAM-SHA-256-PLUS");
  CHECK(client.client_first_message() == plus_client_first);

  ScramServerExchange server(rfc_secret(), server_nonce);
  server.set_channel_binding(sample_hash(), true);
  const auto server_first = server.handle_client_first(plus_client_first);
  REQUIRE(server_first);
  CHECK(client.handle_server_first(*server_first) == std::string(plus_client_final));
  CHECK(server.handle_client_final(plus_client_final) == std::string(plus_server_final));
  CHECK(server.channel_bound());
  CHECK(client.verify_server_final(plus_server_final));
}

TEST_CASE("SCRAM-SHA-256-PLUS refuses another certificate, downgrades and mismatched mechanisms",
          "[auth][channel_binding]") {
  const auto other_hash = std::vector<std::uint8_t>(32, 0xEE);
  SECTION("the client saw another certificate (a man in the middle)") {
    ScramServerExchange server(rfc_secret());
    server.set_channel_binding(sample_hash(), true);
    ScramClientExchange client("pencil");
    client.set_channel_binding(other_hash, true);
    const auto outcome = test::run_login(server, client);
    CHECK_FALSE(outcome.server_accepted);
    CHECK_THAT(outcome.server_error, Catch::Contains("does not match this connection's TLS certificate"));
  }
  SECTION("PLUS was offered but the client says it was not (y)") {
    ScramServerExchange server(rfc_secret());
    server.set_channel_binding(sample_hash(), false);
    ScramClientExchange client("pencil");
    client.set_channel_binding(sample_hash(), false);
    CHECK(client.mechanism() == "SCRAM-SHA-256");
    CHECK(client.client_first_message().starts_with("y,,"));
    ScramClientExchange again("pencil");
    again.set_channel_binding(sample_hash(), false);
    CHECK_THAT(test::run_login(server, again).server_error, Catch::Contains("downgrade"));
  }
  SECTION("PLUS chosen without p=, or p= without PLUS, or another binding type") {
    ScramServerExchange plus(rfc_secret());
    plus.set_channel_binding(sample_hash(), true);
    CHECK_FALSE(plus.handle_client_first("n,,n=,r=abc"));
    CHECK_THAT(plus.error(), Catch::Contains("requires channel binding"));
    ScramServerExchange plain(rfc_secret());
    plain.set_channel_binding(sample_hash(), false);
    CHECK_FALSE(plain.handle_client_first("p=tls-server-end-point,,n=,r=abc"));
    CHECK_THAT(plain.error(), Catch::Contains("needs SCRAM-SHA-256-PLUS"));
    ScramServerExchange unique(rfc_secret());
    unique.set_channel_binding(sample_hash(), true);
    CHECK_FALSE(unique.handle_client_first("p=tls-unique,,n=,r=abc"));
    CHECK_THAT(unique.error(), Catch::Contains("only tls-server-end-point"));
    ScramServerExchange no_hash(rfc_secret());
    no_hash.set_channel_binding({}, true);
    CHECK_FALSE(no_hash.handle_client_first("p=tls-server-end-point,,n=,r=abc"));
  }
  SECTION("c= that drops the binding data is refused") {
    ScramServerExchange server(rfc_secret(), server_nonce);
    server.set_channel_binding(sample_hash(), true);
    REQUIRE(server.handle_client_first(plus_client_first));
    const std::string header_only = "c=" + base64_encode("p=tls-server-end-point,,") +
                                    ",r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=" +
                                    base64_encode(std::string(32, 'p'));
    CHECK_FALSE(server.handle_client_final(header_only));
    CHECK_FALSE(server.channel_bound());
  }
  SECTION("without TLS, y is accepted and a client with no hash stays plain") {
    ScramServerExchange server(rfc_secret());
    ScramClientExchange client("pencil");
    client.set_channel_binding(sample_hash(), false);
    CHECK(test::run_login(server, client).client_accepted);
    CHECK_FALSE(server.channel_bound());
    ScramClientExchange no_hash("pencil");
    no_hash.set_channel_binding({}, true);
    CHECK(no_hash.client_first_message().starts_with("n,,"));
  }
}

TEST_CASE("SCRAM pass-through works over channel binding on both legs", "[auth][channel_binding]") {
  // A client binds to Sluice's certificate; Sluice recovers ClientKey and binds to the backend's.
  const ScramSecret secret = rfc_secret();
  ScramServerExchange front(secret);
  front.set_channel_binding(sample_hash(), true);
  ScramClientExchange client("pencil");
  client.set_channel_binding(sample_hash(), true);
  REQUIRE(test::run_login(front, client).client_accepted);

  const auto backend_hash = std::vector<std::uint8_t>(48, 0x42);
  ScramServerExchange backend(secret);
  backend.set_channel_binding(backend_hash, true);
  auto relay = ScramClientExchange::from_secret(secret, front.client_key());
  relay.set_channel_binding(backend_hash, true);
  const auto outcome = test::run_login(backend, relay);
  CHECK(outcome.server_accepted);
  CHECK(outcome.client_accepted);
  CHECK(backend.channel_bound());
}
