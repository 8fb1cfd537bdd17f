// TLS contexts from throwaway certificates: what loads, what is refused and why, and real
// handshakes between the two sides over a connected socket pair in one io_context.

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <openssl/pem.h>

#include <cstdio>

#include "../support/test_pki.hpp"
#include "sluice/net/tls_context.hpp"

using namespace sluice;
namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

config::ClientTlsConfig client_side(const test::TestPki& pki, const std::string& name = "server") {
  return {config::ClientTlsMode::require, pki.path(name + ".crt"), pki.path(name + ".key"), std::nullopt};
}

config::ServerTlsConfig server_side(const test::TestPki& pki, config::ServerTlsMode mode) {
  return {mode, pki.path("ca.crt"), std::nullopt, std::nullopt};
}

net::TlsContextPtr built(const net::TlsContextResult& result) {
  INFO(result.error);
  REQUIRE(result.ok());
  return result.context;
}

struct Handshake {
  boost::system::error_code server_error;
  boost::system::error_code client_error;
  std::string client_verification;  // verification_failure() on the client side
  std::string server_alpn;
  std::optional<std::string> client_name;  // the CN the server verified
  bool ok() const { return !server_error && !client_error; }
};

// Sluice-as-server (`server`) and Sluice-as-client (`client`) shake hands over a socket pair.
// `host` goes through prepare_backend_session as the backend's configured host.
Handshake handshake(const net::TlsContextPtr& server, const net::TlsContextPtr& client, std::string_view host,
                    config::ServerTlsMode mode, std::string_view alpn = {}) {
  asio::io_context io;
  asio::local::stream_protocol::socket a(io), b(io);
  asio::local::connect_pair(a, b);
  ssl::stream<asio::local::stream_protocol::socket> server_stream(std::move(a), *server);
  ssl::stream<asio::local::stream_protocol::socket> client_stream(std::move(b), *client);
  std::string error;
  REQUIRE(net::prepare_backend_session(client_stream.native_handle(), host, mode, error));
  if (!alpn.empty()) {
    std::string wire(1, static_cast<char>(alpn.size()));
    wire += alpn;
    REQUIRE(SSL_set_alpn_protos(client_stream.native_handle(), reinterpret_cast<const unsigned char*>(wire.data()),
                                static_cast<unsigned>(wire.size())) == 0);
  }
  Handshake result;
  server_stream.async_handshake(ssl::stream_base::server, [&](auto ec) { result.server_error = ec; });
  client_stream.async_handshake(ssl::stream_base::client, [&](auto ec) { result.client_error = ec; });
  io.run();
  result.client_verification = net::verification_failure(client_stream.native_handle());
  result.server_alpn = net::negotiated_alpn(server_stream.native_handle());
  result.client_name = net::verified_peer_common_name(server_stream.native_handle());
  return result;
}

}  // namespace

TEST_CASE("good certificate material loads on both sides", "[tls]") {
  test::TestPki pki;
  built(net::make_client_tls_context(client_side(pki)));
  auto with_ca = client_side(pki);
  with_ca.ca = pki.path("ca.crt");
  built(net::make_client_tls_context(with_ca));
  for (auto mode : {config::ServerTlsMode::prefer, config::ServerTlsMode::require, config::ServerTlsMode::verify_ca,
                    config::ServerTlsMode::verify_full}) {
    built(net::make_server_tls_context(server_side(pki, mode)));
  }
  built(net::make_server_tls_context({config::ServerTlsMode::require, std::nullopt, std::nullopt, std::nullopt}));
  auto with_identity = server_side(pki, config::ServerTlsMode::verify_full);
  with_identity.cert = pki.path("client.crt");
  with_identity.key = pki.path("client.key");
  built(net::make_server_tls_context(with_identity));
}

TEST_CASE("bad certificate material is refused with a reason naming the file", "[tls]") {
  test::TestPki pki;
  auto refused = [](const net::TlsContextResult& result) {
    CHECK_FALSE(result.ok());
    return result.error;
  };
  SECTION("a key that does not match the certificate") {
    auto settings = client_side(pki);
    settings.key = pki.path("stray.key");
    const auto error = refused(net::make_client_tls_context(settings));
    CHECK_THAT(error, Catch::StartsWith("tls.client.key '" + pki.path("stray.key") + "' does not match"));
  }
  SECTION("a missing file") {
    auto settings = client_side(pki);
    settings.cert = pki.path("missing.crt");
    CHECK_THAT(refused(net::make_client_tls_context(settings)),
               Catch::StartsWith("tls.client.cert '" + pki.path("missing.crt") + "': "));
    auto server = server_side(pki, config::ServerTlsMode::verify_ca);
    server.ca = pki.path("missing-ca.crt");
    CHECK_THAT(refused(net::make_server_tls_context(server)), Catch::StartsWith("tls.server.ca '"));
  }
  SECTION("an expired certificate") {
    CHECK_THAT(refused(net::make_client_tls_context(client_side(pki, "expired"))),
               Catch::Contains("certificate expired on"));
  }
  SECTION("a file that is not PEM") {
    auto settings = client_side(pki);
    settings.cert = pki.path("server.key");
    CHECK_THAT(refused(net::make_client_tls_context(settings)), Catch::StartsWith("tls.client.cert"));
    auto with_ca = client_side(pki);
    with_ca.ca = pki.path("stray.key");
    CHECK_THAT(refused(net::make_client_tls_context(with_ca)), Catch::StartsWith("tls.client.ca"));
  }
  SECTION("a key encrypted with a passphrase: refused, never asked for on the terminal") {
    // The server key, written again under AES-256 with a passphrase.
    FILE* plain = std::fopen(pki.path("server.key").c_str(), "r");
    REQUIRE(plain != nullptr);
    EVP_PKEY* key = PEM_read_PrivateKey(plain, nullptr, nullptr, nullptr);
    std::fclose(plain);
    REQUIRE(key != nullptr);
    const std::string encrypted_path = pki.path("encrypted.key");
    FILE* encrypted = std::fopen(encrypted_path.c_str(), "w");
    REQUIRE(encrypted != nullptr);
    static char passphrase[] = "secret";
    CHECK(PEM_write_PrivateKey(encrypted, key, EVP_aes_256_cbc(), nullptr, 0, nullptr, passphrase) == 1);
    std::fclose(encrypted);
    EVP_PKEY_free(key);
    auto settings = client_side(pki);
    settings.key = encrypted_path;
    CHECK_THAT(refused(net::make_client_tls_context(settings)),
               Catch::StartsWith("tls.client.key '" + encrypted_path + "' is encrypted with a passphrase"));
  }
  SECTION("settings that cannot work") {
    CHECK_FALSE(net::make_client_tls_context({}).ok());
    CHECK_FALSE(net::make_server_tls_context({config::ServerTlsMode::verify_full, std::nullopt, std::nullopt,
                                              std::nullopt})
                    .ok());
  }
}

TEST_CASE("a loopback handshake: verify-full passes on the right name and fails on a wrong one", "[tls]") {
  test::TestPki pki;
  auto server = built(net::make_client_tls_context(client_side(pki)));
  auto full = built(net::make_server_tls_context(server_side(pki, config::ServerTlsMode::verify_full)));
  CHECK(handshake(server, full, "localhost", config::ServerTlsMode::verify_full).ok());
  CHECK(handshake(server, full, "127.0.0.1", config::ServerTlsMode::verify_full).ok());

  const auto wrong_name = handshake(server, full, "db.example.com", config::ServerTlsMode::verify_full);
  CHECK_FALSE(wrong_name.ok());
  CHECK(wrong_name.client_verification == "hostname mismatch");
  const auto wrong_ip = handshake(server, full, "127.0.0.2", config::ServerTlsMode::verify_full);
  CHECK_FALSE(wrong_ip.ok());
  CHECK(wrong_ip.client_verification == "IP address mismatch");

  // verify-ca checks the chain only, so any name passes.
  auto ca_only = built(net::make_server_tls_context(server_side(pki, config::ServerTlsMode::verify_ca)));
  CHECK(handshake(server, ca_only, "db.example.com", config::ServerTlsMode::verify_ca).ok());
}

TEST_CASE("a backend certificate from another CA fails verify-ca but not require", "[tls]") {
  test::TestPki pki;
  auto rogue = built(net::make_client_tls_context(client_side(pki, "rogue")));
  auto verify = built(net::make_server_tls_context(server_side(pki, config::ServerTlsMode::verify_ca)));
  const auto result = handshake(rogue, verify, "localhost", config::ServerTlsMode::verify_ca);
  CHECK_FALSE(result.ok());
  CHECK_THAT(result.client_verification, Catch::Contains("local issuer"));
  auto require = built(net::make_server_tls_context({config::ServerTlsMode::require, std::nullopt, std::nullopt,
                                                     std::nullopt}));
  CHECK(handshake(rogue, require, "localhost", config::ServerTlsMode::require).ok());
}

TEST_CASE("ALPN: postgresql is accepted, anything else is refused, none is fine", "[tls]") {
  test::TestPki pki;
  auto server = built(net::make_client_tls_context(client_side(pki)));
  auto client = built(net::make_server_tls_context(server_side(pki, config::ServerTlsMode::verify_full)));
  const auto direct = handshake(server, client, "localhost", config::ServerTlsMode::verify_full, "postgresql");
  CHECK(direct.ok());
  CHECK(direct.server_alpn == "postgresql");
  CHECK(handshake(server, client, "localhost", config::ServerTlsMode::verify_full).server_alpn.empty());
  CHECK_FALSE(handshake(server, client, "localhost", config::ServerTlsMode::verify_full, "h2").ok());
}

TEST_CASE("client certificates: verified against tls.client.ca, CN readable", "[tls]") {
  test::TestPki pki;
  auto settings = client_side(pki);
  settings.ca = pki.path("ca.crt");
  auto server = built(net::make_client_tls_context(settings));
  auto identity = server_side(pki, config::ServerTlsMode::verify_full);
  identity.cert = pki.path("client.crt");
  identity.key = pki.path("client.key");
  const auto with_cert =
      handshake(server, built(net::make_server_tls_context(identity)), "localhost", config::ServerTlsMode::verify_full);
  REQUIRE(with_cert.ok());
  CHECK(with_cert.client_name == "app");
  // Without a certificate the handshake still succeeds; the cert HBA method then refuses.
  const auto without = handshake(server, built(net::make_server_tls_context(server_side(pki, config::ServerTlsMode::verify_full))),
                                 "localhost", config::ServerTlsMode::verify_full);
  CHECK(without.ok());
  CHECK_FALSE(without.client_name);
  // A client certificate from another CA is refused by the server.
  identity.cert = pki.path("rogue.crt");
  identity.key = pki.path("rogue.key");
  CHECK_FALSE(handshake(server, built(net::make_server_tls_context(identity)), "localhost",
                        config::ServerTlsMode::verify_full)
                  .ok());
}

TEST_CASE("TlsContextSlot keeps the old context when the new one fails", "[tls]") {
  test::TestPki pki;
  auto first = built(net::make_client_tls_context(client_side(pki)));
  net::TlsContextSlot slot(first);
  CHECK(slot.current() == first);
  const auto error = slot.replace(net::make_client_tls_context(client_side(pki, "expired")));
  CHECK_THAT(error, Catch::Contains("certificate expired"));
  CHECK(slot.current() == first);
  auto second = net::make_client_tls_context(client_side(pki));
  auto second_context = second.context;
  CHECK(slot.replace(std::move(second)).empty());
  CHECK(slot.current() == second_context);
}

TEST_CASE("prepare_backend_session refuses names OpenSSL cannot check", "[tls]") {
  test::TestPki pki;
  auto client = built(net::make_server_tls_context(server_side(pki, config::ServerTlsMode::verify_full)));
  std::unique_ptr<SSL, decltype(&SSL_free)> session(SSL_new(client->native_handle()), SSL_free);
  std::string error;
  CHECK_FALSE(net::prepare_backend_session(session.get(), "", config::ServerTlsMode::verify_full, error));
  CHECK_THAT(error, Catch::Contains("cannot check"));
  CHECK(net::prepare_backend_session(session.get(), "", config::ServerTlsMode::require, error));
}
