#pragma once
// Failures the MySQL codecs report themselves: a peer that broke the protocol. The reason is the
// core's fixed word, so logs and counters read the same for both protocols; a MySQL client sees
// it as ERR 1047/08S01 (errors.hpp).
#include <string>

#include "sluice/core/failure.hpp"

namespace sluice::mysql {

inline Failure protocol_violation(std::string detail) {
  return Failure{"protocol_violation", "08P01", "protocol violation: " + std::move(detail)};
}

}  // namespace sluice::mysql
