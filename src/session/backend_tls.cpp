#include "sluice/session/backend_tls.hpp"

#include <openssl/ssl.h>

#include <string>

#include "sluice/auth/channel_binding.hpp"

namespace sluice::session {

namespace {
std::optional<std::vector<std::uint8_t>> end_point_hash(const SSL* ssl) {
  const X509* certificate = SSL_get0_peer_certificate(ssl);
  if (certificate == nullptr) return std::nullopt;
  return auth::tls_server_end_point_hash(certificate);
}
}  // namespace

bool wants_backend_tls(const BackendTarget& target) {
  return target.tls_mode != config::ServerTlsMode::disable && target.tls_context;
}

Failure backend_tls_failure(const BackendTarget& target, std::string_view why) {
  return connect_failure(target, "TLS: " + std::string(why));
}

awaitable<Expected<BackendTlsOutcome>> handshake_backend_tls(net::BackendStream& stream, const BackendTarget& target) {
  auto& tls = stream.start_tls(target.tls_context);
  std::string error;
  if (!net::prepare_backend_session(tls.native_handle(), target.host, target.tls_mode, error)) {
    co_return backend_tls_failure(target, error);
  }
  auto [handshake_error] = co_await tls.async_handshake(asio::ssl::stream_base::client, use_nothrow);
  if (handshake_error) {
    const auto verdict = net::verification_failure(tls.native_handle());
    co_return backend_tls_failure(target, verdict.empty() ? handshake_error.message()
                                                          : "certificate verification failed: " + verdict);
  }
  co_return BackendTlsOutcome{true, end_point_hash(tls.native_handle())};
}

}  // namespace sluice::session
