// MySQL packets (MySQL docs: "MySQL Packets"): a 4-byte header, int<3> payload_length and
// int<1> sequence_id, then the payload. A logical payload of 0xFFFFFF bytes or more is sent as
// 0xFFFFFF-byte packets followed by one shorter packet, which is empty when the payload is an
// exact multiple of 0xFFFFFF. Sequence ids count the packets of one exchange from 0, either way.
//
// Here: the header, writers that split, PacketReader (joins one logical payload, sans-I/O,
// capped before anything is allocated) and SequenceId. The streaming scanner that reports
// packet boundaries without copying is in packet_scanner.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"

namespace sluice::mysql {

struct PacketHeader {
  std::uint32_t payload_length;  // 0..0xFFFFFF
  std::uint8_t sequence_id;
};

inline PacketHeader parse_packet_header(std::span<const std::uint8_t, kPacketHeaderLength> bytes) {
  return PacketHeader{load_le24(bytes.data()), bytes[3]};
}

inline void append_packet_header(std::string& out, std::uint32_t payload_length, std::uint8_t sequence_id) {
  append_le24(out, payload_length);
  out.push_back(static_cast<char>(sequence_id));
}

// The sequence id of the next packet in an exchange. A command (or the server's handshake)
// starts a new exchange at 0; every packet after it, in either direction, takes the next id,
// wrapping from 255 to 0.
class SequenceId {
 public:
  std::uint8_t next() const { return next_; }
  // For a packet Sluice writes: its id.
  std::uint8_t take() { return next_++; }
  // For a packet Sluice received: true if it carries the expected id (then counted), false if
  // it is out of order (then nothing changes).
  bool accept(std::uint8_t received);
  void reset(std::uint8_t next = 0) { next_ = next; }

 private:
  std::uint8_t next_ = 0;
};

// Appends `payload` as one logical packet: split into 0xFFFFFF-byte packets plus a shorter last
// one (empty when the size is an exact multiple), ids taken from `sequence`.
void write_packet(std::string& out, SequenceId& sequence, std::string_view payload);

// For writers that build a payload in place: begin_packet() reserves the header and returns
// where it starts; finish_packet() fills it in, splitting the payload when it is too long for
// one packet (a rare path that moves the bytes once).
std::size_t begin_packet(std::string& out);
void finish_packet(std::string& out, std::size_t start, SequenceId& sequence);

// The payloads of the complete packets in `bytes` joined into logical payloads, for tests and
// small login exchanges; a trailing partial packet is ignored.
std::vector<std::string> split_logical_payloads(std::string_view bytes);

enum class PacketReadState {
  need_input,  // read exactly input().size() bytes (or fewer) and call received()
  complete,    // payload() is one whole logical payload
  failed,      // error() says why; the connection cannot go on
};

// Reads one logical packet at a time, sans-I/O: the caller reads exactly the bytes input() asks
// for (never beyond the packet: what follows an SSLRequest must be read through TLS), so a
// login can be driven by the same code in the daemon, tests and fuzzers. Each header's length
// is checked against max_packet_size before any payload is taken, and the buffer grows with
// the bytes that arrive (kReadStep at a time), not with what a header claims; continuation
// packets must carry consecutive sequence ids.
class PacketReader {
 public:
  static constexpr std::size_t kReadStep = 64 * 1024;  // the most input() asks for at once

  explicit PacketReader(std::uint64_t max_packet_size) : max_packet_size_(max_packet_size) {}

  PacketReadState state() const { return state_; }
  std::span<std::uint8_t> input();
  void received(std::size_t count);

  std::span<const std::uint8_t> payload() const {
    return std::span<const std::uint8_t>(payload_).first(payload_filled_);
  }
  std::uint8_t sequence_id() const { return first_sequence_id_; }  // of the first packet
  std::uint8_t next_sequence_id() const { return static_cast<std::uint8_t>(last_sequence_id_ + 1); }
  const std::string& error() const { return error_; }

  // After complete: forget the payload (its buffer is freed) and read the next one.
  void next_packet();

 private:
  bool on_header();
  void on_packet_end();
  void fail(std::string why);

  std::uint64_t max_packet_size_;
  PacketReadState state_ = PacketReadState::need_input;
  bool reading_header_ = true;
  bool continuation_ = false;  // the header being read continues the payload
  std::uint8_t header_[kPacketHeaderLength] = {};
  std::size_t header_filled_ = 0;
  std::uint32_t packet_length_ = 0;     // of the packet whose payload is being read
  std::uint32_t packet_remaining_ = 0;  // of its payload, still to come
  std::vector<std::uint8_t> payload_;
  std::size_t payload_filled_ = 0;
  std::uint8_t first_sequence_id_ = 0;
  std::uint8_t last_sequence_id_ = 0;
  std::string error_;
};

}  // namespace sluice::mysql
