// Drives a mysql::BasicPacketScanner over one byte stream in several ways and checks that they
// agree: the stream whole, byte by byte, cut where its own bytes say, and stopped after every
// packet and re-fed. Every PacketView is checked against the stream itself, which proves the
// carry-over buffers hold the right bytes and the continuation bookkeeping is right.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"

namespace sluice::fuzz {

// What a PacketView said, with `end` made absolute within the stream.
struct SeenPacket {
  std::uint32_t length;
  std::uint8_t sequence_id;
  std::size_t stream_end;
  std::string payload;  // the captured prefix
  bool payload_truncated;
  bool continuation;
  std::uint64_t logical_length;
  bool operator==(const SeenPacket&) const = default;
};

struct PacketScan {
  std::vector<SeenPacket> packets;
  mysql::PacketScanError error = mysql::PacketScanError::none;
};

// One view, checked against the bytes it claims to describe and the packet before it.
template <std::size_t CaptureLimit>
SeenPacket check_packet_view(std::span<const std::uint8_t> stream, std::size_t chunk_start, std::size_t chunk_size,
                             const mysql::PacketView& view, const SeenPacket* previous) {
  SLUICE_FUZZ_CHECK(view.end <= chunk_size);
  const std::size_t stream_end = chunk_start + view.end;
  SLUICE_FUZZ_CHECK(stream_end >= view.length + mysql::kPacketHeaderLength);
  const std::size_t start = stream_end - view.length - mysql::kPacketHeaderLength;
  SLUICE_FUZZ_CHECK(start == (previous ? previous->stream_end : 0));
  SLUICE_FUZZ_CHECK(mysql::load_le24(stream.data() + start) == view.length);
  SLUICE_FUZZ_CHECK(stream[start + 3] == view.sequence_id);
  SLUICE_FUZZ_CHECK(view.payload.size() == std::min<std::size_t>(view.length, CaptureLimit));
  SLUICE_FUZZ_CHECK(view.payload_truncated == (view.length > CaptureLimit));
  const std::uint8_t* payload = stream.data() + start + mysql::kPacketHeaderLength;
  SLUICE_FUZZ_CHECK(view.payload.empty() || std::memcmp(view.payload.data(), payload, view.payload.size()) == 0);
  const bool continues = previous && previous->length == mysql::kMaxPacketPayload;
  SLUICE_FUZZ_CHECK(view.continuation == continues);
  SLUICE_FUZZ_CHECK(view.logical_length == (continues ? previous->logical_length : 0) + view.length);
  return {view.length, view.sequence_id, stream_end, std::string(mysql::as_text(view.payload)),
          view.payload_truncated, view.continuation, view.logical_length};
}

// Feeds `stream` in chunks ending at `cuts` (ascending) and at its end. With stop_after_each,
// on_packet returns false every time and the rest of the chunk is re-fed.
template <std::size_t CaptureLimit>
PacketScan scan_packets(std::span<const std::uint8_t> stream, const std::vector<std::size_t>& cuts,
                        std::uint64_t max_packet_size, bool stop_after_each) {
  mysql::BasicPacketScanner<CaptureLimit> scanner(max_packet_size);
  PacketScan scan;
  std::size_t chunk_start = 0;
  auto feed = [&](std::size_t chunk_end) {
    std::size_t offset = chunk_start;
    for (;;) {
      const auto chunk = stream.subspan(offset, chunk_end - offset);
      const std::size_t before = scan.packets.size();
      const auto result = scanner.scan(chunk, [&](const mysql::PacketView& view) {
        const SeenPacket* previous = scan.packets.empty() ? nullptr : &scan.packets.back();
        scan.packets.push_back(check_packet_view<CaptureLimit>(stream, offset, chunk.size(), view, previous));
        return !stop_after_each;
      });
      if (result.error != mysql::PacketScanError::none) {
        SLUICE_FUZZ_CHECK(scanner.error() == result.error);
        const std::size_t last_end = scan.packets.empty() ? 0 : scan.packets.back().stream_end;
        SLUICE_FUZZ_CHECK(offset + result.consumed == std::max(offset, last_end));
        const auto again = scanner.scan(chunk, [](const mysql::PacketView&) { SLUICE_FUZZ_CHECK(false); });
        SLUICE_FUZZ_CHECK(again.error == result.error && again.consumed == 0);
        scan.error = result.error;
        return false;
      }
      const bool stopped = scan.packets.size() > before && stop_after_each;
      SLUICE_FUZZ_CHECK(stopped ? offset + result.consumed == scan.packets.back().stream_end
                                : result.consumed == chunk.size());
      offset += result.consumed;
      if (!stopped || offset == chunk_end) break;
    }
    chunk_start = chunk_end;
    return true;
  };
  for (const std::size_t cut : cuts) {
    if (!feed(cut)) return scan;
  }
  if (feed(stream.size())) {
    const std::size_t last_end = scan.packets.empty() ? 0 : scan.packets.back().stream_end;
    SLUICE_FUZZ_CHECK(scanner.at_boundary() == (last_end == stream.size()));
    SLUICE_FUZZ_CHECK(scanner.in_logical_payload() ==
                      (!scan.packets.empty() && scan.packets.back().length == mysql::kMaxPacketPayload));
  }
  return scan;
}

// The checks every packet stream runs; returns the one-chunk scan.
template <std::size_t CaptureLimit>
PacketScan check_packet_stream(std::span<const std::uint8_t> stream, std::uint64_t max_packet_size) {
  const PacketScan whole = scan_packets<CaptureLimit>(stream, {}, max_packet_size, false);
  std::vector<std::size_t> every_byte(stream.empty() ? 0 : stream.size() - 1);
  for (std::size_t i = 0; i < every_byte.size(); ++i) every_byte[i] = i + 1;
  const auto same = [&](const PacketScan& other) {
    SLUICE_FUZZ_CHECK(other.error == whole.error);
    SLUICE_FUZZ_CHECK(other.packets == whole.packets);
  };
  same(scan_packets<CaptureLimit>(stream, every_byte, max_packet_size, false));
  same(scan_packets<CaptureLimit>(stream, cut_points(stream, 3), max_packet_size, false));
  same(scan_packets<CaptureLimit>(stream, cut_points(stream, 2), max_packet_size, true));
  return whole;
}

}  // namespace sluice::fuzz
