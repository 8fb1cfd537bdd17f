// MySQL framing: packet headers, the 16 MiB split and join, PacketReader, PacketScanner over
// arbitrary chunk boundaries, sequence ids; and the basic data types (length-encoded integers
// at their boundaries, strings, truncation).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"
#include "sluice/protocol/mysql/payload.hpp"

using namespace sluice::mysql;
using namespace std::string_literals;

namespace {

constexpr std::size_t kFull = kMaxPacketPayload;

std::string packet(std::string_view payload, std::uint8_t sequence_id) {
  std::string out;
  append_packet_header(out, static_cast<std::uint32_t>(payload.size()), sequence_id);
  out.append(payload);
  return out;
}

// What a PacketView said, with `end` made absolute within the stream.
struct Seen {
  std::uint32_t length;
  std::uint8_t sequence_id;
  std::size_t stream_end;
  std::string payload;
  bool payload_truncated;
  bool continuation;
  std::uint64_t logical_length;
  bool operator==(const Seen&) const = default;
};

template <std::size_t Capture = 64>
std::vector<Seen> scan_with_cuts(const std::string& stream, const std::vector<std::size_t>& cuts,
                                 std::uint64_t max = kDefaultMaxPacketSize) {
  BasicPacketScanner<Capture> scanner(max);
  std::vector<Seen> seen;
  std::size_t chunk_start = 0;
  auto feed = [&](std::size_t chunk_end) {
    const auto chunk = bytes_of(stream).subspan(chunk_start, chunk_end - chunk_start);
    const auto result = scanner.scan(chunk, [&](const PacketView& view) {
      REQUIRE(view.end <= chunk.size());
      seen.push_back({view.length, view.sequence_id, chunk_start + view.end, std::string(as_text(view.payload)),
                      view.payload_truncated, view.continuation, view.logical_length});
    });
    REQUIRE(result.error == PacketScanError::none);
    REQUIRE(result.consumed == chunk.size());
    chunk_start = chunk_end;
  };
  for (std::size_t cut : cuts) feed(cut);
  feed(stream.size());
  REQUIRE(scanner.at_boundary());
  return seen;
}

std::vector<std::size_t> every_byte(const std::string& stream) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < stream.size(); ++i) cuts.push_back(i);
  return cuts;
}

// Feeds a PacketReader `step` bytes at a time; returns the logical payloads it assembled.
std::vector<std::string> read_all(const std::string& stream, std::size_t step,
                                  std::uint64_t max = kDefaultMaxPacketSize) {
  PacketReader reader(max);
  std::vector<std::string> payloads;
  std::string_view rest = stream;
  while (!rest.empty()) {
    REQUIRE(reader.state() == PacketReadState::need_input);
    auto input = reader.input();
    const std::size_t count = std::min({input.size(), rest.size(), step});
    std::copy_n(rest.data(), count, input.data());
    reader.received(count);
    rest.remove_prefix(count);
    if (reader.state() == PacketReadState::complete) {
      payloads.emplace_back(as_text(reader.payload()));
      reader.next_packet();
    }
  }
  return payloads;
}

}  // namespace

TEST_CASE("mysql packet header: int<3> length, int<1> sequence id", "[mysql]") {
  std::string out;
  append_packet_header(out, 0x0A0B0C, 7);
  CHECK(out == "\x0C\x0B\x0A\x07"s);
  const auto header = parse_packet_header(std::span<const std::uint8_t, 4>(bytes_of(out).data(), 4));
  CHECK(header.payload_length == 0x0A0B0C);
  CHECK(header.sequence_id == 7);
}

TEST_CASE("mysql SequenceId counts packets and wraps at 256", "[mysql]") {
  SequenceId sequence;
  CHECK(sequence.take() == 0);
  CHECK(sequence.accept(1));
  CHECK_FALSE(sequence.accept(1));  // out of order: nothing changes
  CHECK(sequence.next() == 2);
  sequence.reset(255);
  CHECK(sequence.take() == 255);
  CHECK(sequence.next() == 0);
}

TEST_CASE("mysql write_packet splits at 0xFFFFFF bytes", "[mysql]") {
  struct Case {
    std::size_t size;
    std::vector<std::uint32_t> lengths;
  };
  const Case cases[] = {
      {0, {0}},
      {1, {1}},
      {kFull - 1, {kFull - 1}},
      {kFull, {kFull, 0}},  // an exact multiple ends with an empty packet
      {kFull + 1, {kFull, 1}},
      {2 * kFull, {kFull, kFull, 0}},
  };
  for (const auto& [size, lengths] : cases) {
    INFO("payload of " << size << " bytes");
    std::string payload(size, 'p');
    if (size > 0) payload.back() = 'z';
    std::string out;
    SequenceId sequence;
    sequence.reset(254);
    write_packet(out, sequence, payload);
    REQUIRE(out.size() == size + kPacketHeaderLength * lengths.size());
    std::size_t offset = 0;
    for (std::size_t i = 0; i < lengths.size(); ++i) {
      const auto header = parse_packet_header(std::span<const std::uint8_t, 4>(bytes_of(out).data() + offset, 4));
      CHECK(header.payload_length == lengths[i]);
      CHECK(header.sequence_id == static_cast<std::uint8_t>(254 + i));
      offset += kPacketHeaderLength + header.payload_length;
    }
    CHECK(sequence.next() == static_cast<std::uint8_t>(254 + lengths.size()));
    const auto joined = split_logical_payloads(out);
    REQUIRE(joined.size() == 1);
    CHECK(joined[0] == payload);

    // begin_packet/finish_packet give the same bytes, even when they must split.
    std::string built;
    SequenceId other;
    other.reset(254);
    const std::size_t start = begin_packet(built);
    built.append(payload);
    finish_packet(built, start, other);
    CHECK(built == out);
  }
}

TEST_CASE("mysql PacketReader joins logical payloads fed in any steps", "[mysql]") {
  const std::string stream = packet("\x03SELECT 1", 0) + packet("", 1) + packet("abc", 2);
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{5}, SIZE_MAX}) {
    INFO("step " << step);
    CHECK(read_all(stream, step) == std::vector<std::string>{"\x03SELECT 1", "", "abc"});
  }
}

TEST_CASE("mysql PacketReader joins 16 MiB payloads, with and without the empty trailer", "[mysql]") {
  for (const std::size_t size : {kFull, kFull + 10, 2 * kFull}) {
    INFO("payload of " << size << " bytes");
    std::string payload(size, 'x');
    payload.front() = 'a';
    payload.back() = 'z';
    std::string stream;
    SequenceId sequence;
    write_packet(stream, sequence, payload);
    write_packet(stream, sequence, "next");
    auto payloads = read_all(stream, SIZE_MAX);
    REQUIRE(payloads.size() == 2);
    CHECK(payloads[0] == payload);
    CHECK(payloads[1] == "next");
  }
}

TEST_CASE("mysql PacketReader checks the cap and continuation order before allocating", "[mysql]") {
  SECTION("a header over the cap fails before its payload is read") {
    PacketReader reader(100);
    const std::string header = "\x65\x00\x00\x00"s;  // 101 bytes
    std::copy(header.begin(), header.end(), reader.input().begin());
    reader.received(4);
    CHECK(reader.state() == PacketReadState::failed);
    CHECK(reader.payload().empty());
    CHECK(reader.input().empty());
    CHECK(reader.error().find("max_packet_size") != std::string::npos);
  }
  SECTION("the buffer grows with the bytes that arrive, not with the claim") {
    PacketReader reader(kDefaultMaxPacketSize);
    const std::string header = "\xff\xff\x0f\x00"s;  // 1 MiB claimed
    std::copy(header.begin(), header.end(), reader.input().begin());
    reader.received(4);
    CHECK(reader.state() == PacketReadState::need_input);
    CHECK(reader.input().size() == PacketReader::kReadStep);
    reader.received(10);
    CHECK(reader.payload().size() == 10);
  }
  SECTION("the joined size counts against the cap") {
    std::string stream;
    SequenceId sequence;
    write_packet(stream, sequence, std::string(kFull + 5, 'x'));
    PacketReader reader(kFull + 4);
    std::string_view rest = stream;
    while (reader.state() == PacketReadState::need_input && !rest.empty()) {
      auto input = reader.input();
      const std::size_t count = std::min(input.size(), rest.size());
      std::copy_n(rest.data(), count, input.data());
      reader.received(count);
      rest.remove_prefix(count);
    }
    CHECK(reader.state() == PacketReadState::failed);
  }
  SECTION("a continuation with the wrong sequence id fails") {
    std::string stream;
    append_packet_header(stream, static_cast<std::uint32_t>(kFull), 3);
    stream.append(kFull, 'x');
    append_packet_header(stream, 0, 5);  // should be 4
    PacketReader reader(kDefaultMaxPacketSize);
    std::string_view rest = stream;
    while (reader.state() == PacketReadState::need_input && !rest.empty()) {
      auto input = reader.input();
      const std::size_t count = std::min(input.size(), rest.size());
      std::copy_n(rest.data(), count, input.data());
      reader.received(count);
      rest.remove_prefix(count);
    }
    CHECK(reader.state() == PacketReadState::failed);
    CHECK(reader.error().find("out of order") != std::string::npos);
  }
  SECTION("sequence ids of a joined payload") {
    std::string stream;
    SequenceId sequence;
    sequence.reset(9);
    write_packet(stream, sequence, std::string(kFull, 'x'));
    PacketReader reader(kDefaultMaxPacketSize);
    std::string_view rest = stream;
    while (reader.state() == PacketReadState::need_input) {
      auto input = reader.input();
      const std::size_t count = std::min(input.size(), rest.size());
      std::copy_n(rest.data(), count, input.data());
      reader.received(count);
      rest.remove_prefix(count);
    }
    CHECK(reader.state() == PacketReadState::complete);
    CHECK(reader.sequence_id() == 9);
    CHECK(reader.next_sequence_id() == 11);
  }
}

TEST_CASE("mysql PacketScanner reports the same packets however the stream is cut", "[mysql]") {
  const std::string stream = packet("\x03SELECT 1", 0) + packet("", 1) + packet(std::string(100, 'r'), 2) +
                             packet("\xfe\x00\x00\x02\x00"s, 3);
  const auto whole = scan_with_cuts(stream, {});
  REQUIRE(whole.size() == 4);
  CHECK(whole[0].payload == "\x03SELECT 1");
  CHECK(whole[1].length == 0);
  CHECK(whole[2].payload_truncated);
  CHECK(whole[2].payload == std::string(64, 'r'));
  CHECK(whole[3].sequence_id == 3);
  CHECK(whole[3].stream_end == stream.size());
  CHECK(scan_with_cuts(stream, every_byte(stream)) == whole);
  for (std::size_t cut = 1; cut < stream.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(scan_with_cuts(stream, {cut}) == whole);
  }
}

TEST_CASE("mysql PacketScanner marks the packets of a 16 MiB payload", "[mysql]") {
  std::string stream;
  SequenceId sequence;
  write_packet(stream, sequence, std::string(kFull, 'x'));  // full + empty
  write_packet(stream, sequence, std::string(kFull + 2, 'y'));  // full + 2
  write_packet(stream, sequence, "ok");
  const auto seen = scan_with_cuts(stream, {3, kFull / 2, kFull + 4, kFull + 9});
  REQUIRE(seen.size() == 5);
  CHECK_FALSE(seen[0].continuation);
  CHECK(seen[0].length == kFull);
  CHECK(seen[1].continuation);
  CHECK(seen[1].length == 0);
  CHECK(seen[1].logical_length == kFull);
  CHECK_FALSE(seen[2].continuation);
  CHECK(seen[3].continuation);
  CHECK(seen[3].logical_length == kFull + 2);
  CHECK_FALSE(seen[4].continuation);
  CHECK(seen[4].logical_length == 2);
  CHECK(seen[4].sequence_id == 4);
}

TEST_CASE("mysql PacketScanner: the cap is checked from the header and is sticky", "[mysql]") {
  const std::string stream = packet("abc", 0) + packet(std::string(20, 'x'), 1) + packet("z", 2);
  PacketScanner scanner(10);
  std::vector<std::uint32_t> lengths;
  const auto result = scanner.scan(bytes_of(stream), [&](const PacketView& view) { lengths.push_back(view.length); });
  CHECK(result.error == PacketScanError::packet_too_large);
  CHECK(result.consumed == 7);  // just past the packet before
  CHECK(lengths == std::vector<std::uint32_t>{3});
  const auto again =
      scanner.scan(bytes_of(stream).subspan(7), [](const PacketView&) { FAIL("no packet after an error"); });
  CHECK(again.consumed == 0);
  scanner.reset();
  CHECK(scanner.error() == PacketScanError::none);

  SECTION("a header split across chunks") {
    PacketScanner split(10);
    CHECK(split.scan(bytes_of(stream).subspan(0, 9), [](const PacketView&) {}).error == PacketScanError::none);
    const auto second = split.scan(bytes_of(stream).subspan(9, 2), [](const PacketView&) {});
    CHECK(second.error == PacketScanError::packet_too_large);
  }
  SECTION("continuations count against the cap") {
    std::string big;
    SequenceId sequence;
    write_packet(big, sequence, std::string(kFull + 1, 'x'));
    PacketScanner capped(kFull);
    std::size_t seen = 0;
    const auto capped_result = capped.scan(bytes_of(big), [&](const PacketView&) { ++seen; });
    CHECK(capped_result.error == PacketScanError::packet_too_large);
    CHECK(seen == 1);
  }
}

TEST_CASE("mysql PacketScanner stops after a packet when asked", "[mysql]") {
  const std::string stream = packet("a", 0) + packet("bb", 1) + packet("ccc", 2);
  PacketScanner scanner(kDefaultMaxPacketSize);
  std::size_t offset = 0;
  std::vector<std::string> payloads;
  while (offset < stream.size()) {
    const auto result = scanner.scan(bytes_of(stream).subspan(offset), [&](const PacketView& view) {
      payloads.emplace_back(as_text(view.payload));
      return false;
    });
    offset += result.consumed;
  }
  CHECK(payloads == std::vector<std::string>{"a", "bb", "ccc"});
}

TEST_CASE("mysql length-encoded integers at their boundaries", "[mysql]") {
  struct Case {
    std::uint64_t value;
    std::string encoded;
  };
  const Case cases[] = {
      {0, "\x00"s},
      {250, "\xfa"s},
      {251, "\xfc\xfb\x00"s},
      {0xFFFF, "\xfc\xff\xff"s},
      {0x10000, "\xfd\x00\x00\x01"s},
      {0xFFFFFF, "\xfd\xff\xff\xff"s},
      {0x1000000, "\xfe\x00\x00\x00\x01\x00\x00\x00\x00"s},
      {UINT64_MAX, "\xfe\xff\xff\xff\xff\xff\xff\xff\xff"s},
  };
  for (const auto& [value, encoded] : cases) {
    INFO("value " << value);
    std::string out;
    append_lenenc_int(out, value);
    CHECK(out == encoded);
    CHECK(lenenc_int_size(value) == encoded.size());
    CHECK(lenenc_int_length(bytes_of(encoded)) == encoded.size());
    PayloadReader reader(bytes_of(encoded));
    CHECK(reader.read_lenenc_int() == value);
    CHECK(reader.at_end());
    // Every truncation fails and leaves the cursor where it was.
    for (std::size_t length = 0; length < encoded.size(); ++length) {
      PayloadReader truncated(bytes_of(encoded).first(length));
      CHECK_FALSE(truncated.read_lenenc_int());
      CHECK(truncated.offset() == 0);
    }
  }
  // Non-minimal encodings are read as MySQL reads them.
  const std::string long_bytes = "\xfc\x05\x00"s;
  PayloadReader long_form(bytes_of(long_bytes));
  CHECK(long_form.read_lenenc_int() == 5);
  // 0xFB is NULL in a row, 0xFF an ERR header: neither is an integer.
  CHECK_FALSE(PayloadReader(bytes_of("\xfb"s)).read_lenenc_int());
  CHECK_FALSE(PayloadReader(bytes_of("\xff\x00\x00"s)).read_lenenc_int());
}

TEST_CASE("mysql strings: length-encoded, NUL-terminated, fixed and rest", "[mysql]") {
  for (const std::size_t size : {std::size_t{0}, std::size_t{250}, std::size_t{251}, std::size_t{0xFFFF},
                                 std::size_t{0x10000}}) {
    INFO("string of " << size);
    const std::string text(size, 's');
    std::string out;
    append_lenenc_string(out, text);
    CHECK(out.size() == lenenc_int_size(size) + size);
    PayloadReader reader(bytes_of(out));
    CHECK(reader.read_lenenc_string() == text);
    CHECK(reader.at_end());
    if (size > 0) {
      PayloadReader short_by_one(bytes_of(out).first(out.size() - 1));
      CHECK_FALSE(short_by_one.read_lenenc_string());
      CHECK(short_by_one.offset() == 0);
    }
  }
  // A length claiming more than the packet holds is refused before anything is taken.
  const std::string huge_bytes = "\xfe\xff\xff\xff\xff\xff\xff\xff\x7f" "abc"s;
  PayloadReader huge(bytes_of(huge_bytes));
  CHECK_FALSE(huge.read_lenenc_string());
  CHECK(huge.offset() == 0);

  std::string out;
  append_null_terminated(out, "user\0ignored"s);
  CHECK(out == "user\0"s);
  const std::string fields = "root\0db\0rest"s;
  PayloadReader reader(bytes_of(fields));
  CHECK(reader.read_null_terminated() == "root");
  CHECK(reader.read_string(2) == "db");
  CHECK(reader.skip(1));
  CHECK(reader.read_rest() == "rest");
  CHECK(reader.at_end());
  CHECK_FALSE(PayloadReader(bytes_of("no terminator"s)).read_null_terminated());
  const std::string integers = "\x01\x02\x03\x04\x05\x06\x07\x08\x09"s;
  PayloadReader numbers(bytes_of(integers));
  CHECK(numbers.read_u8() == 0x01);
  CHECK(numbers.read_u16() == 0x0302);
  CHECK(numbers.read_u24() == 0x060504);
  CHECK_FALSE(numbers.read_u32());
  CHECK(numbers.offset() == 6);
  CHECK(PayloadReader(bytes_of("\x01\x02\x03\x04\x05\x06\x07\x08"s)).read_u64() == 0x0807060504030201u);
}
