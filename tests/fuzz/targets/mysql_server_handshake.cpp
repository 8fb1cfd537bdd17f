// A backend's login-phase packets as Sluice (the client) reads them: HandshakeV10, then
// AuthSwitchRequest, AuthMoreData, OK or ERR. What parses is written back and parses equal (a
// handshake after one normalising pass, since the scramble's padding and a missing NUL are
// forgiven); from a parsed handshake Sluice answers with a HandshakeResponse41 carrying the
// scramble its plugin asks for, which must parse back and verify against the password.
// Then the whole input, framed, drives the daemon's login machine (mysql::ServerLogin).
#include <cstdint>
#include <span>
#include <string>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "login_driver.hpp"
#include "sluice/auth/caching_sha2_password.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/protocol/mysql/byte_order.hpp"
#include "sluice/protocol/mysql/constants.hpp"
#include "sluice/protocol/mysql/found_rows.hpp"
#include "sluice/protocol/mysql/handshake.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/responses.hpp"
#include "sluice/protocol/mysql/server_login.hpp"

namespace {

using namespace sluice;
using namespace sluice::mysql::capability;

constexpr std::string_view kPassword = "secret";

std::string payload_of(const std::string& packet) {
  const auto payloads = mysql::split_logical_payloads(packet);
  SLUICE_FUZZ_CHECK(payloads.size() == 1);
  return payloads[0];
}

mysql::HandshakeV10 rewrite(const mysql::HandshakeV10& handshake) {
  std::string out;
  mysql::SequenceId sequence;
  mysql::write_handshake_v10(out, sequence, handshake);
  auto reread = mysql::read_handshake_v10(mysql::bytes_of(payload_of(out)));
  SLUICE_FUZZ_CHECK(reread);
  return *reread;
}

// Sluice's answer to the handshake: the scramble for the plugin it names, as a HandshakeResponse41
// with the capabilities both sides have; parsed back, it verifies against the password.
void answer(const mysql::HandshakeV10& handshake) {
  const std::string_view scramble = mysql::scramble_of(handshake.auth_plugin_data);
  const bool sha2 = handshake.auth_plugin_name == mysql::auth_plugin::caching_sha2_password;
  const auto scrambled = sha2 ? auth::caching_sha2_scramble(kPassword, scramble)
                              : auth::mysql_native_password_scramble(kPassword, scramble);
  SLUICE_FUZZ_CHECK(scrambled);
  mysql::HandshakeResponse41 response;
  const std::uint64_t wanted = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
                               CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_WITH_DB | CLIENT_DEPRECATE_EOF;
  response.capabilities = (handshake.capabilities & wanted) | CLIENT_PROTOCOL_41;
  response.max_packet_size = static_cast<std::uint32_t>(mysql::kDefaultMaxPacketSize);
  response.character_set = handshake.character_set;
  response.user = "app";
  response.auth_response = *scrambled;
  if (response.capabilities & CLIENT_CONNECT_WITH_DB) response.database = "shop";
  if (response.capabilities & CLIENT_PLUGIN_AUTH) response.auth_plugin_name = handshake.auth_plugin_name;
  std::string out;
  mysql::SequenceId sequence;
  sequence.reset(1);
  // A scramble has no NUL only by luck: without a length-prefixed encoding it may not be sendable.
  if (!mysql::write_handshake_response41(out, sequence, response)) {
    SLUICE_FUZZ_CHECK(!(response.capabilities & (CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)));
    return;
  }
  auto parsed = mysql::read_handshake_response41(mysql::bytes_of(payload_of(out)));
  SLUICE_FUZZ_CHECK(parsed && parsed->auth_response == *scrambled);
  const bool verified = sha2 ? auth::verify_caching_sha2_password(kPassword, scramble, parsed->auth_response)
                             : auth::verify_mysql_native_password(std::string_view(kPassword), scramble,
                                                                  parsed->auth_response);
  SLUICE_FUZZ_CHECK(verified);
}

void check_handshake(std::span<const std::uint8_t> payload) {
  auto handshake = mysql::read_handshake_v10(payload);
  if (!handshake) {
    SLUICE_FUZZ_CHECK(handshake.failure().reason == "protocol_violation");
    return;
  }
  // Written back, it reads the same after one pass; exactly, for the usual 20-byte scramble.
  const auto once = rewrite(*handshake);
  SLUICE_FUZZ_CHECK(rewrite(once) == once);
  const bool usual = (handshake->capabilities & CLIENT_SECURE_CONNECTION) &&
                     (handshake->capabilities & CLIENT_PLUGIN_AUTH) && handshake->auth_plugin_data.size() == 20 &&
                     handshake->auth_plugin_name.find('\0') == std::string::npos;
  if (usual) SLUICE_FUZZ_CHECK(once == *handshake);
  answer(*handshake);
}

void check_auth_packets(std::span<const std::uint8_t> payload) {
  auto request = mysql::read_auth_switch_request(payload);
  if (request) {
    // Byte for byte: the name cannot hold a NUL, and the data is the rest.
    std::string out;
    mysql::SequenceId sequence;
    mysql::write_auth_switch_request(out, sequence, *request);
    SLUICE_FUZZ_CHECK(payload_of(out) == fuzz::as_text(payload));
  }
  auto more = mysql::read_auth_more_data(payload);
  if (more) {
    std::string out;
    mysql::SequenceId sequence;
    mysql::write_auth_more_data(out, sequence, *more);
    SLUICE_FUZZ_CHECK(payload_of(out) == fuzz::as_text(payload));
  }
}

// OK or ERR ends a login.
void check_login_result(std::span<const std::uint8_t> payload) {
  for (const std::uint64_t capabilities : {std::uint64_t{0}, std::uint64_t{CLIENT_SESSION_TRACK}}) {
    auto ok = mysql::read_ok_packet(payload, capabilities);
    if (!ok) continue;
    std::string out;
    mysql::SequenceId sequence;
    mysql::write_ok_packet(out, sequence, *ok, capabilities);
    auto reread = mysql::read_ok_packet(mysql::bytes_of(payload_of(out)), capabilities);
    SLUICE_FUZZ_CHECK(reread && *reread == *ok);
    SLUICE_FUZZ_CHECK(mysql::ok_packet_status(payload) == ok->status_flags);
  }
  auto error = mysql::read_err_packet(payload);
  if (error) SLUICE_FUZZ_CHECK(error->sql_state.empty() || error->sql_state.size() == mysql::kSqlStateLength);
  // An OK packet rewritten for a CLIENT_FOUND_ROWS client changes its affected rows only.
  if (auto rewritten = mysql::with_found_rows(payload, 3)) {
    const auto payloads = mysql::split_logical_payloads(*rewritten);
    SLUICE_FUZZ_CHECK(payloads.size() == 1);
    auto original = mysql::read_ok_packet(payload, 0);
    auto reread = mysql::read_ok_packet(mysql::bytes_of(payloads.front()), 0);
    SLUICE_FUZZ_CHECK(original && reread);
    SLUICE_FUZZ_CHECK(reread->last_insert_id == original->last_insert_id);
    SLUICE_FUZZ_CHECK(reread->status_flags == original->status_flags && reread->info == original->info);
  }
}

// The server's packets to the machine Sluice logs in with: whatever they say, it ends ready,
// failed with server_login_failed, or waiting for more; what it wrote is whole packets. With
// TLS wanted, a handshake offering CLIENT_SSL gets an SSLRequest and the rest of the input is
// what came through TLS.
void drive_like_connector(std::span<const std::uint8_t> input, mysql::BackendTls tls) {
  mysql::ServerLoginIdentity identity;
  identity.user = "app";
  identity.database = "shop";
  identity.password = std::string(kPassword);
  identity.tls = tls;
  mysql::ServerLogin login(identity);
  auto event = fuzz::feed_login(login, input);
  if (event == mysql::ServerLoginEvent::start_tls) {
    SLUICE_FUZZ_CHECK(tls != mysql::BackendTls::off && login.input().empty());
    login.tls_started();
    event = fuzz::feed_login(login, input);
  }
  switch (event) {
    case mysql::ServerLoginEvent::need_input: SLUICE_FUZZ_CHECK(input.empty()); break;
    case mysql::ServerLoginEvent::start_tls: SLUICE_FUZZ_CHECK(false); break;  // asked once only
    case mysql::ServerLoginEvent::ready:
      SLUICE_FUZZ_CHECK(login.capabilities() & CLIENT_PROTOCOL_41);
      SLUICE_FUZZ_CHECK(login.input().empty());
      break;
    case mysql::ServerLoginEvent::failed:
      SLUICE_FUZZ_CHECK(login.failure().reason == "server_login_failed" && login.input().empty());
      break;
  }
  const auto packets = mysql::split_logical_payloads(login.output());
  std::size_t written = 0;
  for (const auto& payload : packets) written += mysql::kPacketHeaderLength + payload.size();
  SLUICE_FUZZ_CHECK(written == login.output().size());
}

}  // namespace

int sluice_fuzz_mysql_server_handshake(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> payload(data, size);
  check_handshake(payload);
  check_auth_packets(payload);
  check_login_result(payload);
  for (const auto tls : {mysql::BackendTls::off, mysql::BackendTls::if_offered}) drive_like_connector(payload, tls);
  return 0;
}
