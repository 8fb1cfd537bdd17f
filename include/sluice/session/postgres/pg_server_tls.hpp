#pragma once
// tls.server for one backend connection: SSLRequest, the server's one-byte answer, the TLS
// handshake (session/backend_tls, shared with MySQL), all before the StartupMessage.
#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/net/backend_stream.hpp"
#include "sluice/session/backend_target.hpp"
#include "sluice/session/backend_tls.hpp"

namespace sluice::session {

// On a connected socket. disable: nothing is sent. prefer: a server answering 'N' stays
// plain. require/verify-*: 'N' or a failed handshake is an 08001 Failure naming the reason
// (OpenSSL's verification verdict when that was it). The caller bounds the time it takes.
awaitable<Expected<BackendTlsOutcome>> negotiate_backend_tls(net::BackendStream& stream, const BackendTarget& target);

}  // namespace sluice::session
