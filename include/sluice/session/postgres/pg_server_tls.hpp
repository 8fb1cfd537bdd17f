#pragma once
// tls.server for one backend connection: SSLRequest, the server's one-byte answer, the TLS
// handshake with libpq's sslmode rules (net/tls_context), all before the StartupMessage.
#include <cstdint>
#include <optional>
#include <vector>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/net/backend_stream.hpp"
#include "sluice/session/backend_target.hpp"

namespace sluice::session {

struct BackendTlsOutcome {
  bool encrypted = false;
  // The backend certificate's tls-server-end-point hash (SCRAM-SHA-256-PLUS); nullopt when
  // plain or when the certificate's signature has no single hash (then no channel binding).
  std::optional<std::vector<std::uint8_t>> channel_binding;
};

// On a connected socket. disable: nothing is sent. prefer: a server answering 'N' stays
// plain. require/verify-*: 'N' or a failed handshake is an 08001 Failure naming the reason
// (OpenSSL's verification verdict when that was it). The caller bounds the time it takes.
awaitable<Expected<BackendTlsOutcome>> negotiate_backend_tls(net::BackendStream& stream, const BackendTarget& target);

}  // namespace sluice::session
