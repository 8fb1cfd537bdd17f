// Client → Sluice bytes in the data phase, as PgFrontend::scan_client scans them
// (BasicMessageScanner<0>: types and lengths only), plus the readers Sluice applies to
// whole client bodies: PasswordMessage / SASL messages at login, Query on the admin console.
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/readers.hpp"
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

}  // namespace

int sluice_fuzz_pg_client_stream(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> stream(data, size);
  const auto relayed = fuzz::check_stream<0>(stream, kDefaultMaxPacketSize);
  fuzz::check_smaller_cap<0>(stream, relayed, kSmallCap);
  // The same stream with bodies captured, for the readers.
  const auto captured = fuzz::check_stream<pg::kCaptureLimit>(stream, kDefaultMaxPacketSize);
  SLUICE_FUZZ_CHECK(captured.messages.size() == relayed.messages.size());
  read_whole_bodies(captured);
  return 0;
}
