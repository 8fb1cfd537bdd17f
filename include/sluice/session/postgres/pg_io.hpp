#pragma once
// Whole-message reads for the login phases, where messages are small and few.
// The data phase never uses these: it relays byte ranges (see client_session_relay.cpp).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/net/backend_stream.hpp"
#include "sluice/protocol/postgres/failures.hpp"
#include "sluice/session/session_failures.hpp"

namespace sluice::session {

struct PgMessage {
  char type = 0;
  std::string_view body;  // points into the caller's buffer
};

// Reads one typed message whose body must not exceed max_body (08P01 otherwise).
// `lost` is the Failure reported when the peer closes or the read fails.
awaitable<Expected<PgMessage>> read_pg_message(tcp::socket& socket, std::string& buffer, std::size_t max_body,
                                               const Failure& lost);

awaitable<Status> write_all(tcp::socket& socket, std::string_view bytes, const Failure& lost);

// The same towards a backend, plain or TLS.
awaitable<Expected<PgMessage>> read_pg_message(net::BackendStream& stream, std::string& buffer, std::size_t max_body,
                                               const Failure& lost);
awaitable<Status> write_all(net::BackendStream& stream, std::string_view bytes, const Failure& lost);

using pg::protocol_violation;

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace sluice::session
