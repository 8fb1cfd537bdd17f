#pragma once
// A backend connection's byte stream: plain TCP, or TLS over that same socket once the
// connector has negotiated it (tls.server). Code that moves bytes (login, relay, health
// checks) reads and writes through this stream and never asks which one it is; the plain
// path costs one branch per operation, no allocation, no virtual call.
#include <boost/asio/ssl/stream.hpp>

#include <memory>

#include "sluice/core/asio.hpp"
#include "sluice/net/tls_context.hpp"

namespace sluice::net {

class BackendStream {
 public:
  using executor_type = tcp::socket::executor_type;
  using TlsStream = asio::ssl::stream<tcp::socket&>;

  explicit BackendStream(asio::any_io_executor executor) : socket_(std::move(executor)) {}
  BackendStream(const BackendStream&) = delete;
  BackendStream& operator=(const BackendStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  // The TCP socket under everything: connect, socket options, cancel, close, peek.
  tcp::socket& socket() { return socket_; }
  // Null while plain.
  TlsStream* tls() { return tls_.get(); }

  // Wraps the connected socket in a TLS client session of `context` (kept alive as long as the
  // stream). The caller prepares the SSL object (SNI, host check) and runs the handshake.
  TlsStream& start_tls(TlsContextPtr context) {
    context_ = std::move(context);
    tls_ = std::make_unique<TlsStream>(socket_, *context_);
    return *tls_;
  }

  template <typename Buffers, typename Token>
  auto async_read_some(const Buffers& buffers, Token&& token) {
    return start_on_either(buffers, std::forward<Token>(token), [](auto& stream, const Buffers& into, auto handler) {
      stream.async_read_some(into, std::move(handler));
    });
  }

  template <typename Buffers, typename Token>
  auto async_write_some(const Buffers& buffers, Token&& token) {
    return start_on_either(buffers, std::forward<Token>(token), [](auto& stream, const Buffers& from, auto handler) {
      stream.async_write_some(from, std::move(handler));
    });
  }

  // A last small message (a Terminate) written without waiting: never blocks, may be lost.
  void write_without_waiting(asio::const_buffer bytes) {
    error_code ignored;
    socket_.non_blocking(true, ignored);
    if (tls_) {
      tls_->write_some(bytes, ignored);
    } else {
      socket_.write_some(bytes, ignored);
    }
  }

 private:
  // Runs `operation` (a generic lambda) on the TLS stream when there is one, else on the socket.
  template <typename Buffers, typename Token, typename Operation>
  auto start_on_either(const Buffers& buffers, Token&& token, Operation operation) {
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
  TlsContextPtr context_;
  std::unique_ptr<TlsStream> tls_;  // declared after socket_: destroyed before the socket it wraps
};

}  // namespace sluice::net
