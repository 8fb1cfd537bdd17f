#pragma once
// A client's connection (plain, or TLS once the login agreed on it): Sluice is the TLS server.
#include "sluice/net/tcp_or_tls_stream.hpp"

namespace sluice::net {

class ClientStream : public BasicTcpOrTlsStream<WorkerSocket> {
 public:
  using BasicTcpOrTlsStream::BasicTcpOrTlsStream;

  // After start_tls: the server side of the handshake.
  template <class Token>
  auto async_handshake(Token&& token) {
    return tls()->async_handshake(asio::ssl::stream_base::server, std::forward<Token>(token));
  }
};

}  // namespace sluice::net
