// ClientSession, TLS towards the client, whatever its protocol: the context of tls.client (a
// TlsContextSlot, replaced on reload), the server side of the handshake once the front end's
// protocol agreed on TLS (PostgreSQL's SSLRequest or direct TLS, MySQL's SSLRequest),
// tls.client.mode require, and what the hba rules see of the client (TLS or not, the `cert`
// method's certificate). The handshake runs under client_login_timeout like every login step.
#include <openssl/ssl.h>

#include <spdlog/spdlog.h>

#include "sluice/net/tls_context.hpp"
#include "sluice/session/client_session.hpp"

namespace sluice::session {

net::TlsContextPtr ClientSession::client_tls_context() const {
  if (runtime_->config->tls.client.mode == config::ClientTlsMode::disable) return nullptr;
  return context_.client_tls.current();
}

awaitable<Status> ClientSession::handshake_client_tls(net::TlsContextPtr context) {
  client_.start_tls(std::move(context));
  tls_handshaking_ = true;
  auto [error] = co_await client_.async_handshake(use_nothrow);
  if (error) {
    // The reason OpenSSL gives (unknown CA, no shared cipher, bad ALPN) is the useful part.
    spdlog::info("TLS handshake with {}:{} failed: {}", address(), port_, error.message());
    co_return Failure{"tls_handshake", "08P01", "TLS handshake failed: " + error.message()};
  }
  tls_handshaking_ = false;
  SSL* ssl = client_.ssl();
  spdlog::debug("TLS with {}:{}: {} {} alpn={}", address(), port_, SSL_get_version(ssl), SSL_get_cipher_name(ssl),
                net::negotiated_alpn(ssl));
  std::lock_guard lock(snapshot_mutex_);
  tls_ = std::make_unique<const std::string>(client_.tls_description());
  co_return ok_status();
}

// Checked once the client has said who it is, before anything else is said in plain text.
Status ClientSession::check_tls_required() const {
  if (runtime_->config->tls.client.mode != config::ClientTlsMode::require || client_.is_tls()) return ok_status();
  return Failure{"tls.client.mode", "28000", "SSL required: tls.client.mode is require"};
}

std::optional<auth::HbaMatch> ClientSession::match_hba(std::string_view database) const {
  return auth::match_hba(runtime_->config->hba, auth::HbaRequest{client_.is_tls(), database, user(), peer_address()});
}

// The handshake verified the certificate against tls.client.ca; its CN names the user.
Status ClientSession::check_certificate_user() {
  SSL* ssl = client_.ssl();
  const auto common_name = ssl ? net::verified_peer_common_name(ssl) : std::nullopt;
  if (common_name && *common_name == user()) return ok_status();
  spdlog::info("certificate login refused: user={} address={} certificate CN={}", user(), address(),
               common_name ? *common_name : std::string("(none verified)"));
  return Failure{"auth_failed", "28000", "certificate authentication failed for user \"" + user() + "\""};
}

}  // namespace sluice::session
