#pragma once
// A client's connection: a TCP socket, encrypted once the login has agreed on TLS
// (start_tls + async_handshake). Reads and writes go to whichever applies; the branch is one
// well-predicted test per operation (not per byte), so the plain path costs what the bare
// socket did and no virtual call sits between the relay and the socket.
//
// It is an Asio AsyncReadStream/AsyncWriteStream, so asio::async_read/async_write take it.
// Concurrency as Asio's ssl::stream allows: one read and one write in flight at a time, both
// on the session's strand.
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <optional>

#include "sluice/core/asio.hpp"
#include "sluice/net/tls_context.hpp"

namespace sluice::net {

class ClientStream {
 public:
  using executor_type = tcp::socket::executor_type;
  using TlsStream = asio::ssl::stream<tcp::socket&>;

  explicit ClientStream(tcp::socket socket) : socket_(std::move(socket)) {}
  // The TLS layer refers to socket_: the stream stays where it was made.
  ClientStream(const ClientStream&) = delete;
  ClientStream& operator=(const ClientStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  tcp::socket& socket() { return socket_; }
  bool is_tls() const { return tls_.has_value(); }
  // The session's OpenSSL object once TLS started (peer certificate, ALPN); null in plain text.
  SSL* ssl() { return tls_ ? tls_->native_handle() : nullptr; }

  // From now on every byte is TLS. The caller runs async_handshake next. `context` is kept
  // alive for the connection's life: a reload may replace the slot's context meanwhile.
  void start_tls(TlsContextPtr context) {
    context_ = std::move(context);
    tls_.emplace(socket_, *context_);
  }
  template <class Token>
  auto async_handshake(Token&& token) {
    return tls_->async_handshake(asio::ssl::stream_base::server, std::forward<Token>(token));
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return on_active_layer(std::forward<Token>(token), buffers, [](auto& layer, const auto& target, auto handler) {
      layer.async_read_some(target, std::move(handler));
    });
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return on_active_layer(std::forward<Token>(token), buffers, [](auto& layer, const auto& source, auto handler) {
      layer.async_write_some(source, std::move(handler));
    });
  }

  // Cancels whatever waits on the socket (TLS operations included: they wait on it too).
  void cancel(error_code& error) { socket_.cancel(error); }
  void close() {
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  // Starts `operation` on the TLS stream once TLS started, else on the socket itself.
  template <class Token, class Buffers, class Operation>
  auto on_active_layer(Token&& token, const Buffers& buffers, Operation operation) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this, operation](auto handler, const Buffers& bytes) {
          if (tls_) {
            operation(*tls_, bytes, std::move(handler));
          } else {
            operation(socket_, bytes, std::move(handler));
          }
        },
        token, buffers);
  }

  tcp::socket socket_;
  TlsContextPtr context_;           // set with tls_, outlives it (declared first)
  std::optional<TlsStream> tls_;
};

}  // namespace sluice::net
