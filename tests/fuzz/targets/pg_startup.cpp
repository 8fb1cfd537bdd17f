// The untyped first packets from a client: StartupMessage, SSLRequest, GSSENCRequest,
// CancelRequest. Driven through the daemon's login machine (pg::ClientLogin: exactly
// `length` bytes, up to two encryption requests before the real packet; SSLRequest accepted
// or refused as the input's last bit says, as with tls.client on or off), and parsed on its
// own with invariants: a prefix of a complete packet needs more, a complete packet is
// written back byte for byte, and none is ever taken for direct TLS.
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "login_driver.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/client_login.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/startup.hpp"
#include "sluice/protocol/postgres/writers.hpp"

namespace {

using namespace sluice;

// The packet rebuilt by Sluice's own writers, where one exists; empty otherwise.
std::string rewrite(const pg::StartupPacket& packet) {
  std::string out;
  switch (packet.kind) {
    case pg::StartupKind::startup:
      pg::write_startup_message(out, packet.parameters);
      pg::store_be32(out, 4, packet.protocol_version);  // the writer always says 3.0
      break;
    case pg::StartupKind::ssl_request: pg::write_ssl_request(out); break;
    case pg::StartupKind::cancel_request:
      pg::write_cancel_request(out, packet.cancel_process_id, packet.cancel_secret_key);
      break;
    case pg::StartupKind::gssenc_request: break;
  }
  return out;
}

void check_complete(std::span<const std::uint8_t> input, const pg::StartupParse& parse) {
  SLUICE_FUZZ_CHECK(parse.consumed >= pg::kMinStartupPacketLength);
  SLUICE_FUZZ_CHECK(parse.consumed <= pg::kMaxStartupPacketLength && parse.consumed <= input.size());
  SLUICE_FUZZ_CHECK(parse.consumed == pg::load_be32(input.data()));
  SLUICE_FUZZ_CHECK(parse.error.empty());
  SLUICE_FUZZ_CHECK(!pg::starts_direct_tls(input.front()));
  const auto& packet = parse.packet;
  if (packet.kind == pg::StartupKind::startup) {
    SLUICE_FUZZ_CHECK(packet.find("user") != nullptr);
    SLUICE_FUZZ_CHECK(pg::protocol_major(packet.protocol_version) == 3);
  }
  const std::string rewritten = rewrite(packet);
  if (!rewritten.empty()) SLUICE_FUZZ_CHECK(rewritten == fuzz::as_text(input.first(parse.consumed)));
  // Any prefix: the bytes at hand cannot prove anything wrong, so it must ask for more.
  const auto cuts = fuzz::cut_points(input.first(parse.consumed), 1);
  if (!cuts.empty()) {
    const auto prefix = pg::parse_startup(input.first(cuts.front()));
    SLUICE_FUZZ_CHECK(prefix.status == pg::ParseStatus::need_more && prefix.consumed == 0);
  }
}

void check_alone(std::span<const std::uint8_t> input) {
  const auto parse = pg::parse_startup(input);
  switch (parse.status) {
    case pg::ParseStatus::complete: return check_complete(input, parse);
    case pg::ParseStatus::malformed:
      SLUICE_FUZZ_CHECK(!parse.error.empty() && parse.consumed == 0);
      return;
    case pg::ParseStatus::need_more:
      SLUICE_FUZZ_CHECK(input.size() < pg::kMinStartupPacketLength || input.size() < pg::load_be32(input.data()));
      return;
  }
}

// The daemon's own login machine, as a session drives it: encryption requests answered
// (GSSENCRequest always 'N'), up to the startup packet, a CancelRequest, or the end of the
// input.
void drive_like_session(std::span<const std::uint8_t> input, bool tls_on) {
  pg::ClientLogin login;
  for (;;) {
    switch (fuzz::feed_login(login, input)) {
      case pg::ClientLoginEvent::encryption_request: {
        const bool ssl = login.encryption_kind() == pg::StartupKind::ssl_request;
        if (tls_on) {
          login.accept_encryption();
        } else {
          login.refuse_encryption();
        }
        SLUICE_FUZZ_CHECK(login.output().size() == 1 && login.output().back() == (tls_on && ssl ? 'S' : 'N'));
        login.output().clear();
        break;
      }
      case pg::ClientLoginEvent::startup:
        SLUICE_FUZZ_CHECK(login.startup().find("user") != nullptr);
        return;
      case pg::ClientLoginEvent::failed:
        SLUICE_FUZZ_CHECK(login.failure().sqlstate == "08P01" && login.input().empty());
        return;
      case pg::ClientLoginEvent::need_input:
        SLUICE_FUZZ_CHECK(input.empty());  // the client went away mid-packet
        return;
      case pg::ClientLoginEvent::cancel_request: return;
      case pg::ClientLoginEvent::authenticated: SLUICE_FUZZ_CHECK(!"authenticated before a method was chosen"); return;
    }
  }
}

}  // namespace

int sluice_fuzz_pg_startup(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  check_alone(input);
  drive_like_session(input, size > 0 && (data[size - 1] & 1) != 0);
  return 0;
}
