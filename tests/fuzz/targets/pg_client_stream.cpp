// Client → Sluice bytes in the data phase, as PgFrontend::scan_client scans them
// (BasicMessageScanner<0>: types and lengths only), the readers Sluice applies to whole client
// bodies (PasswordMessage / SASL messages at login, Query on the admin console), and the
// release decision's machine (pg::UnitOfWork) fed the same messages.
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/unit_of_work.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "stream_check.hpp"

namespace {

using namespace sluice;
using fuzz::SeenMessage;

constexpr std::uint64_t kDefaultMaxPacketSize = std::uint64_t{1} << 30;  // config default
constexpr std::uint64_t kSmallCap = 64;

// The message as it was on the wire, rebuilt from its type and whole body.
std::string wire_message(const SeenMessage& message) {
  std::string out(1, message.type);
  pg::append_be32(out, message.length);
  return out + message.body;
}

// 'p' is PasswordMessage, SASLInitialResponse or SASLResponse depending on the exchange:
// Sluice reads it as whichever it expects, so every reading must hold up.
void read_password_family(const SeenMessage& message) {
  const auto body = pg::bytes_of(message.body);
  if (auto password = pg::read_password_message(body)) {
    std::string rewritten;
    pg::write_password_message(rewritten, *password);
    SLUICE_FUZZ_CHECK(rewritten == wire_message(message));
  }
  if (auto initial = pg::read_sasl_initial_response(body)) {
    std::string rewritten;
    pg::write_sasl_initial_response(rewritten, initial->mechanism, initial->data);
    const auto reread = pg::read_sasl_initial_response(pg::bytes_of(rewritten).subspan(pg::kHeaderLength));
    SLUICE_FUZZ_CHECK(reread && reread->mechanism == initial->mechanism && reread->data == initial->data);
  }
  SLUICE_FUZZ_CHECK(pg::read_sasl_response(body).size() == body.size());
}

void read_whole_bodies(const fuzz::StreamScan& scan) {
  for (const SeenMessage& message : scan.messages) {
    if (message.body_truncated) continue;  // Sluice never reads a body it holds only part of
    if (message.type == pg::frontend::PasswordMessage) read_password_family(message);
    if (message.type == pg::frontend::Query) {
      if (auto sql = pg::read_query(pg::bytes_of(message.body))) {
        std::string rewritten;
        pg::write_query(rewritten, *sql);
        SLUICE_FUZZ_CHECK(rewritten == wire_message(message));
      }
    }
  }
}

// The release decision's protocol half (pg::UnitOfWork, as PgFrontend drives it) against a
// model a reader can check by eye: every Query, Sync and FunctionCall is one round trip, answered
// by one ReadyForQuery; extended-protocol messages leave the backend "unsynced" until a Sync.
// The backend's answers come in here after each client message whose byte says so, with a
// transaction status taken from the stream too, so replies interleave with requests anyhow.
void check_unit_of_work(const fuzz::StreamScan& scan) {
  pg::UnitOfWork unit;
  int in_flight = 0;
  bool unsynced = false;
  char status = pg::transaction_status::Idle;
  for (const SeenMessage& message : scan.messages) {
    const char type = message.type;
    const bool round_trip = type == pg::frontend::Query || type == pg::frontend::Sync || type == pg::frontend::FunctionCall;
    const bool extended = type == pg::frontend::Parse || type == pg::frontend::Bind || type == pg::frontend::Describe ||
                          type == pg::frontend::Execute || type == pg::frontend::Close || type == pg::frontend::Flush;
    const bool started = unit.on_client_message(type);
    SLUICE_FUZZ_CHECK(started == (round_trip && in_flight == 0));
    if (round_trip) ++in_flight;
    if (type == pg::frontend::Sync) unsynced = false;
    if (extended) unsynced = true;
    // The low bits of the message's length say how many replies come now, and with what status.
    const unsigned replies = message.length % 3;
    for (unsigned i = 0; i < replies; ++i) {
      static constexpr char kStatuses[] = {pg::transaction_status::Idle, pg::transaction_status::InTransaction,
                                           pg::transaction_status::Failed};
      const char reply_status = kStatuses[(message.length / 3 + i) % 3];
      const std::uint8_t body[1] = {static_cast<std::uint8_t>(reply_status)};
      const bool completed = unit.on_server_message(pg::backend::ReadyForQuery, body);
      SLUICE_FUZZ_CHECK(completed == (in_flight == 1));
      if (in_flight > 0) --in_flight;
      status = reply_status;
    }
    SLUICE_FUZZ_CHECK(unit.round_trips_in_flight() == in_flight);
    SLUICE_FUZZ_CHECK(unit.statement_running() == (in_flight > 0));
    SLUICE_FUZZ_CHECK(unit.unsynced() == unsynced);
    SLUICE_FUZZ_CHECK(unit.transaction_status() == status);
    SLUICE_FUZZ_CHECK(unit.at_rest() == (in_flight == 0 && !unsynced && status == pg::transaction_status::Idle));
  }
}

}  // namespace

int sluice_fuzz_pg_client_stream(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> stream(data, size);
  const auto relayed = fuzz::check_stream<0>(stream, kDefaultMaxPacketSize);
  fuzz::check_smaller_cap<0>(stream, relayed, kSmallCap);
  // The same stream with bodies captured, for the readers.
  const auto captured = fuzz::check_stream<pg::kCaptureLimit>(stream, kDefaultMaxPacketSize);
  SLUICE_FUZZ_CHECK(captured.messages.size() == relayed.messages.size());
  read_whole_bodies(captured);
  check_unit_of_work(relayed);
  return 0;
}
