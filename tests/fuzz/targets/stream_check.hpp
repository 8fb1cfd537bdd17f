// Drives a BasicMessageScanner over one byte stream in several ways and checks that they
// agree: the stream whole, byte by byte, cut where its own bytes say, and stopped after
// every message and re-fed (the relay's Terminate path). Every MessageView is also checked
// against the stream itself, which proves the carry-over buffers hold the right bytes.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"

namespace sluice::fuzz {

// What a MessageView said, with `end` made absolute within the stream.
struct SeenMessage {
  char type;
  std::uint32_t length;
  std::size_t stream_end;
  std::string body;
  bool body_truncated;
  bool operator==(const SeenMessage&) const = default;
};

struct StreamScan {
  std::vector<SeenMessage> messages;
  pg::ScanError error = pg::ScanError::none;
};

// One view, checked against the bytes it claims to describe.
template <std::size_t CaptureLimit>
SeenMessage check_view(std::span<const std::uint8_t> stream, std::size_t chunk_start,
                       std::size_t chunk_size, const pg::MessageView& view) {
  SLUICE_FUZZ_CHECK(view.end <= chunk_size);
  SLUICE_FUZZ_CHECK(view.length >= pg::kMinMessageLength);
  const std::size_t stream_end = chunk_start + view.end;
  const std::size_t body_length = view.length - pg::kMinMessageLength;
  SLUICE_FUZZ_CHECK(stream_end >= body_length + pg::kHeaderLength);
  const std::size_t start = stream_end - body_length - pg::kHeaderLength;
  SLUICE_FUZZ_CHECK(static_cast<char>(stream[start]) == view.type);
  SLUICE_FUZZ_CHECK(pg::load_be32(stream.data() + start + 1) == view.length);
  SLUICE_FUZZ_CHECK(view.body.size() == std::min(body_length, CaptureLimit));
  SLUICE_FUZZ_CHECK(view.body_truncated == (body_length > CaptureLimit));
  const std::uint8_t* body = stream.data() + start + pg::kHeaderLength;
  SLUICE_FUZZ_CHECK(view.body.empty() || std::memcmp(view.body.data(), body, view.body.size()) == 0);
  return {view.type, view.length, stream_end,
          std::string(reinterpret_cast<const char*>(view.body.data()), view.body.size()),
          view.body_truncated};
}

// After the last chunk without an error: where the scanner says it stands must match
// what the stream says about the message after the last complete one.
template <std::size_t CaptureLimit>
void check_final_state(const pg::BasicMessageScanner<CaptureLimit>& scanner,
                       std::span<const std::uint8_t> stream, const StreamScan& scan) {
  const std::size_t last_end = scan.messages.empty() ? 0 : scan.messages.back().stream_end;
  const std::size_t left = stream.size() - last_end;
  SLUICE_FUZZ_CHECK(scanner.at_boundary() == (left == 0));
  SLUICE_FUZZ_CHECK(scanner.pending_type().has_value() == (left >= pg::kHeaderLength));
  if (left < pg::kHeaderLength) {
    SLUICE_FUZZ_CHECK(scanner.pending_remaining() == 0);
    return;
  }
  SLUICE_FUZZ_CHECK(*scanner.pending_type() == static_cast<char>(stream[last_end]));
  const std::uint64_t length = pg::load_be32(stream.data() + last_end + 1);
  SLUICE_FUZZ_CHECK(last_end + 1 + length == stream.size() + scanner.pending_remaining());
}

// Feeds `stream` in chunks ending at `cuts` (ascending) and at its end. With
// stop_after_each, on_message returns false every time and the rest of the chunk is re-fed.
template <std::size_t CaptureLimit>
StreamScan scan_stream(std::span<const std::uint8_t> stream, const std::vector<std::size_t>& cuts,
                       std::uint64_t max_message_length, bool stop_after_each) {
  pg::BasicMessageScanner<CaptureLimit> scanner(max_message_length);
  StreamScan scan;
  std::size_t chunk_start = 0;
  auto feed = [&](std::size_t chunk_end) {
    std::size_t offset = chunk_start;  // where the unscanned rest of this chunk begins
    for (;;) {
      const auto chunk = stream.subspan(offset, chunk_end - offset);
      const std::size_t before = scan.messages.size();
      const auto result = scanner.scan(chunk, [&](const pg::MessageView& view) {
        scan.messages.push_back(check_view<CaptureLimit>(stream, offset, chunk.size(), view));
        return !stop_after_each;
      });
      if (result.error != pg::ScanError::none) {
        SLUICE_FUZZ_CHECK(scanner.error() == result.error);
        const std::size_t last_end = scan.messages.empty() ? 0 : scan.messages.back().stream_end;
        SLUICE_FUZZ_CHECK(offset + result.consumed == std::max(offset, last_end));
        // Sticky until reset(): the next scan reports it again and consumes nothing.
        const auto again = scanner.scan(chunk, [](const pg::MessageView&) { SLUICE_FUZZ_CHECK(false); });
        SLUICE_FUZZ_CHECK(again.error == result.error && again.consumed == 0);
        scan.error = result.error;
        return false;
      }
      const bool stopped = scan.messages.size() > before && stop_after_each;
      SLUICE_FUZZ_CHECK(stopped ? offset + result.consumed == scan.messages.back().stream_end
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
  if (feed(stream.size())) check_final_state(scanner, stream, scan);
  return scan;
}

// The checks every stream target runs; returns the one-chunk scan for further reading.
template <std::size_t CaptureLimit>
StreamScan check_stream(std::span<const std::uint8_t> stream, std::uint64_t max_message_length) {
  const StreamScan whole = scan_stream<CaptureLimit>(stream, {}, max_message_length, false);
  std::vector<std::size_t> every_byte(stream.empty() ? 0 : stream.size() - 1);
  for (std::size_t i = 0; i < every_byte.size(); ++i) every_byte[i] = i + 1;
  const auto same = [&](const StreamScan& other) {
    SLUICE_FUZZ_CHECK(other.error == whole.error);
    SLUICE_FUZZ_CHECK(other.messages == whole.messages);
  };
  same(scan_stream<CaptureLimit>(stream, every_byte, max_message_length, false));
  same(scan_stream<CaptureLimit>(stream, cut_points(stream, 3), max_message_length, false));
  same(scan_stream<CaptureLimit>(stream, cut_points(stream, 2), max_message_length, true));
  return whole;
}

// A smaller cap sees a prefix of the same messages; if it sees fewer, it says why.
template <std::size_t CaptureLimit>
void check_smaller_cap(std::span<const std::uint8_t> stream, const StreamScan& uncapped,
                       std::uint64_t small_cap) {
  const StreamScan capped = scan_stream<CaptureLimit>(stream, cut_points(stream, 1), small_cap, false);
  SLUICE_FUZZ_CHECK(capped.messages.size() <= uncapped.messages.size());
  SLUICE_FUZZ_CHECK(std::equal(capped.messages.begin(), capped.messages.end(), uncapped.messages.begin()));
  if (capped.messages.size() < uncapped.messages.size()) {
    SLUICE_FUZZ_CHECK(capped.error == pg::ScanError::length_too_large);
    SLUICE_FUZZ_CHECK(uncapped.messages[capped.messages.size()].length > small_cap);
  }
}

}  // namespace sluice::fuzz
