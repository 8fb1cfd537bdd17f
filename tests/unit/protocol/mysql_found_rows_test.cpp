// CLIENT_FOUND_ROWS: an UPDATE's OK packet rewritten to count matched rows, everything else left.
#include <catch2/catch.hpp>

#include <string>

#include "sluice/protocol/mysql/found_rows.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/responses.hpp"

using namespace sluice;
using namespace sluice::mysql;

namespace {

std::string ok_payload(std::uint64_t affected_rows, const std::string& info, std::uint64_t insert_id = 0) {
  OkPacket ok;
  ok.affected_rows = affected_rows;
  ok.last_insert_id = insert_id;
  ok.status_flags = server_status::SERVER_STATUS_AUTOCOMMIT;
  ok.warnings = 1;
  ok.info = info;
  std::string packet;
  SequenceId sequence;
  write_ok_packet(packet, sequence, ok, 0);
  return packet.substr(kPacketHeaderLength);
}

std::span<const std::uint8_t> bytes(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

TEST_CASE("mysql found rows: an UPDATE's matched count replaces its changed count", "[mysql]") {
  // As MariaDB sends it: the info as string<lenenc>, even without CLIENT_SESSION_TRACK.
  const std::string text = "Rows matched: 300  Changed: 2  Warnings: 1";
  const std::string info = static_cast<char>(text.size()) + text;
  const auto rewritten = with_found_rows(bytes(ok_payload(2, info, 7)), 5);
  REQUIRE(rewritten);
  const auto payloads = split_logical_payloads(*rewritten);
  REQUIRE(payloads.size() == 1);
  CHECK(static_cast<std::uint8_t>((*rewritten)[3]) == 5);  // the server's sequence id
  auto ok = read_ok_packet(bytes(payloads[0]), 0);
  REQUIRE(ok);
  CHECK(ok->affected_rows == 300);  // 300 needs a 3-byte length: the packet grew
  CHECK(ok->last_insert_id == 7);
  CHECK(ok->status_flags == server_status::SERVER_STATUS_AUTOCOMMIT);
  CHECK(ok->warnings == 1);
  CHECK(ok->info == info);  // unchanged, its length prefix included

  // As the protocol documents it: string<EOF>.
  const auto plain = with_found_rows(bytes(ok_payload(0, "Rows matched: 1  Changed: 0  Warnings: 0")), 1);
  REQUIRE(plain);
  auto plain_ok = read_ok_packet(bytes(split_logical_payloads(*plain).at(0)), 0);
  REQUIRE(plain_ok);
  CHECK(plain_ok->affected_rows == 1);
}

TEST_CASE("mysql found rows: every other packet stays as the server sent it", "[mysql]") {
  CHECK_FALSE(with_found_rows(bytes(ok_payload(3, "Rows matched: 3  Changed: 3  Warnings: 0")), 1));
  CHECK_FALSE(with_found_rows(bytes(ok_payload(1, "\x26Records: 2  Duplicates: 1  Warnings: 0")), 1));
  CHECK_FALSE(with_found_rows(bytes(ok_payload(0, "\x05Rows matched: 2  Changed: 0  Warnings: 0")), 1));  // wrong length
  CHECK_FALSE(with_found_rows(bytes(ok_payload(2, "Records: 2  Duplicates: 0  Warnings: 0")), 1));
  CHECK_FALSE(with_found_rows(bytes(ok_payload(1, "")), 1));
  CHECK_FALSE(with_found_rows(bytes(ok_payload(0, "Rows matched: x")), 1));
  CHECK_FALSE(with_found_rows(bytes(ok_payload(0, "Rows matched: ")), 1));
  CHECK_FALSE(with_found_rows(bytes(std::string("\xff\x15\x04#28000denied", 15)), 1));  // ERR
  CHECK_FALSE(with_found_rows(bytes(std::string("\x00\xfc", 2)), 1));                  // truncated OK
  CHECK_FALSE(with_found_rows({}, 1));
}
