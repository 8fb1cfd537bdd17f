#pragma once

// OpenSSL contexts for both TLS sides, built from `tls.client` / `tls.server`:
// - towards clients Sluice is the TLS server: certificate + key, optional client-certificate
//   verification against `ca`, TLS 1.2+, ALPN "postgresql" (PostgreSQL 17's direct TLS);
// - towards backends Sluice is the TLS client: libpq's sslmode semantics, optional client
//   certificate, host-name or IP checking for verify-full (prepare_backend_session).
// Building never throws: a bad file or a mismatched key comes back as a message, so a reload
// can keep the context it has (TlsContextSlot).

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "sluice/config/proxy_config.hpp"

namespace sluice::net {

// The ALPN protocol name PostgreSQL 17 clients send with sslnegotiation=direct.
inline constexpr std::string_view postgres_alpn = "postgresql";

using TlsContextPtr = std::shared_ptr<boost::asio::ssl::context>;

struct TlsContextResult {
  TlsContextPtr context;  // null on failure
  std::string error;      // why, naming the file ("tls.client.key '/x': ...")
  bool ok() const { return context != nullptr; }
};

// Sluice as the TLS server. Requires cert and key; refuses a key that does not match the
// certificate and a certificate outside its validity period. With `ca`, clients are asked for
// a certificate, which is verified when sent (not required: the `cert` HBA method decides).
// A client offering ALPN must offer "postgresql"; one offering none is accepted (SSLRequest).
TlsContextResult make_client_tls_context(const config::ClientTlsConfig& settings);

// Sluice as the TLS client. prefer/require: encrypted, certificate not checked (as libpq);
// verify-ca/verify-full: the chain must lead to `ca`. cert+key: presented to the backend.
TlsContextResult make_server_tls_context(const config::ServerTlsConfig& settings);

// Per connection to a backend, before its handshake: sends SNI for a host name and, under
// verify-full, makes the handshake fail unless the certificate names `host` (a DNS name, or
// an IP address matched against the certificate's IP SANs). False + `error` if OpenSSL
// refuses the name.
bool prepare_backend_session(SSL* ssl, std::string_view host, config::ServerTlsMode mode, std::string& error);

// After a failed handshake: OpenSSL's verification verdict in words ("certificate has
// expired", "hostname mismatch"), or "" if verification was not the problem.
std::string verification_failure(const SSL* ssl);

// The common name of the peer's certificate if it sent one and it verified (the `cert` HBA
// method's user name); nullopt otherwise, or when the CN is absent, repeated or has a NUL.
std::optional<std::string> verified_peer_common_name(const SSL* ssl);

// The ALPN protocol the handshake agreed on, "" if none.
std::string negotiated_alpn(const SSL* ssl);

// The live context of one side, replaced on reload. New connections take current(); ones
// already connected keep the context they started with (the shared_ptr keeps it alive).
class TlsContextSlot {
 public:
  TlsContextSlot() = default;
  explicit TlsContextSlot(TlsContextPtr initial) : current_(std::move(initial)) {}

  TlsContextPtr current() const;
  // Installs `fresh` if it built; otherwise keeps the old context and returns the reason,
  // so a broken certificate on reload is logged and nothing else changes.
  std::string replace(TlsContextResult fresh);

 private:
  mutable std::mutex mutex_;  // taken once per new TLS connection and per reload, never per message
  TlsContextPtr current_;
};

}  // namespace sluice::net
