// PgFrontend, TLS towards the client: the SSLRequest answer, PostgreSQL 17's direct TLS
// (the first byte is a TLS handshake record, ALPN "postgresql" required), and the
// tls-server-end-point hash SCRAM-PLUS binds to. The handshake itself, tls.client.mode require
// and the context are the session's (client_session_tls.cpp), shared with the MySQL front end.
#include <openssl/ssl.h>

#include "sluice/auth/channel_binding.hpp"
#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/session/postgres/pg_io.hpp"
#include "sluice/session/postgres/pg_frontend.hpp"

namespace sluice::session {

// A direct-TLS client speaks first with a TLS record; every PostgreSQL packet starts with a
// length whose first byte is 0 (startup packets are far below 16 MiB). One peeked byte tells.
awaitable<Status> PgFrontend::accept_direct_tls() {
  auto context = session_.client_tls_context();
  if (!context) co_return ok_status();
  auto& socket = session_.client().socket();
  auto [wait_error] = co_await socket.async_wait(tcp::socket::wait_read, use_nothrow);
  if (wait_error) co_return client_closed();
  std::uint8_t first = 0;
  error_code peek_error;
  const auto peeked = socket.receive(asio::buffer(&first, 1), tcp::socket::message_peek, peek_error);
  if (peek_error || peeked == 0) co_return client_closed();
  if (!pg::starts_direct_tls(first)) co_return ok_status();
  if (auto handshake = co_await session_.handshake_client_tls(std::move(context)); !handshake) {
    co_return handshake.failure();
  }
  // Direct TLS skips the SSLRequest, so ALPN is the only sign the client means PostgreSQL.
  if (net::negotiated_alpn(session_.client().ssl()) != net::postgres_alpn) {
    co_return Failure{"tls_handshake", "08P01", "direct TLS connection without ALPN protocol \"postgresql\""};
  }
  co_return ok_status();
}

// SSLRequest: 'S' and the handshake when client TLS is on (and not already running), else 'N'.
awaitable<Status> PgFrontend::answer_encryption_request(pg::ClientLogin& login) {
  auto context = login.encryption_kind() == pg::StartupKind::ssl_request && !session_.client().is_tls()
                     ? session_.client_tls_context()
                     : nullptr;
  if (!context) {
    login.refuse_encryption();
    co_return ok_status();
  }
  login.accept_encryption();
  auto sent = co_await write_all(session_.client(), login.output(), client_closed());
  login.output().clear();
  if (!sent) co_return sent.failure();
  co_return co_await session_.handshake_client_tls(std::move(context));
}

// The tls-server-end-point hash of the certificate this client got; empty in plain text or
// when the certificate's signature has no single hash (Ed25519: PLUS is then not offered).
std::vector<std::uint8_t> PgFrontend::channel_binding_data() {
  SSL* ssl = session_.client().ssl();
  if (!ssl) return {};
  const X509* own = SSL_get_certificate(ssl);
  if (!own) return {};
  return auth::tls_server_end_point_hash(own).value_or(std::vector<std::uint8_t>{});
}

}  // namespace sluice::session
