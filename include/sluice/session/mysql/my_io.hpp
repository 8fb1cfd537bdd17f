#pragma once
// Socket helpers of the MySQL session code (login phases and Sluice's own commands; the data
// phase relays byte ranges, see client_session_relay.cpp).
#include <string_view>

#include "sluice/core/asio.hpp"
#include "sluice/core/failure.hpp"

namespace sluice::session {

// Writes all of `bytes`; `lost` is reported when the write fails. Any Asio stream: a backend's
// socket, or a client's net::ClientStream.
template <class Stream>
awaitable<Status> write_bytes(Stream& socket, std::string_view bytes, Failure lost) {
  auto [error, written] = co_await asio::async_write(socket, asio::buffer(bytes), use_nothrow);
  if (error) co_return lost;
  co_return ok_status();
}

}  // namespace sluice::session
