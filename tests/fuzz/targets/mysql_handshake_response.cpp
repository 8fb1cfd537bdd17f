// A MySQL client's first packets as Sluice (the server) reads them: SSLRequest or
// HandshakeResponse41, taken both as one payload and as a framed packet read by the login's
// PacketReader. A response that parses is written back by Sluice's own writer (which must
// accept it) and parses equal; the auth response it carries goes through every verifier.
// Then the whole input drives the daemon's login machine (mysql::ClientLogin), with TLS
// offered and a password method chosen as the session does (over TLS, a caching_sha2_password
// client gets the full authentication against a stored hash) or by the input's length.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "login_driver.hpp"
#include "sluice/auth/caching_sha2_password.hpp"
#include "sluice/auth/client_ed25519.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/client_login.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"

namespace {

using namespace sluice;

constexpr std::string_view kScramble = "abcdefghijklmnopqrst";
constexpr std::string_view kPassword = "secret";

std::string payload_of(const std::string& packet) {
  const auto payloads = mysql::split_logical_payloads(packet);
  SLUICE_FUZZ_CHECK(payloads.size() == 1);
  return payloads[0];
}

// The verifiers a session would run on the auth response: never true for a wrong one (the
// corpus holds the right answers for "secret", so both outcomes are reached).
void verify_auth_response(const std::string& response) {
  const bool native = auth::verify_mysql_native_password(std::string_view(kPassword), kScramble, response);
  SLUICE_FUZZ_CHECK(native == (response == *auth::mysql_native_password_scramble(kPassword, kScramble)));
  const bool sha2 = auth::verify_caching_sha2_password(kPassword, kScramble, response);
  SLUICE_FUZZ_CHECK(sha2 == (response == *auth::caching_sha2_scramble(kPassword, kScramble)));
  (void)auth::verify_client_ed25519_password(kPassword, kScramble, response);
}

void check_response(std::span<const std::uint8_t> payload) {
  auto response = mysql::read_handshake_response41(payload);
  if (!response) {
    SLUICE_FUZZ_CHECK(response.failure().reason == "protocol_violation" && !response.failure().message.empty());
    return;
  }
  SLUICE_FUZZ_CHECK(response->capabilities & mysql::capability::CLIENT_PROTOCOL_41);
  SLUICE_FUZZ_CHECK(response->auth_response.size() <= mysql::kMaxAuthResponseLength);
  std::string out;
  mysql::SequenceId sequence;
  sequence.reset(1);
  SLUICE_FUZZ_CHECK(mysql::write_handshake_response41(out, sequence, *response));
  SLUICE_FUZZ_CHECK(sequence.next() == 2);
  const std::string rewritten = payload_of(out);
  auto reread = mysql::read_handshake_response41(mysql::bytes_of(rewritten));
  SLUICE_FUZZ_CHECK(reread && *reread == *response);
  verify_auth_response(response->auth_response);
}

void check_ssl_request(std::span<const std::uint8_t> payload) {
  auto request = mysql::read_ssl_request(payload);
  SLUICE_FUZZ_CHECK(!request || mysql::is_ssl_request(payload));
  if (!request) return;
  SLUICE_FUZZ_CHECK(request->capabilities & mysql::capability::CLIENT_SSL);
  std::string out;
  mysql::SequenceId sequence;
  mysql::write_ssl_request(out, sequence, *request);
  const std::string rewritten = payload_of(out);
  SLUICE_FUZZ_CHECK(rewritten.size() == mysql::kSslRequestLength && mysql::is_ssl_request(mysql::bytes_of(rewritten)));
  auto reread = mysql::read_ssl_request(mysql::bytes_of(rewritten));
  SLUICE_FUZZ_CHECK(reread && *reread == *request);
}

// The session reads the first packet with a PacketReader capped at the login limit.
void read_framed(std::span<const std::uint8_t> input) {
  mysql::PacketReader reader(mysql::kMaxLoginPacketSize);
  while (!input.empty() && reader.state() == mysql::PacketReadState::need_input) {
    const auto wanted = reader.input();
    const std::size_t count = std::min(wanted.size(), input.size());
    std::copy_n(input.begin(), count, wanted.begin());
    reader.received(count);
    input = input.subspan(count);
  }
  if (reader.state() != mysql::PacketReadState::complete) return;
  SLUICE_FUZZ_CHECK(reader.payload().size() <= mysql::kMaxLoginPacketSize);
  if (mysql::is_ssl_request(reader.payload())) return check_ssl_request(reader.payload());
  check_response(reader.payload());
}

// Everything Sluice wrote is whole, non-empty packets, each one or two sequence ids after the
// one before (the client's answer may sit between); the last is `header` (OK or ERR). An ERR
// follows the id of the client's packet, whatever that was, so its id is not checked.
void check_output(const std::string& output, std::uint8_t header) {
  std::string_view rest = output;
  std::optional<std::uint8_t> previous;
  std::string last;
  while (!rest.empty()) {
    SLUICE_FUZZ_CHECK(rest.size() >= mysql::kPacketHeaderLength);
    const std::uint32_t length = mysql::load_le24(mysql::bytes_of(rest).data());
    SLUICE_FUZZ_CHECK(rest.size() >= mysql::kPacketHeaderLength + length && length > 0);
    const auto id = static_cast<std::uint8_t>(rest[3]);
    last = rest.substr(mysql::kPacketHeaderLength, length);
    rest.remove_prefix(mysql::kPacketHeaderLength + length);
    const bool final_error = rest.empty() && header == mysql::packet_header::ERR_Packet;
    if (previous && !final_error) {
      const auto step = static_cast<std::uint8_t>(id - *previous);
      SLUICE_FUZZ_CHECK(step == 1 || step == 2);
    }
    previous = id;
  }
  SLUICE_FUZZ_CHECK(!last.empty() && static_cast<std::uint8_t>(last[0]) == header);
}

// The daemon's machine, as a session drives it: TLS "started" when asked, then a method.
void drive_like_session(std::span<const std::uint8_t> input) {
  mysql::ClientLoginSettings settings;
  settings.scramble = std::string(kScramble);
  settings.capabilities |= mysql::capability::CLIENT_SSL;
  mysql::ClientLogin login(settings);
  login.output().clear();  // the HandshakeV10
  bool tls = false;
  for (int step = 0; step < 4; ++step) {
    const auto event = fuzz::feed_login(login, input);
    switch (event) {
      case mysql::ClientLoginEvent::need_input:
        SLUICE_FUZZ_CHECK(input.empty());
        return;
      case mysql::ClientLoginEvent::ssl_request:
        SLUICE_FUZZ_CHECK(login.output().empty() && login.input().empty());
        login.tls_started();
        tls = true;
        continue;
      case mysql::ClientLoginEvent::handshake_response:
        SLUICE_FUZZ_CHECK(login.response().capabilities & mysql::capability::CLIENT_PROTOCOL_41);
        if (tls && login.response().auth_plugin_name == mysql::auth_plugin::caching_sha2_password) {
          login.begin_caching_sha2_full_authentication(auth::mysql_native_password_hash(kPassword));
          continue;
        }
        switch (input.size() % 3) {
          case 0: login.begin_mysql_native_password(auth::mysql_native_password_hash(kPassword)); break;
          case 1: login.begin_caching_sha2_password(std::string(kPassword)); break;
          default: login.begin_mysql_native_password(std::string(kPassword)); break;
        }
        continue;
      case mysql::ClientLoginEvent::authenticated:
        check_output(login.output(), mysql::packet_header::OK_Packet);
        SLUICE_FUZZ_CHECK(login.input().empty());
        return;
      case mysql::ClientLoginEvent::failed:
        check_output(login.output(), mysql::packet_header::ERR_Packet);
        SLUICE_FUZZ_CHECK(login.input().empty() && !login.failure().reason.empty());
        return;
    }
  }
}

}  // namespace

int sluice_fuzz_mysql_handshake_response(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> input(data, size);
  check_ssl_request(input);
  check_response(input);
  read_framed(input);
  drive_like_session(input);
  return 0;
}
