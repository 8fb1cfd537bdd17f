#include "sluice/protocol/mysql/packet.hpp"

#include "sluice/protocol/mysql/packet_scanner.hpp"

#include <algorithm>
#include <utility>

namespace sluice::mysql {

std::string_view to_string(PacketScanError error) {
  switch (error) {
    case PacketScanError::none: return "none";
    case PacketScanError::packet_too_large: return "packet_too_large";
  }
  return "unknown";
}

bool SequenceId::accept(std::uint8_t received) {
  if (received != next_) return false;
  ++next_;
  return true;
}

void write_packet(std::string& out, SequenceId& sequence, std::string_view payload) {
  out.reserve(out.size() + payload.size() + kPacketHeaderLength * (payload.size() / kMaxPacketPayload + 1));
  for (;;) {
    const auto length = static_cast<std::uint32_t>(std::min<std::size_t>(payload.size(), kMaxPacketPayload));
    append_packet_header(out, length, sequence.take());
    out.append(payload.substr(0, length));
    payload.remove_prefix(length);
    // A full packet is always followed by another, empty if nothing is left.
    if (length < kMaxPacketPayload) return;
  }
}

std::size_t begin_packet(std::string& out) {
  const std::size_t start = out.size();
  out.append(kPacketHeaderLength, '\0');
  return start;
}

void finish_packet(std::string& out, std::size_t start, SequenceId& sequence) {
  const std::size_t payload_length = out.size() - start - kPacketHeaderLength;
  if (payload_length < kMaxPacketPayload) {
    store_le24(out, start, static_cast<std::uint32_t>(payload_length));
    out[start + 3] = static_cast<char>(sequence.take());
    return;
  }
  const std::string payload = out.substr(start + kPacketHeaderLength);
  out.resize(start);
  write_packet(out, sequence, payload);
}

std::vector<std::string> split_logical_payloads(std::string_view bytes) {
  std::vector<std::string> payloads;
  std::string current;
  while (bytes.size() >= kPacketHeaderLength) {
    const std::uint32_t length = load_le24(bytes_of(bytes).data());
    if (bytes.size() - kPacketHeaderLength < length) break;
    current.append(bytes.substr(kPacketHeaderLength, length));
    bytes.remove_prefix(kPacketHeaderLength + length);
    if (length < kMaxPacketPayload) payloads.push_back(std::exchange(current, {}));
  }
  return payloads;
}

std::span<std::uint8_t> PacketReader::input() {
  if (state_ != PacketReadState::need_input) return {};
  if (reading_header_) return std::span<std::uint8_t>(header_).subspan(header_filled_);
  // The buffer grows with what arrives, never ahead of it by more than one read.
  const std::size_t wanted = std::min<std::size_t>(packet_remaining_, kReadStep);
  if (payload_.size() < payload_filled_ + wanted) payload_.resize(payload_filled_ + wanted);
  return std::span<std::uint8_t>(payload_).subspan(payload_filled_, wanted);
}

void PacketReader::received(std::size_t count) {
  if (state_ != PacketReadState::need_input) return;
  if (reading_header_) {
    header_filled_ += std::min(count, kPacketHeaderLength - header_filled_);
    if (header_filled_ < kPacketHeaderLength || !on_header()) return;
  } else {
    const std::size_t taken = std::min({count, payload_.size() - payload_filled_, std::size_t{packet_remaining_}});
    payload_filled_ += taken;
    packet_remaining_ -= static_cast<std::uint32_t>(taken);
  }
  if (!reading_header_ && packet_remaining_ == 0) on_packet_end();
}

// A complete header: checked (order, cap) before any of its payload is taken.
bool PacketReader::on_header() {
  const PacketHeader header = parse_packet_header(header_);
  if (continuation_ && header.sequence_id != next_sequence_id()) {
    fail("packet out of order: sequence id " + std::to_string(header.sequence_id) + ", expected " +
         std::to_string(next_sequence_id()));
    return false;
  }
  if (!continuation_) first_sequence_id_ = header.sequence_id;
  last_sequence_id_ = header.sequence_id;
  if (payload_filled_ + header.payload_length > max_packet_size_) {
    fail("packet of " + std::to_string(payload_filled_ + header.payload_length) +
         " bytes or more exceeds max_packet_size " + std::to_string(max_packet_size_));
    return false;
  }
  packet_length_ = header.payload_length;
  packet_remaining_ = header.payload_length;
  reading_header_ = false;
  return true;
}

// A packet's payload is in: a full one means the logical payload continues in the next packet.
void PacketReader::on_packet_end() {
  if (packet_length_ < kMaxPacketPayload) {
    payload_.resize(payload_filled_);
    state_ = PacketReadState::complete;
    return;
  }
  reading_header_ = true;
  continuation_ = true;
  header_filled_ = 0;
}

void PacketReader::next_packet() {
  if (state_ == PacketReadState::failed) return;
  state_ = PacketReadState::need_input;
  reading_header_ = true;
  continuation_ = false;
  header_filled_ = 0;
  payload_ = {};
  payload_filled_ = 0;
  packet_remaining_ = 0;
}

void PacketReader::fail(std::string why) {
  state_ = PacketReadState::failed;
  error_ = std::move(why);
  payload_ = {};
  payload_filled_ = 0;
}

}  // namespace sluice::mysql
