#pragma once
// A backend connection's byte stream: plain TCP, or TLS over that same socket once the
// connector has negotiated it (tls.server; Sluice is the TLS client). Login, relay, health
// checks and reset read and write through it and never ask which one it is.
#include "sluice/net/tcp_or_tls_stream.hpp"

namespace sluice::net {

using BackendStream = TcpOrTlsStream;

}  // namespace sluice::net
