#pragma once
// The client-visible session parameters Sluice carries from backend to backend, so a
// client in transaction mode sees its own settings whichever backend serves it.
#include <array>
#include <string>
#include <string_view>

#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/session/postgres/pg_server.hpp"

namespace sluice::session {

inline constexpr std::array<std::string_view, 6> kTrackedParameters = {
    "application_name", "client_encoding", "DateStyle", "TimeZone", "standard_conforming_strings", "IntervalStyle"};

bool is_tracked_parameter(std::string_view name);

// The client's startup values, else the server's defaults, for every tracked parameter.
ParameterList initial_client_parameters(const pg::StartupPacket& startup, const ParameterList& server_defaults);

// "SET name TO 'value';" for each parameter whose value differs on the backend; empty if none.
std::string parameter_sync_statement(const ParameterList& wanted, const ParameterList& backend);

}  // namespace sluice::session
