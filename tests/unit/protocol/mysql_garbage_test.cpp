// Thousands of random and mutated inputs: the MySQL packet scanner and reader, every payload
// reader and the response tracker must never crash, read out of bounds or break their
// contracts. (Run under SLUICE_SANITIZE=ON to make "never read out of bounds" checked.)
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"
#include "sluice/protocol/mysql/response_tracker.hpp"
#include "sluice/protocol/mysql/responses.hpp"

using namespace sluice::mysql;

namespace {

// Small values and the protocol's marker bytes reach deeper than uniform noise.
std::vector<std::uint8_t> plausible_bytes(std::mt19937& random, std::size_t max_size) {
  static constexpr std::uint8_t kAlphabet[] = {0x00, 0x00, 0x01, 0x02, 0x03, 0x0a, 0x16, 0x17, 0xfb,
                                               0xfc, 0xfd, 0xfe, 0xff, '#', 'd', 'e', 'f', 0x08, 0x40};
  std::vector<std::uint8_t> bytes(std::uniform_int_distribution<std::size_t>(0, max_size)(random));
  for (auto& byte : bytes) {
    byte = (random() % 2) ? kAlphabet[random() % sizeof(kAlphabet)] : static_cast<std::uint8_t>(random());
  }
  return bytes;
}

// Packets with random payloads; a header now and then claims more than follows.
std::vector<std::uint8_t> framed_garbage(std::mt19937& random, std::size_t max_size) {
  std::vector<std::uint8_t> bytes;
  std::uint8_t sequence_id = 0;
  while (bytes.size() < max_size) {
    const auto payload = plausible_bytes(random, 40);
    std::uint32_t length = static_cast<std::uint32_t>(payload.size());
    if (random() % 64 == 0) length = static_cast<std::uint32_t>(random() % 0x1000000);
    std::string header;
    append_packet_header(header, length, sequence_id++);
    bytes.insert(bytes.end(), header.begin(), header.end());
    bytes.insert(bytes.end(), payload.begin(), payload.end());
  }
  bytes.resize(std::uniform_int_distribution<std::size_t>(0, bytes.size())(random));
  return bytes;
}

void read_everything(std::span<const std::uint8_t> payload) {
  for (const std::uint64_t capabilities : {std::uint64_t{0}, std::uint64_t{capability::CLIENT_SESSION_TRACK}}) {
    if (auto ok = read_ok_packet(payload, capabilities)) CHECK(ok_packet_status(payload) == ok->status_flags);
  }
  (void)read_err_packet(payload);
  (void)read_eof_packet(payload);
  (void)read_stmt_prepare_ok(payload);
  (void)read_handshake_v10(payload);
  (void)read_auth_switch_request(payload);
  (void)read_auth_more_data(payload);
  if (auto response = read_handshake_response41(payload)) {
    CHECK(response->capabilities & capability::CLIENT_PROTOCOL_41);
  }
  if (auto request = read_ssl_request(payload)) CHECK(payload.size() == kSslRequestLength);
}

}  // namespace

TEST_CASE("mysql garbage: every payload reader holds up", "[mysql]") {
  std::mt19937 random(20240601);
  for (int round = 0; round < 3000; ++round) {
    const auto bytes = plausible_bytes(random, 120);
    read_everything(bytes);
  }
}

TEST_CASE("mysql garbage: scanner, reader and tracker over random packet streams", "[mysql]") {
  std::mt19937 random(7);
  for (int round = 0; round < 1000; ++round) {
    const auto stream = framed_garbage(random, 600);
    // The scanner in two chunks: every view lies inside the chunk.
    PacketScanner scanner(kDefaultMaxPacketSize);
    ResponseTracker tracker(random() % 2 ? capability::CLIENT_DEPRECATE_EOF : 0, random() % 4);
    const std::size_t cut = stream.empty() ? 0 : random() % stream.size();
    std::size_t packets = 0;
    bool client = true;
    const std::span<const std::uint8_t> bytes(stream);
    for (const auto chunk : {bytes.first(cut), bytes.subspan(cut)}) {
      const auto result = scanner.scan(chunk, [&](const PacketView& view) {
        REQUIRE(view.end <= chunk.size());
        ++packets;
        // Alternate directions now and then: the tracker must hold up whatever it is fed.
        if (random() % 3 == 0) client = !client;
        if (client) {
          tracker.on_client_packet(view);
        } else if (tracker.on_server_packet(view) == ResponseProgress::complete) {
          CHECK(tracker.response_complete());
        }
        if (tracker.at_rest()) CHECK(!tracker.in_transaction());
      });
      CHECK(result.error == PacketScanError::none);
    }
    // The login's reader sees a prefix of the same packets.
    PacketReader reader(kMaxLoginPacketSize);
    std::span<const std::uint8_t> rest(stream);
    std::size_t completed = 0;
    while (!rest.empty() && reader.state() == PacketReadState::need_input) {
      auto input = reader.input();
      const std::size_t count = std::min(input.size(), rest.size());
      std::copy_n(rest.begin(), count, input.begin());
      reader.received(count);
      rest = rest.subspan(count);
      if (reader.state() == PacketReadState::complete) {
        ++completed;
        read_everything(reader.payload());
        reader.next_packet();
      }
    }
    CHECK(completed <= packets);
  }
}
