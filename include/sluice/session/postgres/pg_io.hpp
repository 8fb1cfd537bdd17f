#pragma once
// Whole-message reads for the login phases, where messages are small and few.
// The data phase never uses these: it relays byte ranges (see client_session_relay.cpp).
// Templates over the stream: a backend's WorkerSocket or a client's net::ClientStream (plain or
// TLS).
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/net/backend_stream.hpp"
#include "sluice/protocol/postgres/failures.hpp"
#include "sluice/protocol/postgres/header.hpp"
#include "sluice/session/session_failures.hpp"

namespace sluice::session {

struct PgMessage {
  char type = 0;
  std::string_view body;  // points into the caller's buffer
};

using pg::protocol_violation;

// Reads one typed message whose body must not exceed max_body (08P01 otherwise).
// `lost` is the Failure reported when the peer closes or the read fails.
template <class Stream>
awaitable<Expected<PgMessage>> read_pg_message(Stream& stream, std::string& buffer, std::size_t max_body,
                                               const Failure& lost) {
  std::array<std::uint8_t, pg::kHeaderLength> header_bytes;
  auto [header_error, header_read] = co_await asio::async_read(stream, asio::buffer(header_bytes), use_nothrow);
  if (header_error) co_return lost;
  const auto header = *pg::parse_header(header_bytes);
  if (pg::validate_length(header.length, max_body + pg::kMinMessageLength) != pg::ScanError::none) {
    co_return protocol_violation("invalid message length " + std::to_string(header.length));
  }
  buffer.resize(header.length - pg::kMinMessageLength);
  auto [body_error, body_read] = co_await asio::async_read(stream, asio::buffer(buffer), use_nothrow);
  if (body_error) co_return lost;
  co_return PgMessage{header.type, buffer};
}

template <class Stream>
awaitable<Status> write_all(Stream& stream, std::string_view bytes, const Failure& lost) {
  auto [error, written] = co_await asio::async_write(stream, asio::buffer(bytes), use_nothrow);
  if (error) co_return lost;
  co_return ok_status();
}

inline std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace sluice::session
