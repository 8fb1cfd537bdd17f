// The server's side of a MySQL login as bytes, for the ServerLogin tests: a HandshakeV10,
// packets from a sequence id on, and the packets a login machine wrote.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/client_login.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"

namespace mysql_login_packets {

using namespace std::string_literals;

// OK_Packet: no rows, no insert id, SERVER_STATUS_AUTOCOMMIT, no warnings.
inline const std::string kOk = "\x00\x00\x00\x02\x00\x00\x00"s;

// A MariaDB 10.11 greeting naming `plugin` with `scramble` (sequence id 0).
inline std::string server_handshake(std::string_view plugin, std::string_view scramble,
                                    std::uint64_t capabilities = sluice::mysql::kDefaultServerCapabilities) {
  sluice::mysql::HandshakeV10 handshake;
  handshake.server_version = "10.11.6-MariaDB";
  handshake.connection_id = 77;
  handshake.auth_plugin_data = std::string(scramble);
  handshake.capabilities = capabilities;
  handshake.status_flags = sluice::mysql::server_status::SERVER_STATUS_AUTOCOMMIT;
  handshake.auth_plugin_name = std::string(plugin);
  std::string out;
  sluice::mysql::SequenceId sequence;
  sluice::mysql::write_handshake_v10(out, sequence, handshake);
  return out;
}

// `payloads` as packets, the first with `first_sequence_id`.
inline std::string server_packets(std::uint8_t first_sequence_id, std::initializer_list<std::string> payloads) {
  std::string out;
  sluice::mysql::SequenceId sequence;
  sequence.reset(first_sequence_id);
  for (const auto& payload : payloads) sluice::mysql::write_packet(out, sequence, payload);
  return out;
}

// The payloads in `bytes`, with their sequence ids.
inline std::vector<std::pair<std::uint8_t, std::string>> packets_in(const std::string& bytes) {
  std::vector<std::pair<std::uint8_t, std::string>> packets;
  std::string_view rest = bytes;
  while (rest.size() >= sluice::mysql::kPacketHeaderLength) {
    const std::uint32_t length = sluice::mysql::load_le24(sluice::mysql::bytes_of(rest).data());
    REQUIRE(rest.size() >= sluice::mysql::kPacketHeaderLength + length);
    packets.emplace_back(static_cast<std::uint8_t>(rest[3]),
                         std::string(rest.substr(sluice::mysql::kPacketHeaderLength, length)));
    rest.remove_prefix(sluice::mysql::kPacketHeaderLength + length);
  }
  REQUIRE(rest.empty());
  return packets;
}

}  // namespace mysql_login_packets
