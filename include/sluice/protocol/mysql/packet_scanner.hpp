// Streaming framer for MySQL packets (either direction), the analogue of pg::MessageScanner.
//
// Sans-I/O: the caller hands in whatever bytes the socket gave it; the scanner reports each
// packet whose last byte lies in that chunk, with its offsets, so the caller can relay whole
// byte ranges without decoding or copying them. It never allocates: a header or payload split
// across chunks is carried over in fixed inline buffers (the 4-byte header and the first
// CaptureLimit bytes of the payload). Packets that continue a logical payload of 16 MiB or more
// are marked, and the logical payload's size is checked against max_packet_size from each
// header, before any of its bytes are taken.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <type_traits>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"

namespace sluice::mysql {

enum class PacketScanError {
  none,
  packet_too_large,  // the logical payload would exceed max_packet_size
};

// "packet_too_large", for logs.
std::string_view to_string(PacketScanError error);

struct PacketView {
  std::uint32_t length;  // this packet's payload length (0..0xFFFFFF)
  std::uint8_t sequence_id;
  // Offset within the current chunk just past this packet's last byte.
  std::size_t end;
  // The payload if length <= CaptureLimit, else its first CaptureLimit bytes. Points into the
  // chunk, or into the scanner when the packet was split; valid only during the on_packet call.
  std::span<const std::uint8_t> payload;
  bool payload_truncated;
  // This packet continues the logical payload of the packet before it (which was full).
  bool continuation;
  // Bytes of the logical payload up to and including this packet.
  std::uint64_t logical_length;

  // A full packet: the logical payload goes on in the next packet (possibly an empty one).
  bool continued() const { return length == kMaxPacketPayload; }
  // The first packet of a logical payload: the only one whose first byte means anything.
  bool starts_payload() const { return !continuation; }
};

struct PacketScanResult {
  PacketScanError error = PacketScanError::none;
  // chunk.size(), unless on_packet stopped the scan (then: just past that packet) or a header
  // broke the cap (then: just past the last complete packet in this chunk, so the bytes
  // before it can still be relayed).
  std::size_t consumed = 0;
};

template <std::size_t CaptureLimit>
class BasicPacketScanner {
  static_assert(CaptureLimit <= UINT16_MAX, "captured bytes are counted in 16 bits");

 public:
  explicit BasicPacketScanner(std::uint64_t max_packet_size) : max_packet_size_(max_packet_size) {}

  // Walks `chunk`, calling on_packet(const PacketView&) for every packet whose last byte is in
  // it, in order. on_packet may return void, or bool: false stops the scan right after that
  // packet (the caller re-feeds the rest later). A broken cap is sticky until reset().
  template <class OnPacket>
  PacketScanResult scan(std::span<const std::uint8_t> chunk, OnPacket&& on_packet);

  // No partial packet pending.
  bool at_boundary() const { return header_size_ == 0; }
  // The next packet continues a logical payload (the last complete one was full).
  bool in_logical_payload() const { return continuation_; }
  // Payload bytes still to come of the partial packet (0 if its header is incomplete).
  std::uint32_t pending_remaining() const { return header_complete() ? payload_remaining_ : 0; }
  PacketScanError error() const { return error_; }
  std::uint64_t max_packet_size() const { return max_packet_size_; }
  void reset();

 private:
  bool header_complete() const { return header_size_ == kPacketHeaderLength; }
  bool breaks_cap(std::uint32_t length) const { return logical_before_ + length > max_packet_size_; }
  PacketScanError begin_packet(const std::uint8_t* header);
  std::size_t take_payload(const std::uint8_t* bytes, std::size_t available);
  PacketView finish_packet(std::size_t end);
  PacketView describe(std::uint32_t length, std::uint8_t sequence_id, std::size_t end,
                      std::span<const std::uint8_t> payload);

  template <class OnPacket>
  static bool deliver(OnPacket& on_packet, const PacketView& view);

  std::uint64_t max_packet_size_;
  PacketScanError error_ = PacketScanError::none;
  std::uint8_t header_size_ = 0;        // header bytes held (0..4)
  std::uint32_t payload_remaining_ = 0;  // of the pending packet
  std::uint16_t captured_ = 0;          // payload prefix bytes held in capture_
  bool continuation_ = false;           // the pending (or next) packet continues a logical payload
  std::uint64_t logical_before_ = 0;    // logical payload bytes before the pending (or next) packet
  std::array<std::uint8_t, kPacketHeaderLength> header_{};
  std::array<std::uint8_t, CaptureLimit> capture_;
};

// What a session captures of each packet: enough for OK/ERR/EOF headers, column counts and
// COM_STMT_PREPARE_OK (see ResponseTracker::kCaptureNeeded).
inline constexpr std::size_t kPacketCaptureLimit = 64;
using PacketScanner = BasicPacketScanner<kPacketCaptureLimit>;

template <std::size_t CaptureLimit>
inline void BasicPacketScanner<CaptureLimit>::reset() {
  error_ = PacketScanError::none;
  header_size_ = 0;
  payload_remaining_ = 0;
  captured_ = 0;
  continuation_ = false;
  logical_before_ = 0;
}

// Validates a complete header against the cap and makes it the pending packet.
template <std::size_t CaptureLimit>
inline PacketScanError BasicPacketScanner<CaptureLimit>::begin_packet(const std::uint8_t* header) {
  const std::uint32_t length = load_le24(header);
  if (breaks_cap(length)) return error_ = PacketScanError::packet_too_large;
  if (header != header_.data()) std::memcpy(header_.data(), header, kPacketHeaderLength);
  header_size_ = kPacketHeaderLength;
  payload_remaining_ = length;
  captured_ = 0;
  return PacketScanError::none;
}

// Consumes up to `available` payload bytes of the pending packet, keeping its prefix.
template <std::size_t CaptureLimit>
inline std::size_t BasicPacketScanner<CaptureLimit>::take_payload(const std::uint8_t* bytes,
                                                                  std::size_t available) {
  const std::size_t taken = std::min<std::size_t>(payload_remaining_, available);
  const std::size_t kept = std::min(taken, CaptureLimit - captured_);
  if (kept > 0) std::memcpy(capture_.data() + captured_, bytes, kept);
  captured_ = static_cast<std::uint16_t>(captured_ + kept);
  payload_remaining_ -= static_cast<std::uint32_t>(taken);
  return taken;
}

// Describes a complete packet and moves the logical-payload bookkeeping past it.
template <std::size_t CaptureLimit>
inline PacketView BasicPacketScanner<CaptureLimit>::describe(std::uint32_t length, std::uint8_t sequence_id,
                                                             std::size_t end,
                                                             std::span<const std::uint8_t> payload) {
  const PacketView view{length, sequence_id, end, payload, length > CaptureLimit, continuation_,
                        logical_before_ + length};
  continuation_ = view.continued();
  logical_before_ = continuation_ ? view.logical_length : 0;
  return view;
}

// The pending packet is complete: describe it and return to a boundary.
template <std::size_t CaptureLimit>
inline PacketView BasicPacketScanner<CaptureLimit>::finish_packet(std::size_t end) {
  header_size_ = 0;
  return describe(load_le24(header_.data()), header_[3], end,
                  std::span<const std::uint8_t>(capture_.data(), captured_));
}

template <std::size_t CaptureLimit>
template <class OnPacket>
bool BasicPacketScanner<CaptureLimit>::deliver(OnPacket& on_packet, const PacketView& view) {
  if constexpr (std::is_void_v<std::invoke_result_t<OnPacket&, const PacketView&>>) {
    on_packet(view);
    return true;
  } else {
    return static_cast<bool>(on_packet(view));
  }
}

template <std::size_t CaptureLimit>
template <class OnPacket>
PacketScanResult BasicPacketScanner<CaptureLimit>::scan(std::span<const std::uint8_t> chunk,
                                                        OnPacket&& on_packet) {
  if (error_ != PacketScanError::none) return {error_, 0};
  const std::uint8_t* data = chunk.data();
  const std::size_t size = chunk.size();
  std::size_t pos = 0;
  std::size_t last_end = 0;  // just past the last complete packet in this chunk
  while (pos < size) {
    if (header_size_ == 0 && size - pos >= kPacketHeaderLength) {
      // Fast path: the header is in the chunk; so may be the whole packet.
      const std::uint32_t length = load_le24(data + pos);
      if (breaks_cap(length)) return {begin_packet(data + pos), last_end};
      const std::size_t payload_start = pos + kPacketHeaderLength;
      if (length <= size - payload_start) {
        const PacketView view = describe(length, data[pos + 3], payload_start + length,
                                         chunk.subspan(payload_start, std::min<std::size_t>(length, CaptureLimit)));
        pos = last_end = view.end;
        if (!deliver(on_packet, view)) return {PacketScanError::none, pos};
        continue;
      }
      begin_packet(data + pos);
      pos = payload_start;
    } else if (!header_complete()) {
      // Slow path: gather a header split across chunks.
      const std::size_t taken = std::min<std::size_t>(kPacketHeaderLength - header_size_, size - pos);
      std::memcpy(header_.data() + header_size_, data + pos, taken);
      header_size_ = static_cast<std::uint8_t>(header_size_ + taken);
      pos += taken;
      if (!header_complete()) break;
      header_size_ = 0;  // begin_packet re-marks it complete once the cap allows it
      if (begin_packet(header_.data()) != PacketScanError::none) return {error_, last_end};
    }
    pos += take_payload(data + pos, size - pos);
    if (payload_remaining_ == 0) {
      const PacketView view = finish_packet(pos);
      last_end = pos;
      if (!deliver(on_packet, view)) return {PacketScanError::none, pos};
    }
  }
  return {PacketScanError::none, size};
}

}  // namespace sluice::mysql
