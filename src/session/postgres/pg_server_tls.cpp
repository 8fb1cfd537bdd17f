#include "sluice/session/postgres/pg_server_tls.hpp"

#include <openssl/ssl.h>

#include "sluice/auth/channel_binding.hpp"
#include "sluice/protocol/postgres/writers.hpp"

namespace sluice::session {

namespace {
constexpr char kTlsAccepted = 'S';
constexpr char kTlsRefused = 'N';

Failure tls_failure(const BackendTarget& target, std::string_view why) {
  return connect_failure(target, "TLS: " + std::string(why));
}

// SSLRequest; the answer is one unencrypted byte.
awaitable<Expected<char>> ask_for_tls(tcp::socket& socket, const BackendTarget& target) {
  std::string request;
  pg::write_ssl_request(request);
  auto [write_error, written] = co_await asio::async_write(socket, asio::buffer(request), use_nothrow);
  if (write_error) co_return tls_failure(target, "SSLRequest not sent: " + write_error.message());
  char answer = 0;
  auto [read_error, read] = co_await asio::async_read(socket, asio::buffer(&answer, 1), use_nothrow);
  if (read_error) co_return tls_failure(target, "no answer to SSLRequest: " + read_error.message());
  co_return answer;
}

std::optional<std::vector<std::uint8_t>> end_point_hash(const SSL* ssl) {
  const X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return std::nullopt;
  return auth::tls_server_end_point_hash(certificate);
}
}  // namespace

awaitable<Expected<BackendTlsOutcome>> negotiate_backend_tls(net::BackendStream& stream, const BackendTarget& target) {
  if (target.tls_mode == config::ServerTlsMode::disable || !target.tls_context) co_return BackendTlsOutcome{};
  auto answer = co_await ask_for_tls(stream.socket(), target);
  if (!answer) co_return answer.failure();
  if (*answer == kTlsRefused) {
    if (target.tls_mode == config::ServerTlsMode::prefer) co_return BackendTlsOutcome{};
    co_return tls_failure(target, "server does not support TLS (tls.server.mode " +
                                      std::string(config::to_string(target.tls_mode)) + ")");
  }
  if (*answer != kTlsAccepted) co_return tls_failure(target, "unexpected answer to SSLRequest");
  auto& tls = stream.start_tls(target.tls_context);
  std::string error;
  if (!net::prepare_backend_session(tls.native_handle(), target.host, target.tls_mode, error)) {
    co_return tls_failure(target, error);
  }
  auto [handshake_error] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_nothrow);
  if (handshake_error) {
    const auto verdict = net::verification_failure(tls.native_handle());
    co_return tls_failure(target, verdict.empty() ? handshake_error.message()
                                                  : "certificate verification failed: " + verdict);
  }
  co_return BackendTlsOutcome{true, end_point_hash(tls.native_handle())};
}

}  // namespace sluice::session
