// Where each protocol's peer waits for Sluice: the relay's reads trust no new edge to be needed
// only there (net/drain_aware_ops.hpp), so a wrong "yes" mid-answer would be a hang.

#include <catch2/catch.hpp>

#include <string>

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
