#pragma once
// The reported parameters a client starts with (its startup packet, else the server's
// defaults). From then on pg::SessionSettings keeps them, with everything else that follows the
// client between backends (protocol/postgres/session_settings.hpp).
#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/session/postgres/pg_server.hpp"

namespace sluice::session {

// The client's startup values, else the server's defaults, for every reported parameter.
ParameterList initial_client_parameters(const pg::StartupPacket& startup, const ParameterList& server_defaults);

}  // namespace sluice::session
