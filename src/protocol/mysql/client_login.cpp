#include "sluice/protocol/mysql/client_login.hpp"

#include "sluice/auth/caching_sha2_password.hpp"
#include "sluice/auth/cleartext_password.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/auth/scram_secret.hpp"
#include "sluice/protocol/mysql/errors.hpp"
#include "sluice/protocol/mysql/failures.hpp"
#include "sluice/protocol/mysql/responses.hpp"

namespace sluice::mysql {

namespace {

using capability::CLIENT_PLUGIN_AUTH;
using capability::CLIENT_PROTOCOL_41;
using capability::CLIENT_SSL;

constexpr std::string_view kFastAuthSuccess("\x03", 1);  // caching_sha2::fast_auth_success
constexpr std::string_view kPerformFullAuthentication("\x04", 1);  // caching_sha2::perform_full_authentication

// 20 printable bytes without '$', as MySQL makes its scramble: it travels NUL-terminated.
std::string random_scramble() {
  std::string bytes = auth::random_bytes(kScrambleLength);
  if (bytes.size() != kScrambleLength) return {};
  for (char& byte : bytes) {
    byte = static_cast<char>(0x21 + static_cast<unsigned char>(byte) % 94);
    if (byte == '$') byte = '_';
  }
  return bytes;
}

}  // namespace

ClientLogin::ClientLogin(ClientLoginSettings settings) : settings_(std::move(settings)) {
  scramble_ = settings_.scramble.empty() ? random_scramble() : settings_.scramble;
  if (scramble_.empty()) {
    fail(Failure{"internal_error", "58000", "no randomness for the scramble"});
    return;
  }
  const HandshakeV10 handshake{settings_.server_version, settings_.connection_id, scramble_,
                               settings_.capabilities,   settings_.character_set, settings_.status_flags,
                               settings_.auth_plugin};
  write_handshake_v10(output_, sequence_, handshake);
  expect_packet(Phase::first_packet);
}

void ClientLogin::expect_packet(Phase phase) {
  phase_ = phase;
  reader_.emplace(settings_.max_packet_size);
}

bool ClientLogin::reading() const {
  return phase_ == Phase::first_packet || phase_ == Phase::response || phase_ == Phase::auth_answer ||
         phase_ == Phase::cleartext_password || phase_ == Phase::refusal_answer;
}

std::span<std::uint8_t> ClientLogin::input() { return reading() ? reader_->input() : std::span<std::uint8_t>(); }

void ClientLogin::received(std::size_t count) {
  if (reading()) reader_->received(count);
}

ClientLoginEvent ClientLogin::next() {
  switch (phase_) {
    case Phase::tls_answer: return ClientLoginEvent::ssl_request;
    case Phase::chosen: return ClientLoginEvent::handshake_response;
    case Phase::authenticated: return ClientLoginEvent::authenticated;
    case Phase::failed: return ClientLoginEvent::failed;
    default: break;
  }
  if (reader_->state() == PacketReadState::need_input) return ClientLoginEvent::need_input;
  // Whatever the packet was, Sluice's answer (even an ERR) follows its sequence id.
  const std::uint8_t expected = sequence_.next();
  sequence_.reset(reader_->next_sequence_id());
  if (reader_->state() == PacketReadState::failed) return fail(protocol_violation(reader_->error()));
  if (reader_->sequence_id() != expected) {
    return fail(protocol_violation("packet out of order: sequence id " + std::to_string(reader_->sequence_id()) +
                                   ", expected " + std::to_string(expected)));
  }
  return on_packet(reader_->payload());
}

ClientLoginEvent ClientLogin::on_packet(std::span<const std::uint8_t> payload) {
  switch (phase_) {
    case Phase::first_packet: return on_first_packet(payload);
    case Phase::response: return on_response(payload);
    case Phase::auth_answer:
      password_given_ = password_given_ || !payload.empty();
      check_answer(std::string(as_text(payload)));
      return next();
    case Phase::cleartext_password:
      password_given_ = password_given_ || payload.size() > 1;  // more than the NUL
      check_cleartext_password(payload);
      return next();
    case Phase::refusal_answer:
      password_given_ = password_given_ || !payload.empty();
      return fail(std::move(pending_refusal_));
    default: return fail(protocol_violation("login state"));  // unreachable: only reading phases get here
  }
}

// An SSLRequest (TLS was offered) or the HandshakeResponse41 itself.
ClientLoginEvent ClientLogin::on_first_packet(std::span<const std::uint8_t> payload) {
  if (!is_ssl_request(payload)) return on_response(payload);
  if (!(settings_.capabilities & CLIENT_SSL)) return fail(protocol_violation("SSLRequest, but TLS was not offered"));
  auto request = read_ssl_request(payload);
  if (!request) return fail(request.failure());
  // What it announced holds until its HandshakeResponse: an ERR before that carries a SQLSTATE.
  capabilities_ = request->capabilities & settings_.capabilities;
  phase_ = Phase::tls_answer;
  return ClientLoginEvent::ssl_request;
}

ClientLoginEvent ClientLogin::on_response(std::span<const std::uint8_t> payload) {
  auto parsed = read_handshake_response41(payload);
  if (!parsed) {
    // Broken further on: its first four bytes still say whether it speaks protocol 4.1. Too
    // short to say: as every client that can log in here does (the greeting requires 4.1), so
    // its ERR carries the contract's SQLSTATE.
    capabilities_ = payload.size() >= 4 ? load_le32(payload.data()) & settings_.capabilities
                                        : settings_.capabilities & CLIENT_PROTOCOL_41;
    return fail(parsed.failure());
  }
  response_ = std::move(*parsed);
  capabilities_ = response_.capabilities & settings_.capabilities;
  if (!(capabilities_ & CLIENT_PROTOCOL_41)) return fail(protocol_violation("CLIENT_PROTOCOL_41 was not offered"));
  phase_ = Phase::chosen;
  return ClientLoginEvent::handshake_response;
}

void ClientLogin::tls_started() {
  if (phase_ != Phase::tls_answer) return;
  tls_ = true;
  expect_packet(Phase::response);
}

void ClientLogin::begin_trust() {
  if (phase_ == Phase::chosen) accept();
}

void ClientLogin::begin_mysql_native_password(std::string stored) {
  begin_method(Method::mysql_native_password, std::move(stored));
}

void ClientLogin::begin_caching_sha2_password(std::string password) {
  begin_method(Method::caching_sha2_password, std::move(password));
}

void ClientLogin::begin_caching_sha2_full_authentication(std::string stored) {
  if (phase_ != Phase::chosen) return;
  // Never ask for a password in clear over plain text.
  if (!tls_) return auth_failed();
  begin_method(Method::caching_sha2_full_authentication, std::move(stored));
}

// A client whose first answer Sluice cannot read (client_ed25519 waits for a nonce, a
// caching_sha2_password client sent nothing for a handshake naming another plugin) is switched to
// mysql_native_password first, as MariaDB does, and refused after its answer: otherwise it reports
// "2012 Error in server handshake", and whether a user exists would show in the reply's shape.
void ClientLogin::refuse(Failure failure) {
  if (phase_ == Phase::tls_answer) {
    fail(std::move(failure));
    return;
  }
  if (phase_ != Phase::chosen) return;
  if (!(capabilities_ & CLIENT_PLUGIN_AUTH) || answer_readable()) {
    fail(std::move(failure));
    return;
  }
  pending_refusal_ = std::move(failure);
  write_auth_switch_request(output_, sequence_,
                            AuthSwitchRequest{std::string(auth_plugin::mysql_native_password), scramble_ + '\0'});
  expect_packet(Phase::refusal_answer);
}

// The HandshakeResponse's answer is one Sluice can tell a password from: a mysql_native_password
// one, or a caching_sha2_password scramble.
bool ClientLogin::answer_readable() const {
  const auto& plugin = response_.auth_plugin_name;
  if (!plugin || *plugin == auth_plugin::mysql_native_password) return true;
  return *plugin == auth_plugin::caching_sha2_password && !response_.auth_response.empty();
}

// The client answered for the plugin named in the handshake; if that is not the chosen one, it
// is asked again with an AuthSwitchRequest (the same scramble, NUL-terminated as MySQL sends it).
void ClientLogin::begin_method(Method method, std::string secret) {
  if (phase_ != Phase::chosen) return;
  method_ = method;
  secret_ = std::move(secret);
  if (answered_for_method()) return check_answer(response_.auth_response);
  if (!(capabilities_ & CLIENT_PLUGIN_AUTH)) {
    fail(protocol_violation("the client cannot switch to " + std::string(method_plugin())));
    return;
  }
  write_auth_switch_request(output_, sequence_, AuthSwitchRequest{std::string(method_plugin()), scramble_ + '\0'});
  expect_packet(Phase::auth_answer);
}

std::string_view ClientLogin::method_plugin() const {
  return method_ == Method::mysql_native_password ? auth_plugin::mysql_native_password
                                                  : auth_plugin::caching_sha2_password;
}

// Connector/C and libmysqlclient answer for their own default plugin, with no data when the
// handshake named another one: a caching_sha2_password client that sent nothing is given the
// scramble with an AuthSwitchRequest (unless nothing is the right answer: an empty password).
bool ClientLogin::answered_for_method() const {
  if (!client_plugin_matches()) return false;
  return method_ == Method::mysql_native_password || !response_.auth_response.empty() || secret_.empty();
}

// Clients without CLIENT_PLUGIN_AUTH answer mysql_native_password.
bool ClientLogin::client_plugin_matches() const {
  const std::string_view plugin = response_.auth_plugin_name ? std::string_view(*response_.auth_plugin_name)
                                  : (capabilities_ & CLIENT_PLUGIN_AUTH) ? std::string_view()
                                                                         : auth_plugin::mysql_native_password;
  return plugin == method_plugin();
}

void ClientLogin::check_answer(std::string_view answer) {
  if (method_ == Method::caching_sha2_full_authentication) return ask_for_cleartext_password();
  const bool verified =
      method_ == Method::caching_sha2_password
          ? auth::verify_caching_sha2_password(secret_, scramble_, answer)
          : auth::verify_mysql_native_password(std::string_view(secret_), scramble_, answer);
  if (!verified) return auth_failed();
  if (method_ == Method::caching_sha2_password) write_auth_more_data(output_, sequence_, kFastAuthSuccess);
  accept();
}

// The scramble answer cannot be checked without SHA256(SHA256(password)), which no stored form
// but the plain password gives: the client is told to send the password itself (over TLS).
void ClientLogin::ask_for_cleartext_password() {
  write_auth_more_data(output_, sequence_, kPerformFullAuthentication);
  expect_packet(Phase::cleartext_password);
}

// The password and a NUL, as MySQL's and MariaDB's clients send it.
void ClientLogin::check_cleartext_password(std::span<const std::uint8_t> payload) {
  std::string_view password = as_text(payload);
  if (!password.empty() && password.back() == '\0') password.remove_suffix(1);
  if (!auth::verify_cleartext_password(secret_, response_.user, password)) return auth_failed();
  accept();
}

void ClientLogin::accept() {
  OkPacket ok;
  ok.status_flags = settings_.status_flags;
  write_ok_packet(output_, sequence_, ok, capabilities_);
  phase_ = Phase::authenticated;
  reader_.reset();
  secret_.clear();
}

void ClientLogin::auth_failed() {
  fail(Failure{"auth_failed", "28P01", "password authentication failed for user \"" + response_.user + "\""});
}

// The client gets an ERR packet with the mapped code; before it has said it speaks protocol
// 4.1, without a SQLSTATE.
ClientLoginEvent ClientLogin::fail(Failure failure) {
  failure_ = std::move(failure);
  const std::string_view database = response_.database ? std::string_view(*response_.database) : std::string_view();
  const ErrorContext context{response_.user, settings_.client_host, database,
                             password_given_ || !response_.auth_response.empty(), rejects_client_error_codes(response_)};
  write_err_packet(output_, sequence_, error_for(failure_, context), (capabilities_ & CLIENT_PROTOCOL_41) != 0);
  phase_ = Phase::failed;
  reader_.reset();
  secret_.clear();
  return ClientLoginEvent::failed;
}

}  // namespace sluice::mysql
