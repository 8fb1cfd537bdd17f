// The SQLSTATE a PostgreSQL client sees for a Failure. The pool and the protocol-neutral session
// core name what went wrong by reason only ("query_wait_timeout", "server_lost"); each front end
// maps reasons to its own wire codes (MySQL's: protocol/mysql/errors.hpp). A Failure made by
// PostgreSQL code may carry its own SQLSTATE, which then wins.
#pragma once

#include <string_view>

#include "sluice/core/failure.hpp"

namespace sluice::pg {

std::string_view sqlstate_for(const Failure& failure);

}  // namespace sluice::pg
