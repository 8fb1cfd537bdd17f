#include "sluice/session/postgres/pg_io.hpp"

#include <array>

#include "sluice/protocol/postgres/header.hpp"

namespace sluice::session {

namespace {
template <typename Stream>
awaitable<Expected<PgMessage>> read_message_from(Stream& stream, std::string& buffer, std::size_t max_body,
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

template <typename Stream>
awaitable<Status> write_all_to(Stream& stream, std::string_view bytes, const Failure& lost) {
  auto [error, written] = co_await asio::async_write(stream, asio::buffer(bytes), use_nothrow);
  if (error) co_return lost;
  co_return ok_status();
}
}  // namespace

awaitable<Expected<PgMessage>> read_pg_message(tcp::socket& socket, std::string& buffer, std::size_t max_body,
                                               const Failure& lost) {
  return read_message_from(socket, buffer, max_body, lost);
}

awaitable<Expected<PgMessage>> read_pg_message(net::BackendStream& stream, std::string& buffer, std::size_t max_body,
                                               const Failure& lost) {
  return read_message_from(stream, buffer, max_body, lost);
}

awaitable<Status> write_all(tcp::socket& socket, std::string_view bytes, const Failure& lost) {
  return write_all_to(socket, bytes, lost);
}

awaitable<Status> write_all(net::BackendStream& stream, std::string_view bytes, const Failure& lost) {
  return write_all_to(stream, bytes, lost);
}

}  // namespace sluice::session
