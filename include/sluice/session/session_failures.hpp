#pragma once
// The disconnect reasons every front end and the core share.
#include "sluice/core/failure.hpp"

namespace sluice::session {

inline Failure client_closed() { return Failure{"client_close", "08006", "client closed the connection"}; }
inline Failure server_lost() { return Failure{"server_lost", "08006", "server connection lost"}; }

}  // namespace sluice::session
