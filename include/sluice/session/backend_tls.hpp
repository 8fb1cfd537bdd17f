#pragma once
// tls.server for one backend connection, whatever the protocol: the TLS handshake once the
// protocol has agreed on TLS (PostgreSQL: 'S' to its SSLRequest; MySQL: CLIENT_SSL in the
// server's handshake and Sluice's SSLRequest packet), with libpq's sslmode rules
// (net/tls_context: SNI, verify-ca's chain, verify-full's host name).
#include <cstdint>
#include <optional>
#include <string_view>
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

// False under disable (or without a context): the protocol does not ask for TLS at all.
bool wants_backend_tls(const BackendTarget& target);

// A TLS failure towards this backend, 08001 "could not connect to server h:p: TLS: <why>".
Failure backend_tls_failure(const BackendTarget& target, std::string_view why);

// Starts TLS on `stream` (connected, the protocol's request accepted) and runs the client
// handshake. A failed handshake is a backend_tls_failure naming OpenSSL's verification verdict
// when that was it. The caller bounds the time it takes.
awaitable<Expected<BackendTlsOutcome>> handshake_backend_tls(net::BackendStream& stream, const BackendTarget& target);

}  // namespace sluice::session
