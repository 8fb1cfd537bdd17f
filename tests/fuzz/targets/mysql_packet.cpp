// MySQL packet framing, either direction: the relay's PacketScanner (whole, byte by byte, cut,
// stopped and re-fed; a small cap sees a prefix of the same packets), the login's PacketReader
// (the same logical payloads, or a failure it can explain), the splitting writer (a joined
// payload written back joins to the same bytes), and the basic data types read from the
// stream (a length-encoded integer or string written back reads the same).
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "mysql_stream_check.hpp"
#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/payload.hpp"

namespace {

using namespace sluice;
using fuzz::SeenPacket;

constexpr std::uint64_t kSmallCap = 48;

// A smaller cap sees a prefix of the same packets; if it sees fewer, it says why.
void check_smaller_cap(std::span<const std::uint8_t> stream, const fuzz::PacketScan& uncapped) {
  const auto capped =
      fuzz::scan_packets<mysql::kPacketCaptureLimit>(stream, fuzz::cut_points(stream, 1), kSmallCap, false);
  SLUICE_FUZZ_CHECK(capped.packets.size() <= uncapped.packets.size());
  SLUICE_FUZZ_CHECK(std::equal(capped.packets.begin(), capped.packets.end(), uncapped.packets.begin()));
  if (capped.packets.size() < uncapped.packets.size()) {
    SLUICE_FUZZ_CHECK(capped.error == mysql::PacketScanError::packet_too_large);
    SLUICE_FUZZ_CHECK(uncapped.packets[capped.packets.size()].logical_length > kSmallCap);
  }
}

// PacketReader fed in the input's own cut points: each payload it completes is the next logical
// payload of the stream, and it stops only for a reason it can name.
void check_reader(std::span<const std::uint8_t> stream, std::uint64_t max_packet_size) {
  const auto expected = mysql::split_logical_payloads(mysql::as_text(stream));
  mysql::PacketReader reader(max_packet_size);
  std::vector<std::string> payloads;
  std::span<const std::uint8_t> rest = stream;
  const auto cuts = fuzz::cut_points(stream, 4);
  std::size_t fed = 0, next_cut = 0;
  while (!rest.empty() && reader.state() == mysql::PacketReadState::need_input) {
    const std::size_t limit = next_cut < cuts.size() ? cuts[next_cut] - fed : rest.size();
    const auto input = reader.input();
    SLUICE_FUZZ_CHECK(!input.empty());
    const std::size_t count = std::min({input.size(), rest.size(), std::max<std::size_t>(limit, 1)});
    std::copy_n(rest.begin(), count, input.begin());
    reader.received(count);
    rest = rest.subspan(count);
    fed += count;
    if (next_cut < cuts.size() && fed >= cuts[next_cut]) ++next_cut;
    if (reader.state() == mysql::PacketReadState::complete) {
      payloads.emplace_back(mysql::as_text(reader.payload()));
      reader.next_packet();
    }
  }
  SLUICE_FUZZ_CHECK(payloads.size() <= expected.size());
  SLUICE_FUZZ_CHECK(std::equal(payloads.begin(), payloads.end(), expected.begin()));
  if (reader.state() == mysql::PacketReadState::failed) {
    SLUICE_FUZZ_CHECK(!reader.error().empty() && reader.input().empty() && reader.payload().empty());
  }
}

// Written back from sequence id s, a logical payload joins to itself, in ceil((n+1)/0xFFFFFF) packets.
void check_writer(const std::string& payload, std::uint8_t sequence_id) {
  std::string out;
  mysql::SequenceId sequence;
  sequence.reset(sequence_id);
  mysql::write_packet(out, sequence, payload);
  const auto joined = mysql::split_logical_payloads(out);
  SLUICE_FUZZ_CHECK(joined.size() == 1 && joined[0] == payload);
  const std::size_t packets = payload.size() / mysql::kMaxPacketPayload + 1;
  SLUICE_FUZZ_CHECK(out.size() == payload.size() + packets * mysql::kPacketHeaderLength);
  SLUICE_FUZZ_CHECK(sequence.next() == static_cast<std::uint8_t>(sequence_id + packets));
}

// Every length-encoded field the stream's bytes spell, read and written back.
void check_basic_types(std::span<const std::uint8_t> bytes) {
  for (std::size_t start = 0; start < bytes.size() && start < 64; ++start) {
    mysql::PayloadReader reader(bytes.subspan(start));
    if (const auto value = reader.read_lenenc_int()) {
      SLUICE_FUZZ_CHECK(reader.offset() == *mysql::lenenc_int_length(bytes.subspan(start)));
      std::string out;
      mysql::append_lenenc_int(out, *value);
      SLUICE_FUZZ_CHECK(out.size() == mysql::lenenc_int_size(*value) && out.size() <= reader.offset());
      mysql::PayloadReader reread(mysql::bytes_of(out));
      SLUICE_FUZZ_CHECK(reread.read_lenenc_int() == value && reread.at_end());
    } else {
      SLUICE_FUZZ_CHECK(reader.offset() == 0);
    }
    mysql::PayloadReader strings(bytes.subspan(start));
    if (const auto text = strings.read_lenenc_string()) {
      std::string out;
      mysql::append_lenenc_string(out, *text);
      mysql::PayloadReader reread(mysql::bytes_of(out));
      SLUICE_FUZZ_CHECK(reread.read_lenenc_string() == text && reread.at_end());
    } else {
      SLUICE_FUZZ_CHECK(strings.offset() == 0);
    }
  }
}

}  // namespace

int sluice_fuzz_mysql_packet(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> stream(data, size);
  const auto scan = fuzz::check_packet_stream<mysql::kPacketCaptureLimit>(stream, mysql::kDefaultMaxPacketSize);
  check_smaller_cap(stream, scan);
  check_reader(stream, mysql::kDefaultMaxPacketSize);
  check_reader(stream, kSmallCap);
  for (const auto& payload : mysql::split_logical_payloads(fuzz::as_text(stream))) {
    check_writer(payload, size > 0 ? data[0] : 0);
  }
  check_basic_types(stream);
  return 0;
}
