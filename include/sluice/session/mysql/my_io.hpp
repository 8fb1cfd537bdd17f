#pragma once
// Socket helpers of the MySQL session code (login phases and Sluice's own commands; the data
// phase relays byte ranges, see client_session_relay.cpp).
#include <string_view>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"

namespace sluice::session {

// Writes all of `bytes`; `lost` is reported when the write fails. Any Asio stream: a backend's
// net::BackendStream, or a client's net::ClientStream (each plain or TLS).
template <class Stream>
awaitable<Status> write_bytes(Stream& stream, std::string_view bytes, Failure lost) {
  auto [error, written] = co_await asio::async_write(stream, asio::buffer(bytes), use_nothrow);
  if (error) co_return lost;
  co_return ok_status();
}

}  // namespace sluice::session
