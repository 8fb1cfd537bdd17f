// The command phase as a session sees it: client and server packets, interleaved, fed to a
// ResponseTracker. Input: one flags byte (capabilities and the status the backend starts in),
// then records of one direction byte (odd: client, even: server) and one MySQL packet.
//
// The same conversation is replayed three ways that must agree at every step: whole packets
// handed over as they are; each direction's bytes through a PacketScanner, cut where the input
// says, capturing 64 bytes; and the same capturing only ResponseTracker::kCaptureNeeded bytes.
// Each step checks the tracker's own invariants; every whole server payload also goes through
// the generic response readers, which must write back what they read.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/core/failure.hpp"
#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/errors.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/packet_scanner.hpp"
#include "sluice/protocol/mysql/response_tracker.hpp"
#include "sluice/protocol/mysql/responses.hpp"

namespace {

using namespace sluice;
using mysql::ResponseProgress;
using mysql::ResponseTracker;

struct Record {
  bool from_client;
  std::span<const std::uint8_t> packet;  // header and payload
};

struct Setup {
  std::uint64_t capabilities = mysql::capability::CLIENT_PROTOCOL_41;
  std::uint16_t status = 0;
};

Setup read_flags(std::uint8_t flags) {
  Setup setup;
  if (flags & 1) setup.capabilities |= mysql::capability::CLIENT_DEPRECATE_EOF;
  if (flags & 2) setup.capabilities |= mysql::capability::MARIADB_CLIENT_PROGRESS;
  if (flags & 4) setup.status |= mysql::server_status::SERVER_STATUS_AUTOCOMMIT;
  if (flags & 8) setup.status |= mysql::server_status::SERVER_STATUS_IN_TRANS;
  return setup;
}

// Records up to the first one that does not fit.
std::vector<Record> read_records(std::span<const std::uint8_t> input) {
  std::vector<Record> records;
  while (input.size() >= 1 + mysql::kPacketHeaderLength) {
    const std::size_t length = mysql::kPacketHeaderLength + mysql::load_le24(input.data() + 1);
    if (input.size() - 1 < length) break;
    records.push_back({(input[0] & 1) != 0, input.subspan(1, length)});
    input = input.subspan(1 + length);
  }
  return records;
}

// What one step did, to compare the three replays.
struct Step {
  int answer;  // on_client_packet's bool, or on_server_packet's progress
  std::size_t in_flight;
  std::uint16_t status;
  bool in_transaction, at_rest, awaiting_file, violated;
  bool operator==(const Step&) const = default;
};

Step observe(const ResponseTracker& tracker, int answer) {
  return {answer,
          tracker.commands_in_flight(),
          tracker.status_flags(),
          tracker.in_transaction(),
          tracker.at_rest(),
          tracker.awaiting_client_file(),
          !tracker.violation().empty()};
}

void check_invariants(const ResponseTracker& tracker, const Step& step, bool server, const Step* before) {
  SLUICE_FUZZ_CHECK(tracker.commands_in_flight() <= ResponseTracker::kMaxPipelined);
  SLUICE_FUZZ_CHECK(tracker.response_complete() == (tracker.commands_in_flight() == 0));
  if (tracker.at_rest()) SLUICE_FUZZ_CHECK(!tracker.in_transaction() && tracker.response_complete());
  if (tracker.awaiting_client_file()) SLUICE_FUZZ_CHECK(tracker.commands_in_flight() > 0);
  const auto progress = static_cast<ResponseProgress>(step.answer);
  if (server && progress == ResponseProgress::complete) SLUICE_FUZZ_CHECK(tracker.response_complete());
  if (server && progress == ResponseProgress::violation) SLUICE_FUZZ_CHECK(step.violated);
  // A violation is sticky: nothing is answered after it.
  if (before && before->violated) {
    SLUICE_FUZZ_CHECK(step.violated);
    SLUICE_FUZZ_CHECK(server ? step.answer == static_cast<int>(ResponseProgress::violation) : step.answer == 0);
  }
}

// Replay 1: every packet handed over whole, as a view of its own bytes.
std::vector<Step> replay_whole(const Setup& setup, const std::vector<Record>& records) {
  ResponseTracker tracker(setup.capabilities, setup.status);
  std::vector<Step> steps;
  // Continuation is per direction: after a full packet, the next one in the same direction.
  bool client_continues = false, server_continues = false;
  for (const Record& record : records) {
    const std::uint32_t length = mysql::load_le24(record.packet.data());
    bool& continues = record.from_client ? client_continues : server_continues;
    const mysql::PacketView view{length, record.packet[3], record.packet.size(),
                                 record.packet.subspan(mysql::kPacketHeaderLength), false, continues, length};
    continues = view.continued();
    const int answer = record.from_client ? static_cast<int>(tracker.on_client_packet(view))
                                          : static_cast<int>(tracker.on_server_packet(view));
    steps.push_back(observe(tracker, answer));
    check_invariants(tracker, steps.back(), !record.from_client, steps.size() > 1 ? &steps[steps.size() - 2] : nullptr);
  }
  return steps;
}

// Replays 2 and 3: each direction's bytes through its own scanner, each packet cut once where
// the input says. Continuation packets and the cap are the scanner's business here.
template <std::size_t CaptureLimit>
std::vector<Step> replay_scanned(const Setup& setup, const std::vector<Record>& records) {
  ResponseTracker tracker(setup.capabilities, setup.status);
  mysql::BasicPacketScanner<CaptureLimit> client(mysql::kDefaultMaxPacketSize), server(mysql::kDefaultMaxPacketSize);
  std::vector<Step> steps;
  for (const Record& record : records) {
    auto& scanner = record.from_client ? client : server;
    const auto cuts = fuzz::cut_points(record.packet, 1);
    const std::size_t cut = cuts.empty() ? record.packet.size() : cuts.front();
    std::size_t delivered = 0;
    for (const auto chunk : {record.packet.first(cut), record.packet.subspan(cut)}) {
      const auto result = scanner.scan(chunk, [&](const mysql::PacketView& view) {
        ++delivered;
        const int answer = record.from_client ? static_cast<int>(tracker.on_client_packet(view))
                                              : static_cast<int>(tracker.on_server_packet(view));
        steps.push_back(observe(tracker, answer));
      });
      SLUICE_FUZZ_CHECK(result.error == mysql::PacketScanError::none);
    }
    SLUICE_FUZZ_CHECK(delivered == 1);
  }
  return steps;
}

// Whole server payloads through the generic readers: what they read, they write back.
void read_generic_response(std::span<const std::uint8_t> payload) {
  if (auto eof = mysql::read_eof_packet(payload)) {
    std::string out;
    mysql::SequenceId sequence;
    mysql::write_eof_packet(out, sequence, *eof);
    SLUICE_FUZZ_CHECK(out.substr(mysql::kPacketHeaderLength) == fuzz::as_text(payload));
    SLUICE_FUZZ_CHECK(mysql::eof_packet_status(payload) == eof->status_flags);
  }
  if (auto prepared = mysql::read_stmt_prepare_ok(payload)) {
    std::string out;
    mysql::SequenceId sequence;
    mysql::write_stmt_prepare_ok(out, sequence, *prepared);
    auto reread = mysql::read_stmt_prepare_ok(mysql::bytes_of(out).subspan(mysql::kPacketHeaderLength));
    SLUICE_FUZZ_CHECK(reread && *reread == *prepared);
  }
  if (auto error = mysql::read_err_packet(payload)) {
    std::string out;
    mysql::SequenceId sequence;
    mysql::write_err_packet(out, sequence, *error, !error->sql_state.empty());
    auto reread = mysql::read_err_packet(mysql::bytes_of(out).subspan(mysql::kPacketHeaderLength));
    SLUICE_FUZZ_CHECK(reread && reread->error_code == error->error_code);
    if (!error->sql_state.empty()) SLUICE_FUZZ_CHECK(*reread == *error);
    // The server's words as a Failure, mapped back for a client: always a complete ERR.
    const auto mapped = mysql::error_for(Failure{error->error_message, error->sql_state, error->error_message});
    SLUICE_FUZZ_CHECK(mapped.error_code != 0 && mapped.sql_state.size() == mysql::kSqlStateLength);
  }
}

}  // namespace

int sluice_fuzz_mysql_response_tracker(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Setup setup = read_flags(data[0]);
  const auto records = read_records(std::span<const std::uint8_t>(data + 1, size - 1));
  const auto whole = replay_whole(setup, records);
  SLUICE_FUZZ_CHECK(replay_scanned<mysql::kPacketCaptureLimit>(setup, records) == whole);
  SLUICE_FUZZ_CHECK(replay_scanned<ResponseTracker::kCaptureNeeded>(setup, records) == whole);
  for (const Record& record : records) {
    if (!record.from_client) read_generic_response(record.packet.subspan(mysql::kPacketHeaderLength));
  }
  return 0;
}
