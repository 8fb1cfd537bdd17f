#pragma once
// The disconnect reasons every front end and the core share.
#include "sluice/core/failure.hpp"

namespace sluice::session {

inline Failure client_closed() { return Failure{"client_close", "", "client closed the connection"}; }
inline Failure server_lost() { return Failure{"server_lost", "", "server connection lost"}; }

}  // namespace sluice::session
