// MessageScanner: framing over arbitrary chunk boundaries, caps, stop-early.
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/wire_reader.hpp"
#include "sluice/protocol/postgres/writers.hpp"

using namespace sluice::pg;
using namespace std::string_literals;

namespace {

constexpr std::uint64_t kOneGiB = std::uint64_t{1} << 30;

// What a MessageView said, with `end` made absolute within the whole stream.
struct Seen {
  char type;
  std::uint32_t length;
  std::size_t stream_end;
  std::string body;
  bool body_truncated;
  bool operator==(const Seen&) const = default;
};

std::string raw_message(char type, const std::string& body) {
  std::string out(1, type);
  append_be32(out, static_cast<std::uint32_t>(body.size() + 4));
  return out + body;
}

// Feeds `stream` cut at `cuts` (ascending offsets) and records every message.
std::vector<Seen> scan_with_cuts(const std::string& stream, const std::vector<std::size_t>& cuts,
                                 std::uint64_t max = kOneGiB) {
  MessageScanner scanner(max);
  std::vector<Seen> seen;
  std::size_t chunk_start = 0;
  auto feed = [&](std::size_t chunk_end) {
    const auto chunk = bytes_of(stream).subspan(chunk_start, chunk_end - chunk_start);
    const auto result = scanner.scan(chunk, [&](const MessageView& view) {
      REQUIRE(view.end <= chunk.size());
      seen.push_back({view.type, view.length, chunk_start + view.end,
                      std::string(as_string_view(view.body)), view.body_truncated});
    });
    REQUIRE(result.error == ScanError::none);
    REQUIRE(result.consumed == chunk.size());
    chunk_start = chunk_end;
  };
  for (std::size_t cut : cuts) feed(cut);
  feed(stream.size());
  REQUIRE(scanner.at_boundary());
  return seen;
}

std::vector<Seen> scan_whole(const std::string& stream) { return scan_with_cuts(stream, {}); }

std::vector<Seen> scan_byte_by_byte(const std::string& stream) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  return scan_with_cuts(stream, cuts);
}

// A realistic mix: both directions' messages, empty bodies, one body over kCaptureLimit.
std::string mixed_stream() {
  std::string out;
  write_query(out, "SELECT 1");
  write_sync(out);
  write_authentication_ok(out);
  write_parameter_status(out, "client_encoding", "UTF8");
  write_backend_key_data(out, 7, 9);
  write_ready_for_query(out, 'I');
  write_error_response(out, "ERROR", "42601", "syntax error", "near FROM");
  out += raw_message('D', std::string(3000, 'r'));
  write_empty_query_response(out);
  out += raw_message('~', "unknown type");
  write_terminate(out);
  return out;
}

}  // namespace

TEST_CASE("several messages in one chunk", "[pg][scanner]") {
  std::string stream;
  write_query(stream, "SELECT 1");
  write_sync(stream);
  write_ready_for_query(stream, 'T');
  const auto seen = scan_whole(stream);
  REQUIRE(seen.size() == 3);
  CHECK(seen[0] == Seen{'Q', 13, 14, "SELECT 1\0"s, false});
  CHECK(seen[1] == Seen{'S', 4, 19, "", false});
  CHECK(seen[2] == Seen{'Z', 5, 25, "T", false});
}

TEST_CASE("byte by byte and every split point give the same views", "[pg][scanner]") {
  const std::string stream = mixed_stream();
  const auto whole = scan_whole(stream);
  REQUIRE(whole.size() == 11);
  CHECK(whole.back().stream_end == stream.size());
  CHECK(scan_byte_by_byte(stream) == whole);
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("cut at " << cut);
    REQUIRE(scan_with_cuts(stream, {cut}) == whole);
  }
}

TEST_CASE("every pair of split points on a small stream", "[pg][scanner]") {
  std::string stream;
  write_query(stream, "BEGIN");
  write_sync(stream);
  write_parameter_status(stream, "TimeZone", "UTC");
  write_ready_for_query(stream, 'E');
  const auto whole = scan_whole(stream);
  for (std::size_t first = 0; first <= stream.size(); ++first) {
    for (std::size_t second = first; second <= stream.size(); ++second) {
      INFO("cuts at " << first << ", " << second);
      REQUIRE(scan_with_cuts(stream, {first, second}) == whole);
    }
  }
}

TEST_CASE("random streams split at random points match the one-chunk scan", "[pg][scanner]") {
  std::mt19937 random(20240611);
  for (int round = 0; round < 300; ++round) {
    std::string stream;
    const int count = std::uniform_int_distribution<int>(1, 20)(random);
    for (int i = 0; i < count; ++i) {
      const auto size = std::uniform_int_distribution<std::size_t>(0, 2 * kCaptureLimit + 10)(random);
      const char type = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(random));
      stream += raw_message(type, std::string(size, static_cast<char>('a' + i % 26)));
    }
    std::vector<std::size_t> cuts;
    for (std::size_t at = 0; at < stream.size();) {
      at += std::uniform_int_distribution<std::size_t>(1, 700)(random);
      if (at < stream.size()) cuts.push_back(at);
    }
    const auto whole = scan_whole(stream);
    REQUIRE(whole.size() == static_cast<std::size_t>(count));
    REQUIRE(scan_with_cuts(stream, cuts) == whole);
  }
}

TEST_CASE("a body longer than kCaptureLimit is shown truncated, whole or split", "[pg][scanner]") {
  std::string body(kCaptureLimit + 1, 'x');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  const std::string stream = raw_message('d', body);
  for (auto seen : {scan_whole(stream), scan_byte_by_byte(stream)}) {
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].length == kCaptureLimit + 5);
    CHECK(seen[0].body_truncated);
    CHECK(seen[0].body == body.substr(0, kCaptureLimit));
  }
  // Exactly kCaptureLimit is whole.
  const auto exact = scan_byte_by_byte(raw_message('d', body.substr(0, kCaptureLimit)));
  CHECK_FALSE(exact[0].body_truncated);
  CHECK(exact[0].body.size() == kCaptureLimit);
}

TEST_CASE("a header claiming 900 MB is tracked, never allocated, and streams through",
          "[pg][scanner]") {
  static_assert(sizeof(MessageScanner) < kCaptureLimit + 64, "scanner state is fixed and inline");
  constexpr std::uint32_t kClaimed = 900'000'000;
  MessageScanner scanner(kOneGiB);
  std::string head(1, 'd');
  append_be32(head, kClaimed);
  head += "abc";
  int messages = 0;
  auto count = [&](const MessageView& view) {
    ++messages;
    CHECK(view.type == 'd');
    CHECK(view.length == kClaimed);
    CHECK(view.body_truncated);
    CHECK(view.body.size() == kCaptureLimit);
  };
  REQUIRE(scanner.scan(bytes_of(head), count).consumed == head.size());
  CHECK(messages == 0);
  CHECK_FALSE(scanner.at_boundary());
  CHECK(scanner.pending_type() == 'd');
  CHECK(scanner.pending_remaining() == kClaimed - 4 - 3);

  // Relay the rest in 64 KiB reads; the scanner's memory never changes.
  const std::string chunk(64 * 1024, '\0');
  while (scanner.pending_remaining() > chunk.size()) {
    REQUIRE(scanner.scan(bytes_of(chunk), count).consumed == chunk.size());
  }
  std::string last(scanner.pending_remaining(), '\0');
  write_sync(last);
  std::size_t ends[2] = {};
  int index = 0;
  scanner.scan(bytes_of(last), [&](const MessageView& view) {
    ends[index++] = view.end;
    if (view.type == 'd') count(view);
  });
  CHECK(messages == 1);
  CHECK(index == 2);
  CHECK(ends[0] == last.size() - 5);
  CHECK(ends[1] == last.size());
  CHECK(scanner.at_boundary());
}

TEST_CASE("pending state while a header or body is split", "[pg][scanner]") {
  std::string stream;
  write_query(stream, "SELECT 42");
  MessageScanner scanner(kOneGiB);
  auto ignore = [](const MessageView&) {};
  CHECK(scanner.at_boundary());
  scanner.scan(bytes_of(stream).first(3), ignore);
  CHECK_FALSE(scanner.at_boundary());
  CHECK_FALSE(scanner.pending_type().has_value());
  CHECK(scanner.pending_remaining() == 0);
  scanner.scan(bytes_of(stream).subspan(3, 4), ignore);
  CHECK(scanner.pending_type() == 'Q');
  CHECK(scanner.pending_remaining() == stream.size() - 7);
}

TEST_CASE("a length below 4 is length_too_small", "[pg][scanner]") {
  for (std::uint32_t length : {0u, 1u, 3u}) {
    std::string stream;
    write_sync(stream);
    stream += 'Q';
    append_be32(stream, length);
    MessageScanner scanner(kOneGiB);
    int messages = 0;
    const auto result = scanner.scan(bytes_of(stream), [&](const MessageView&) { ++messages; });
    CHECK(result.error == ScanError::length_too_small);
    CHECK(result.consumed == 5);  // the Sync before it can still be relayed
    CHECK(messages == 1);
    // Sticky until reset.
    CHECK(scanner.scan(bytes_of(stream), [](const MessageView&) {}).error == ScanError::length_too_small);
    scanner.reset();
    CHECK(scanner.scan(bytes_of(stream).first(5), [](const MessageView&) {}).error == ScanError::none);
  }
}

TEST_CASE("a length above max_message_length is length_too_large", "[pg][scanner]") {
  std::string stream(1, 'd');
  append_be32(stream, 0x7fffffff);
  MessageScanner scanner(kOneGiB);
  const auto result = scanner.scan(bytes_of(stream), [](const MessageView&) { FAIL("no message"); });
  CHECK(result.error == ScanError::length_too_large);
  CHECK(result.consumed == 0);
  CHECK(scanner.error() == ScanError::length_too_large);
  CHECK(to_string(result.error) == "length_too_large");

  // Just at the cap is fine; one past it is not.
  MessageScanner small(64);
  CHECK(small.scan(bytes_of(raw_message('x', std::string(60, 'a'))), [](const MessageView&) {}).error ==
        ScanError::none);
  CHECK(small.scan(bytes_of(raw_message('x', std::string(61, 'a'))), [](const MessageView&) {}).error ==
        ScanError::length_too_large);

  // Lengths are int32 on the wire: the top bit set is too large whatever the cap.
  std::string negative(1, 'd');
  append_be32(negative, 0x80000000u);
  MessageScanner unbounded(UINT64_MAX);
  CHECK(unbounded.scan(bytes_of(negative), [](const MessageView&) {}).error == ScanError::length_too_large);
}

TEST_CASE("a bad length in a header split across chunks", "[pg][scanner]") {
  std::string stream;
  write_sync(stream);
  stream += 'X';
  append_be32(stream, 2);
  MessageScanner scanner(kOneGiB);
  auto ignore = [](const MessageView&) {};
  // The Sync and the first 2 header bytes, then the rest of the header.
  CHECK(scanner.scan(bytes_of(stream).first(7), ignore).consumed == 7);
  const auto result = scanner.scan(bytes_of(stream).subspan(7), ignore);
  CHECK(result.error == ScanError::length_too_small);
  CHECK(result.consumed == 0);
}

TEST_CASE("unknown message types pass through untouched", "[pg][scanner]") {
  std::string stream;
  for (int type : {0, 1, int{'~'}, int{'!'}, 0x7f, 0x80, 0xff}) {
    stream += raw_message(static_cast<char>(type), "payload" + std::to_string(type));
  }
  const auto seen = scan_byte_by_byte(stream);
  REQUIRE(seen.size() == 7);
  CHECK(static_cast<unsigned char>(seen[0].type) == 0);
  CHECK(static_cast<unsigned char>(seen[6].type) == 0xff);
  CHECK(seen[6].body == "payload255");
  CHECK(seen == scan_whole(stream));
}

TEST_CASE("returning false stops the scan right after that message", "[pg][scanner]") {
  const std::string stream = mixed_stream();
  const auto whole = scan_whole(stream);
  MessageScanner scanner(kOneGiB);
  std::vector<Seen> seen;
  std::size_t offset = 0;
  // Stop after every message; re-feed the rest each time.
  while (offset < stream.size()) {
    const auto chunk = bytes_of(stream).subspan(offset);
    const auto result = scanner.scan(chunk, [&](const MessageView& view) {
      seen.push_back({view.type, view.length, offset + view.end, std::string(as_string_view(view.body)),
                      view.body_truncated});
      return false;
    });
    REQUIRE(result.error == ScanError::none);
    REQUIRE(result.consumed == seen.back().stream_end - offset);
    REQUIRE(scanner.at_boundary());
    offset += result.consumed;
  }
  CHECK(seen == whole);
}

TEST_CASE("stopping on a message completed from carried-over bytes", "[pg][scanner]") {
  std::string stream;
  write_query(stream, "SELECT 1");
  write_sync(stream);
  MessageScanner scanner(kOneGiB);
  CHECK(scanner.scan(bytes_of(stream).first(6), [](const MessageView&) { return false; }).consumed == 6);
  std::vector<char> types;
  const auto rest = bytes_of(stream).subspan(6);
  const auto result = scanner.scan(rest, [&](const MessageView& view) {
    types.push_back(view.type);
    CHECK(as_string_view(view.body) == "SELECT 1\0"s);
    return false;
  });
  CHECK(types == std::vector<char>{'Q'});
  CHECK(result.consumed == 14 - 6);
  CHECK(scanner.scan(rest.subspan(result.consumed), [&](const MessageView& view) {
                  types.push_back(view.type);
                  return true;
                }).consumed == 5);
  CHECK(types == std::vector<char>{'Q', 'S'});
}

TEST_CASE("an empty chunk is a no-op", "[pg][scanner]") {
  MessageScanner scanner(kOneGiB);
  const auto result = scanner.scan({}, [](const MessageView&) { FAIL("no message"); });
  CHECK(result.error == ScanError::none);
  CHECK(result.consumed == 0);
  CHECK(scanner.at_boundary());
}
