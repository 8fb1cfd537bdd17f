// Sluice's own commands on a MySQL backend no client is talking to: pipelined in one write,
// their responses read with the same PacketScanner and ResponseTracker the relay uses, so a
// result set of any length (server_check_query) is followed without being buffered.
#include <array>

#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"
#include "sluice/protocol/mysql/response_tracker.hpp"
#include "sluice/session/mysql/my_io.hpp"
#include "sluice/session/mysql/my_server.hpp"
#include "sluice/session/session_failures.hpp"

namespace sluice::session {

namespace {

// Replies to Sluice's own commands are OK/ERR or a check query's small result; a logical
// packet beyond this is not a reply we asked for.
constexpr std::uint64_t kMaxReplyPacket = 16 * 1024 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;

std::string command_with(std::uint8_t command, std::string_view argument) {
  std::string payload(1, static_cast<char>(command));
  payload.append(argument);
  return payload;
}

// The command as the tracker sees a client's: one packet starting a payload.
mysql::PacketView command_view(std::string_view payload) {
  const auto bytes = std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                                   std::min(payload.size(), mysql::kPacketCaptureLimit));
  const auto length = static_cast<std::uint32_t>(payload.size());
  return mysql::PacketView{length, 0, payload.size(), bytes, payload.size() > mysql::kPacketCaptureLimit, false, length};
}

// Reads every response of `count` commands already fed to `tracker`.
awaitable<Expected<std::vector<MyCommandResult>>> read_responses(MyServerConnection& server,
                                                                 mysql::ResponseTracker& tracker,
                                                                 std::size_t count) {
  std::vector<MyCommandResult> results(count);
  mysql::PacketScanner scanner(kMaxReplyPacket);
  std::array<std::uint8_t, kReadChunk> buffer;
  bool first_of_response = true;
  bool violation = false;
  while (!tracker.response_complete()) {
    auto [error, received] = co_await server.stream().async_read_some(asio::buffer(buffer), use_nothrow);
    if (error) co_return server_lost();
    const auto scanned = scanner.scan(std::span<const std::uint8_t>(buffer.data(), received),
                                      [&](const mysql::PacketView& packet) {
      const std::size_t answered = count - tracker.commands_in_flight();
      if (first_of_response && answered < count) results[answered].head.assign(mysql::as_text(packet.payload));
      if (first_of_response && packet.starts_payload() && !packet.payload.empty() &&
          packet.payload[0] == mysql::packet_header::ERR_Packet && answered < count) {
        auto err = mysql::read_err_packet(packet.payload);
        results[answered].error = err ? *err : mysql::ErrPacket{0, "HY000", "malformed ERR packet"};
      }
      first_of_response = false;
      const auto progress = tracker.on_server_packet(packet);
      if (progress == mysql::ResponseProgress::violation) violation = true;
      if (count - tracker.commands_in_flight() != answered) {
        results[answered].status_flags = tracker.status_flags();
        first_of_response = true;
      }
      return !violation && !tracker.response_complete();
    });
    if (violation || scanned.error != mysql::PacketScanError::none) co_return server_lost();
    if (tracker.response_complete() && (scanned.consumed != received || !scanner.at_boundary())) {
      co_return server_lost();  // bytes nobody asked for: the backend's state is unknown
    }
  }
  co_return results;
}

}  // namespace

std::string com_ping() { return command_with(mysql::command::COM_PING, {}); }
std::string com_reset_connection() { return command_with(mysql::command::COM_RESET_CONNECTION, {}); }
std::string com_init_db(std::string_view schema) { return command_with(mysql::command::COM_INIT_DB, schema); }
std::string com_query(std::string_view sql) { return command_with(mysql::command::COM_QUERY, sql); }
std::string com_set_option(bool multi_statements) {
  const char option[2] = {multi_statements ? '\0' : '\1', '\0'};  // int<2>: 0 ON, 1 OFF
  return command_with(mysql::command::COM_SET_OPTION, std::string_view(option, 2));
}

awaitable<Expected<std::vector<MyCommandResult>>> run_backend_commands(MyServerConnection& server,
                                                                       const std::vector<std::string>& commands) {
  mysql::ResponseTracker tracker(server.capabilities, server.status_flags);
  std::string out;
  for (const auto& payload : commands) {
    mysql::SequenceId sequence;  // every command starts its own exchange
    mysql::write_packet(out, sequence, payload);
    tracker.on_client_packet(command_view(payload));
  }
  const Failure lost = server_lost();  // named: no temporary lives across the co_await (GCC 12)
  if (auto sent = co_await write_bytes(server.stream(), out, lost); !sent) co_return sent.failure();
  auto results = co_await read_responses(server, tracker, commands.size());
  if (results) server.status_flags = tracker.status_flags();
  co_return results;
}

}  // namespace sluice::session
