#pragma once
// Failures the PostgreSQL codecs report themselves: a peer that broke the protocol.
#include <string>

#include "sluice/core/failure.hpp"

namespace sluice::pg {

inline Failure protocol_violation(std::string detail) {
  return Failure{"protocol_violation", "08P01", "protocol violation: " + std::move(detail)};
}

}  // namespace sluice::pg
