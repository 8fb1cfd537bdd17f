// net::ClientStream over a loopback TCP connection: the same reads and writes in plain text and
// after start_tls, and over TLS one read and one write in flight at once (the session's main
// loop reads the client while the pump writes to it).

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/stream.hpp>

#include "../support/test_pki.hpp"
#include "sluice/net/client_stream.hpp"

using namespace sluice;
namespace ssl = boost::asio::ssl;

namespace {

// A connected pair: Sluice's end (`server`) and the client's plain socket.
struct Loopback {
  asio::io_context io;
  tcp::socket client{io};
  std::unique_ptr<net::ClientStream> server;

  Loopback() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client.connect(acceptor.local_endpoint());
    server = std::make_unique<net::ClientStream>(acceptor.accept(io));  // a WorkerSocket, as the Listener makes
  }
};

net::TlsContextPtr sluice_context(const test::TestPki& pki) {
  auto built = net::make_client_tls_context(
      {config::ClientTlsMode::require, pki.path("server.crt"), pki.path("server.key"), std::nullopt});
  REQUIRE(built.ok());
  return built.context;
}

}  // namespace

TEST_CASE("client stream: plain text reads and writes go straight to the socket", "[tls][client-stream]") {
  Loopback pair;
  asio::write(pair.client, asio::buffer(std::string("hello")));
  std::string received(5, '\0');
  error_code read_error, write_error;
  asio::async_read(*pair.server, asio::buffer(received), [&](error_code ec, std::size_t) { read_error = ec; });
  asio::async_write(*pair.server, asio::buffer(std::string_view("world")), [&](error_code ec, std::size_t) { write_error = ec; });
  pair.io.run();
  CHECK_FALSE(read_error);
  CHECK_FALSE(write_error);
  CHECK(received == "hello");
  CHECK_FALSE(pair.server->is_tls());
  CHECK(pair.server->ssl() == nullptr);
  std::string answer(5, '\0');
  asio::read(pair.client, asio::buffer(answer));
  CHECK(answer == "world");
}

TEST_CASE("client stream: after start_tls, a read and a write in flight together", "[tls][client-stream]") {
  test::TestPki pki;
  Loopback pair;
  ssl::context client_context(ssl::context::tls_client);
  ssl::stream<tcp::socket&> client(pair.client, client_context);
  pair.server->start_tls(sluice_context(pki));
  REQUIRE(pair.server->is_tls());

  error_code server_handshake, client_handshake;
  pair.server->async_handshake([&](error_code ec) { server_handshake = ec; });
  client.async_handshake(ssl::stream_base::client, [&](error_code ec) { client_handshake = ec; });
  pair.io.run();
  REQUIRE_FALSE(server_handshake);
  REQUIRE_FALSE(client_handshake);
  REQUIRE(pair.server->ssl() != nullptr);

  // Sluice waits for the client's next message while it writes a reply: both at once.
  std::string from_client(4, '\0'), from_server(4, '\0');
  error_code server_read, server_write, client_read, client_write;
  asio::async_read(*pair.server, asio::buffer(from_client), [&](error_code ec, std::size_t) { server_read = ec; });
  asio::async_write(*pair.server, asio::buffer(std::string_view("pong")),
                    [&](error_code ec, std::size_t) { server_write = ec; });
  asio::async_read(client, asio::buffer(from_server), [&](error_code ec, std::size_t) {
    client_read = ec;
    asio::async_write(client, asio::buffer(std::string_view("ping")), [&](error_code wec, std::size_t) { client_write = wec; });
  });
  pair.io.restart();
  pair.io.run();
  CHECK_FALSE(server_read);
  CHECK_FALSE(server_write);
  CHECK_FALSE(client_read);
  CHECK_FALSE(client_write);
  CHECK(from_server == "pong");
  CHECK(from_client == "ping");
}
