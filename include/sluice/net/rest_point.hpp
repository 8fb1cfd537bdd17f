#pragma once
// A protocol's test of bytes just read from a peer: true when they end where that peer waits for
// Sluice to write (a PostgreSQL server's ReadyForQuery, a client's whole request). The relay's
// reads use it to spare the next wait a system call (drain_aware_ops.hpp); null: never.
#include <cstdint>
#include <span>

namespace sluice::net {

using RestPoint = bool (*)(std::span<const std::uint8_t> bytes);

}  // namespace sluice::net
