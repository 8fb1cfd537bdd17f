#pragma once
// A connection's byte stream, either side: a TCP socket, encrypted once the protocol has agreed
// on TLS (start_tls, then a handshake in the role the caller plays). Reads and writes go to
// whichever applies; the branch is one well-predicted test per operation (not per byte), so the
// plain path costs what the bare socket did, with no virtual call and no allocation.
//
// It is an Asio AsyncReadStream/AsyncWriteStream, so asio::async_read/async_write take it.
// Concurrency as Asio's ssl::stream allows: one read and one write in flight at a time, both on
// the owning session's worker. The TLS layer refers to the socket object, which never moves:
// a backend handed to another worker gets a new descriptor registration in that same object
// (pool::ServerConnection::move_to) and its TLS layer follows.
#include <boost/asio/ssl/stream.hpp>

#include <memory>
#include <string>

#include "sluice/core/asio.hpp"
#include "sluice/net/drain_aware_ops.hpp"
#include "sluice/net/tls_context.hpp"

namespace sluice::net {

// Socket: WorkerSocket for both sides (a backend moving to another worker gets a new one).
template <class Socket>
class BasicTcpOrTlsStream {
 public:
  using socket_type = Socket;
  using executor_type = typename Socket::executor_type;
  using TlsStream = asio::ssl::stream<Socket&>;

  explicit BasicTcpOrTlsStream(Socket socket) : socket_(std::move(socket)) {}
  explicit BasicTcpOrTlsStream(executor_type executor) : socket_(std::move(executor)) {}
  BasicTcpOrTlsStream(const BasicTcpOrTlsStream&) = delete;
  BasicTcpOrTlsStream& operator=(const BasicTcpOrTlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  // The TCP socket under everything: connect, socket options, waits, cancel, close, peek.
  Socket& socket() { return socket_; }
  bool is_tls() const { return tls_ != nullptr; }
  // Null while plain.
  TlsStream* tls() { return tls_ ? &tls_->stream : nullptr; }
  // The OpenSSL object once TLS started (peer certificate, ALPN); null in plain text.
  SSL* ssl() { return tls_ ? tls_->stream.native_handle() : nullptr; }
  // "TLSv1.3/TLS_AES_256_GCM_SHA384" once the handshake is done (SHOW SERVERS, SHOW CLIENTS); empty in plain text.
  std::string tls_description() {
    SSL* session = ssl();
    if (!session) return {};
    return std::string(SSL_get_version(session)) + "/" + SSL_get_cipher_name(session);
  }

  // From now on every byte is TLS; the caller prepares the SSL object (SNI, host check) and
  // runs the handshake. `context` stays alive with the connection: a reload may replace the
  // slot it came from meanwhile.
  TlsStream& start_tls(TlsContextPtr context) {
    tls_ = std::make_unique<Tls>(socket_, std::move(context));
    return tls_->stream;
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return on_active_layer(std::forward<Token>(token), buffers, [](auto& layer, const auto& target, auto handler) {
      layer.async_read_some(target, std::move(handler));
    });
  }

  // The relay's reads: in plain text, a read that ends `at_rest` (the peer now waits for Sluice)
  // spares the next read or wait on this socket a system call (drain_aware_ops.hpp).
  template <class Token>
  auto async_read_some_until_rest(asio::mutable_buffer target, RestPoint at_rest, Token&& token) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this, at_rest](auto handler, asio::mutable_buffer into) {
          if (tls_) {
            tls_->stream.async_read_some(into, std::move(handler));
          } else if (into.size() > 0) {
            read_some_noting_drain(socket_, into, at_rest, std::move(handler));
          } else {
            socket_.async_read_some(into, std::move(handler));
          }
        },
        token, target);
  }

  // The relay's reads and writes done at once when the socket allows, with no trip through the
  // scheduler (drain_aware_ops.hpp); the asynchronous operations above finish what these could
  // not. In TLS they do nothing: bytes may wait inside OpenSSL.
  // nullopt: nothing was read, read asynchronously.
  std::optional<ImmediateResult> read_now_until_rest(asio::mutable_buffer target, RestPoint at_rest) {
    if (tls_) return std::nullopt;
    return read_now_noting_drain(socket_, target, at_rest);
  }
  // What is left of `source` to write asynchronously (empty when all went, or on `error`).
  asio::const_buffer write_now(asio::const_buffer source, error_code& error) {
    if (tls_) return source;
    const auto written = net::write_now(socket_, source);
    error = written.error;
    return error ? asio::const_buffer() : source + written.bytes;
  }

  // Completes once the plain socket has bytes to read (or its peer closed): a client's wait
  // between messages, with no buffer held. Not for TLS, whose bytes may wait inside OpenSSL.
  template <class Token>
  auto async_wait_readable(Token&& token) {
    return net::async_wait_readable(socket_, std::forward<Token>(token));
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return on_active_layer(std::forward<Token>(token), buffers, [](auto& layer, const auto& source, auto handler) {
      layer.async_write_some(source, std::move(handler));
    });
  }

  // A last small message (a Terminate) written without waiting: never blocks, may be lost.
  void write_without_waiting(asio::const_buffer bytes) {
    error_code ignored;
    socket_.non_blocking(true, ignored);
    if (tls_) {
      tls_->stream.write_some(bytes, ignored);
    } else {
      socket_.write_some(bytes, ignored);
    }
  }

  // Cancels whatever waits on the socket (TLS operations included: they wait on it too).
  void cancel(error_code& error) { socket_.cancel(error); }
  void close() {
    error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  // Starts `operation` on the TLS stream once TLS started, else on the socket itself.
  template <class Token, class Buffers, class Operation>
  auto on_active_layer(Token&& token, const Buffers& buffers, Operation operation) {
    return asio::async_initiate<Token, void(error_code, std::size_t)>(
        [this, operation](auto handler, const Buffers& bytes) {
          if (tls_) {
            operation(tls_->stream, bytes, std::move(handler));
          } else {
            operation(socket_, bytes, std::move(handler));
          }
        },
        token, buffers);
  }

  Socket socket_;
  // One pointer for all TLS state: most connections are plain, and carry 8 bytes of it.
  struct Tls {
    Tls(Socket& socket, TlsContextPtr tls_context) : context(std::move(tls_context)), stream(socket, *context) {}
    TlsContextPtr context;  // outlives the stream (declared first)
    TlsStream stream;
  };
  std::unique_ptr<Tls> tls_;  // declared after socket_: destroyed before the socket it wraps
};

using TcpOrTlsStream = BasicTcpOrTlsStream<WorkerSocket>;

}  // namespace sluice::net
