// negotiate_backend_tls against a loopback "backend" that answers SSLRequest with S or N and
// then (for S) shakes hands with the throwaway PKI's server certificate; and a BackendStream
// carrying bytes both ways once encrypted.
#include <catch2/catch.hpp>

#include <boost/asio/ssl/stream.hpp>

#include "../support/test_pki.hpp"
#include "sluice/session/postgres/pg_server_tls.hpp"

using namespace sluice;
namespace ssl = boost::asio::ssl;

namespace {

struct Outcome {
  Expected<session::BackendTlsOutcome> tls = Failure{};
  std::string backend_received;  // what arrived through the TLS stream after the handshake
};

// The backend: one connection, reads the 8-byte SSLRequest, answers, handshakes on 'S', then
// reads what Sluice sends.
awaitable<void> backend(tcp::acceptor& acceptor, char answer, net::TlsContextPtr context, std::string& received) {
  auto [accept_error, socket] = co_await acceptor.async_accept(use_nothrow);
  if (accept_error) co_return;
  char request[8];
  co_await asio::async_read(socket, asio::buffer(request), use_nothrow);
  co_await asio::async_write(socket, asio::buffer(&answer, 1), use_nothrow);
  if (answer != 'S') co_return;
  ssl::stream<tcp::socket&> tls(socket, *context);
  auto [handshake_error] = co_await tls.async_handshake(ssl::stream_base::server, use_nothrow);
  if (handshake_error) co_return;
  received.resize(5);
  co_await asio::async_read(tls, asio::buffer(received), use_nothrow);
}

awaitable<void> sluice_side(net::BackendStream& stream, tcp::endpoint endpoint, session::BackendTarget target,
                            Outcome& outcome) {
  co_await stream.socket().async_connect(endpoint, use_nothrow);
  outcome.tls = co_await session::negotiate_backend_tls(stream, target);
  if (outcome.tls && outcome.tls->encrypted) co_await asio::async_write(stream, asio::buffer("hello", 5), use_nothrow);
}

Outcome negotiate(const test::TestPki& pki, char answer, config::ServerTlsMode mode, const std::string& host,
                  const std::string& ca = "ca.crt") {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto server_context = net::make_client_tls_context(
      {config::ClientTlsMode::require, pki.path("server.crt"), pki.path("server.key"), std::nullopt});
  REQUIRE(server_context.ok());
  session::BackendTarget target;
  target.host = host;
  target.port = acceptor.local_endpoint().port();
  target.tls_mode = mode;
  auto client_context = net::make_server_tls_context({mode, pki.path(ca), std::nullopt, std::nullopt});
  REQUIRE(client_context.ok());
  target.tls_context = client_context.context;
  Outcome outcome;
  net::BackendStream stream(io.get_executor());
  asio::co_spawn(io, backend(acceptor, answer, server_context.context, outcome.backend_received), asio::detached);
  asio::co_spawn(io, sluice_side(stream, acceptor.local_endpoint(), target, outcome), asio::detached);
  io.run();
  return outcome;
}

}  // namespace

TEST_CASE("backend TLS: verify-full by IP and by name, then bytes flow encrypted", "[server_tls]") {
  test::TestPki pki;
  const std::string host = GENERATE(std::string("127.0.0.1"), std::string("localhost"));
  auto outcome = negotiate(pki, 'S', config::ServerTlsMode::verify_full, host);
  REQUIRE(outcome.tls);
  CHECK(outcome.tls->encrypted);
  REQUIRE(outcome.tls->channel_binding);
  CHECK(outcome.tls->channel_binding->size() == 32);  // SHA-256 signature: SHA-256 hash
  CHECK(outcome.backend_received == "hello");
}

TEST_CASE("backend TLS: a certificate for another name fails verify-full with the reason", "[server_tls]") {
  test::TestPki pki;
  auto outcome = negotiate(pki, 'S', config::ServerTlsMode::verify_full, "db.example.com");
  REQUIRE_FALSE(outcome.tls);
  CHECK(outcome.tls.failure().sqlstate == "08001");
  CHECK_THAT(outcome.tls.failure().message, Catch::Contains("certificate verification failed: hostname mismatch"));
  // require does not check the name.
  CHECK(negotiate(pki, 'S', config::ServerTlsMode::require, "db.example.com").tls);
}

TEST_CASE("backend TLS: N is plain text under prefer and a refusal under require", "[server_tls]") {
  test::TestPki pki;
  auto preferred = negotiate(pki, 'N', config::ServerTlsMode::prefer, "127.0.0.1");
  REQUIRE(preferred.tls);
  CHECK_FALSE(preferred.tls->encrypted);
  auto required = negotiate(pki, 'N', config::ServerTlsMode::require, "127.0.0.1");
  REQUIRE_FALSE(required.tls);
  CHECK_THAT(required.tls.failure().message, Catch::StartsWith("could not connect to server 127.0.0.1:") &&
                                                 Catch::EndsWith(": TLS: server does not support TLS (tls.server.mode require)"));
}
