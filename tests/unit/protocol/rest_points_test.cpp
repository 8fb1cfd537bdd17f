// Where each protocol's peer waits for Sluice: the relay's reads trust no new edge to be needed
// only there (net/drain_aware_ops.hpp), so a wrong "yes" mid-answer would be a hang.

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/protocol/mysql/rest_points.hpp"
#include "sluice/protocol/postgres/rest_points.hpp"

using namespace std::string_literals;

namespace {
std::span<const std::uint8_t> bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}
}  // namespace

TEST_CASE("PostgreSQL rest points: a server's ReadyForQuery, a client's Sync or whole Query", "[rest-points]") {
  const std::string row = "D\0\0\0\x0b\0\x01\0\0\0\x01x"s;
  const std::string ready = "Z\0\0\0\x05I"s;
  CHECK(sluice::pg::ends_with_ready_for_query(bytes("C\0\0\0\x0dSELECT 1\0"s + ready)));
  CHECK_FALSE(sluice::pg::ends_with_ready_for_query(bytes(row)));  // rows still coming
  CHECK_FALSE(sluice::pg::ends_with_ready_for_query(bytes(ready.substr(0, 5))));
  CHECK(sluice::pg::ends_client_request(bytes("Q\0\0\0\x0dselect 1\0"s)));
  CHECK(sluice::pg::ends_client_request(bytes("B\0\0\0\x0c\0\0\0\0\0\0\0\0E\0\0\0\x09\0\0\0\0\0S\0\0\0\x04"s)));
  CHECK_FALSE(sluice::pg::ends_client_request(bytes("Q\0\0\0\x0dselect"s)));  // the rest of the Query to come
  CHECK_FALSE(sluice::pg::ends_client_request(bytes("P\0\0\0\x08\0x\0\0"s)));  // a Parse without its Sync
}

TEST_CASE("MySQL rest points: one whole command the server answers", "[rest-points]") {
  CHECK(sluice::mysql::is_one_whole_command(bytes("\x09\0\0\0\x03select 1"s)));             // COM_QUERY
  CHECK_FALSE(sluice::mysql::is_one_whole_command(bytes("\x09\0\0\0\x03sel"s)));            // not whole
  CHECK_FALSE(sluice::mysql::is_one_whole_command(bytes("\x09\0\0\x01\x03select 1"s)));     // not a command's first packet
  CHECK_FALSE(sluice::mysql::is_one_whole_command(bytes("\x05\0\0\0\x19\x01\0\0\0"s)));     // COM_STMT_CLOSE: no answer
  CHECK_FALSE(sluice::mysql::is_one_whole_command(bytes("\x01\0\0\0\x01"s)));               // COM_QUIT
  CHECK_FALSE(sluice::mysql::is_one_whole_command(bytes("\x08\0\0\0\x18\x01\0\0\0\0\0x"s)));  // SEND_LONG_DATA
}

TEST_CASE("MySQL rest points: a server's read that ends its answer to every command in flight", "[rest-points]") {
  using namespace sluice::mysql;
  const std::uint64_t capabilities = capability::CLIENT_PROTOCOL_41 | capability::CLIENT_MULTI_RESULTS;
  ResponseTracker tracker(capabilities);
  PacketScanner client_scanner(kDefaultMaxPacketSize);
  PacketScanner server_scanner(kDefaultMaxPacketSize);
  const auto send_command = [&] {
    client_scanner.scan(bytes("\x09\0\0\0\x03select 1"s), [&](const PacketView& packet) { tracker.on_client_packet(packet); });
  };
  // A one-column result set of one row, ending `status` (SERVER_MORE_RESULTS_EXISTS: another follows).
  const auto result_set = [](std::uint16_t status) {
    std::string out;
    SequenceId sequence;
    sequence.reset(1);
    write_column_count(out, sequence, 1);
    write_column_definition(out, sequence, ColumnDefinition{"c"});
    write_eof_packet(out, sequence, EofPacket{0, server_status::SERVER_STATUS_AUTOCOMMIT});
    const std::vector<std::optional<std::string_view>> row{"1"};
    write_text_row(out, sequence, row);
    write_eof_packet(out, sequence, EofPacket{0, status});
    return out;
  };
  const std::string answer = result_set(server_status::SERVER_STATUS_AUTOCOMMIT);
  const auto feed = [&](const std::string& chunk) {
    server_scanner.scan(bytes(chunk), [&](const PacketView& packet) { tracker.on_server_packet(packet); });
  };

  CHECK_FALSE(ends_every_answer(server_scanner, tracker, bytes(answer)));  // nothing asked: unasked bytes
  send_command();
  CHECK(ends_every_answer(server_scanner, tracker, bytes(answer)));
  CHECK_FALSE(tracker.response_complete());  // a dry run: the tracker has not moved
  CHECK_FALSE(ends_every_answer(server_scanner, tracker, bytes(answer.substr(0, answer.size() - 1))));
  CHECK_FALSE(ends_every_answer(server_scanner, tracker, bytes(answer.substr(0, answer.size() - 9))));  // rows to come
  // One more result follows: no rest until its end.
  CHECK_FALSE(ends_every_answer(server_scanner, tracker, bytes(result_set(server_status::SERVER_MORE_RESULTS_EXISTS))));
  // Split across reads: the second half ends it, from where the scanner and tracker stand.
  feed(answer.substr(0, 7));
  CHECK(ends_every_answer(server_scanner, tracker, bytes(answer.substr(7))));
  CHECK_FALSE(ends_every_answer(server_scanner, tracker, bytes(answer.substr(7, 5))));
  // Two commands pipelined: the first answer alone is no rest point.
  feed(answer.substr(7));
  REQUIRE(tracker.response_complete());
  send_command();
  send_command();
  CHECK_FALSE(ends_every_answer(server_scanner, tracker, bytes(answer)));
  CHECK(ends_every_answer(server_scanner, tracker, bytes(answer + answer)));
}
