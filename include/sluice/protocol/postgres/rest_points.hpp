#pragma once
// Where PostgreSQL's peers wait for Sluice (net::RestPoint), read from the bytes of one read.
// A false "yes" only means the next wait trusts an edge to come, which it does unless the peer
// also closed in that instant; a false "no" costs one system call. Cheap tests, no state.
#include <cstdint>
#include <span>

namespace sluice::pg {

// The read ends with a ReadyForQuery ('Z', length 5, status): the server waits for a query.
inline bool ends_with_ready_for_query(std::span<const std::uint8_t> bytes) {
  const std::size_t n = bytes.size();
  return n >= 6 && bytes[n - 6] == 'Z' && bytes[n - 5] == 0 && bytes[n - 4] == 0 && bytes[n - 3] == 0 &&
         bytes[n - 2] == 5;
}

// The read ends a request the client waits on: a Sync, or is exactly one whole simple Query.
inline bool ends_client_request(std::span<const std::uint8_t> bytes) {
  const std::size_t n = bytes.size();
  if (n >= 5 && bytes[n - 5] == 'S' && bytes[n - 4] == 0 && bytes[n - 3] == 0 && bytes[n - 2] == 0 && bytes[n - 1] == 4) {
    return true;
  }
  if (n < 5 || bytes[0] != 'Q') return false;
  const std::size_t length = (std::size_t{bytes[1]} << 24) | (std::size_t{bytes[2]} << 16) |
                             (std::size_t{bytes[3]} << 8) | std::size_t{bytes[4]};
  return length + 1 == n;
}

}  // namespace sluice::pg
