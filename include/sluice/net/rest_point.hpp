#pragma once
// A protocol's test of bytes just read from a peer: true when they end where that peer waits for
// Sluice to write (a PostgreSQL server's ReadyForQuery, a client's whole request, a MySQL
// server's last packet of its answer). The relay's reads use it to spare the next wait a system
// call (drain_aware_ops.hpp). A false "yes" only means the next wait trusts an edge to come,
// which it does unless the peer also closed in that instant; a false "no" costs one system call.
//
// A test may read the state of the session that owns the socket (`context`): it runs inside the
// read, on the thread of the socket's io_context, which is the session's own.
#include <cstdint>
#include <span>

namespace sluice::net {

class RestPoint {
 public:
  using Stateless = bool (*)(std::span<const std::uint8_t> bytes);
  using WithContext = bool (*)(const void* context, std::span<const std::uint8_t> bytes);

  RestPoint() = default;  // never at rest: Asio's own rule
  // NOLINTNEXTLINE(google-explicit-constructor): a protocol's plain test is a RestPoint
  RestPoint(Stateless test) : stateless_(test) {}
  RestPoint(WithContext test, const void* context) : with_context_(test), context_(context) {}

  explicit operator bool() const { return stateless_ != nullptr || with_context_ != nullptr; }
  bool operator()(std::span<const std::uint8_t> bytes) const {
    if (stateless_) return stateless_(bytes);
    return with_context_ && with_context_(context_, bytes);
  }

 private:
  Stateless stateless_ = nullptr;
  WithContext with_context_ = nullptr;
  const void* context_ = nullptr;
};

}  // namespace sluice::net
