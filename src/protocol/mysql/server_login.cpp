#include "sluice/protocol/mysql/server_login.hpp"

#include "sluice/auth/caching_sha2_password.hpp"
#include "sluice/auth/client_ed25519.hpp"
#include "sluice/auth/client_ed25519_signature.hpp"
#include "sluice/auth/mysql_native_password.hpp"
#include "sluice/auth/rsa_password.hpp"
#include "sluice/protocol/mysql/responses.hpp"

namespace sluice::mysql {

namespace {

using capability::CLIENT_CONNECT_ATTRS;
using capability::CLIENT_CONNECT_WITH_DB;
using capability::CLIENT_PLUGIN_AUTH;
using capability::CLIENT_PROTOCOL_41;
using capability::CLIENT_SSL;

bool supported(std::string_view plugin) {
  return plugin == auth_plugin::mysql_native_password || plugin == auth_plugin::caching_sha2_password ||
         plugin == auth_plugin::client_ed25519 || plugin == auth_plugin::sha256_password;
}

// sha256_password's first answer when the password must come RSA-encrypted: "send me your key".
constexpr char sha256_request_public_key = 0x01;

}  // namespace

Failure server_login_failure(std::string_view why) {
  return Failure{"server_login_failed", "08001", "server login failed: " + std::string(why)};
}

ServerLogin::ServerLogin(ServerLoginIdentity identity, ServerLoginLimits limits)
    : identity_(std::move(identity)), limits_(limits) {
  expect_packet(Phase::handshake);
}

void ServerLogin::expect_packet(Phase phase) {
  phase_ = phase;
  reader_.emplace(limits_.max_packet_size);
}

std::span<std::uint8_t> ServerLogin::input() {
  return phase_ == Phase::handshake || phase_ == Phase::auth_result ? reader_->input() : std::span<std::uint8_t>();
}

void ServerLogin::received(std::size_t count) {
  if (phase_ == Phase::handshake || phase_ == Phase::auth_result) reader_->received(count);
}

ServerLoginEvent ServerLogin::next() {
  if (phase_ == Phase::ready) return ServerLoginEvent::ready;
  if (phase_ == Phase::failed) return ServerLoginEvent::failed;
  if (phase_ == Phase::tls_handshake) return ServerLoginEvent::start_tls;
  switch (reader_->state()) {
    case PacketReadState::need_input: return ServerLoginEvent::need_input;
    case PacketReadState::failed: return fail(reader_->error());
    case PacketReadState::complete: break;
  }
  if (!sequence_.accept(reader_->sequence_id())) {
    return fail("packet out of order: sequence id " + std::to_string(reader_->sequence_id()) + ", expected " +
                std::to_string(sequence_.next()));
  }
  sequence_.reset(reader_->next_sequence_id());
  return on_packet(reader_->payload());
}

ServerLoginEvent ServerLogin::on_packet(std::span<const std::uint8_t> payload) {
  if (phase_ == Phase::handshake) return on_handshake(payload);
  return on_auth_result(payload);
}

// The server's greeting (or an ERR instead: too many connections, host blocked); TLS first if
// the identity asks for it and the server offers it.
ServerLoginEvent ServerLogin::on_handshake(std::span<const std::uint8_t> payload) {
  if (!payload.empty() && payload[0] == packet_header::ERR_Packet) return on_err(payload);
  auto parsed = read_handshake_v10(payload);
  if (!parsed) return fail(parsed.failure().message);
  handshake_ = std::move(*parsed);
  capabilities_ = identity_.capabilities & handshake_.capabilities;
  if (!(capabilities_ & CLIENT_PROTOCOL_41)) return fail("the server does not speak protocol 4.1");
  if (identity_.database.empty()) capabilities_ &= ~CLIENT_CONNECT_WITH_DB;
  if (!identity_.database.empty() && !(capabilities_ & CLIENT_CONNECT_WITH_DB)) {
    return fail("the server cannot select a database at login");
  }
  if (identity_.connect_attributes.empty()) capabilities_ &= ~CLIENT_CONNECT_ATTRS;
  const bool tls_offered = handshake_.capabilities & CLIENT_SSL;
  if (identity_.tls == BackendTls::required && !tls_offered) {
    return fail("TLS is required (tls.server.mode) but the server does not offer it (no CLIENT_SSL)");
  }
  if (identity_.tls != BackendTls::off && tls_offered) return request_tls();
  return respond();
}

// Protocol::SSLRequest (sequence id 1): the response's fixed part, CLIENT_SSL set; what follows is TLS.
ServerLoginEvent ServerLogin::request_tls() {
  capabilities_ |= CLIENT_SSL;
  write_ssl_request(output_, sequence_,
                    {capabilities_, static_cast<std::uint32_t>(kDefaultMaxPacketSize), identity_.character_set});
  phase_ = Phase::tls_handshake;
  reader_.reset();
  return ServerLoginEvent::start_tls;
}

void ServerLogin::tls_started() {
  if (phase_ != Phase::tls_handshake) return;
  tls_ = true;
  respond();
}

// The HandshakeResponse41 for the server's plugin if Sluice knows it, else for mysql_native_password.
ServerLoginEvent ServerLogin::respond() {
  const bool named = (capabilities_ & CLIENT_PLUGIN_AUTH) && supported(handshake_.auth_plugin_name);
  const std::string plugin(named ? std::string_view(handshake_.auth_plugin_name) : auth_plugin::mysql_native_password);
  auto answer = answer_for(plugin, handshake_.auth_plugin_data);
  if (!answer) return ServerLoginEvent::failed;
  send_response(plugin, std::move(*answer));
  if (phase_ == Phase::failed) return ServerLoginEvent::failed;
  expect_packet(Phase::auth_result);
  return next();
}

std::optional<std::string> ServerLogin::answer_for(std::string_view plugin, std::string_view plugin_data) {
  awaiting_public_key_ = false;  // a switch to another plugin drops a key request of the one before
  if (!supported(plugin)) {
    fail("unsupported authentication plugin " + std::string(plugin));
    return std::nullopt;
  }
  if (!identity_.password) {
    fail("the server asks for a password; none configured");
    return std::nullopt;
  }
  const std::string& password = *identity_.password;
  // client_ed25519's nonce is 32 random bytes, a last NUL included: it is not cut like a scramble.
  if (plugin == auth_plugin::client_ed25519) return ed25519_answer(password, plugin_data);
  scramble_ = scramble_of(plugin_data);
  if (plugin == auth_plugin::sha256_password) return sha256_answer(password);
  auto answer = plugin == auth_plugin::caching_sha2_password ? auth::caching_sha2_scramble(password, scramble_)
                                                             : auth::mysql_native_password_scramble(password, scramble_);
  if (!answer) fail("no hash function for " + std::string(plugin));
  return answer;
}

std::optional<std::string> ServerLogin::ed25519_answer(std::string_view password, std::string_view nonce) {
  if (nonce.size() != auth::client_ed25519_nonce_length) {
    fail("client_ed25519 wants a 32-byte nonce, the server sent " + std::to_string(nonce.size()) + " bytes");
    return std::nullopt;
  }
  auto signature = auth::client_ed25519_signature(password, nonce);
  if (!signature) fail("libsodium cannot be initialised for client_ed25519");
  return signature;
}

// sha256_password has no hashed answer: the password in clear over TLS (and an empty one as
// it is: a lone NUL), else a request for the server's RSA key, to encrypt it with.
std::optional<std::string> ServerLogin::sha256_answer(std::string_view password) {
  if (tls_ || password.empty()) return auth::caching_sha2_cleartext_response(password);
  awaiting_public_key_ = true;
  return std::string(1, sha256_request_public_key);
}

void ServerLogin::send_response(std::string_view plugin, std::string auth_response) {
  HandshakeResponse41 response;
  response.capabilities = capabilities_;
  response.max_packet_size = static_cast<std::uint32_t>(kDefaultMaxPacketSize);
  response.character_set = identity_.character_set;
  response.user = identity_.user;
  response.auth_response = std::move(auth_response);
  if (capabilities_ & CLIENT_CONNECT_WITH_DB) response.database = identity_.database;
  if (capabilities_ & CLIENT_PLUGIN_AUTH) response.auth_plugin_name = std::string(plugin);
  if (capabilities_ & CLIENT_CONNECT_ATTRS) response.connect_attributes = identity_.connect_attributes;
  if (!write_handshake_response41(output_, sequence_, response)) {
    fail("the auth response cannot be sent under the server's capabilities");
    return;
  }
  plugin_ = plugin;
}

// After the response: OK, ERR, or another round (AuthSwitchRequest, AuthMoreData).
ServerLoginEvent ServerLogin::on_auth_result(std::span<const std::uint8_t> payload) {
  if (payload.empty()) return fail("empty packet during authentication");
  switch (payload[0]) {
    case packet_header::OK_Packet: return on_ok(payload);
    case packet_header::ERR_Packet: return on_err(payload);
    default: break;
  }
  if (++auth_rounds_ > limits_.max_auth_rounds) return fail("too many authentication rounds");
  switch (payload[0]) {
    case packet_header::AuthSwitchRequest: return on_auth_switch(payload);
    case packet_header::AuthMoreData: return on_auth_more_data(payload);
    default: return fail("unexpected packet during authentication (first byte " + std::to_string(payload[0]) + ")");
  }
}

ServerLoginEvent ServerLogin::on_auth_switch(std::span<const std::uint8_t> payload) {
  auto request = read_auth_switch_request(payload);
  if (!request) return fail(request.failure().message);
  auto answer = answer_for(request->plugin_name, request->plugin_data);
  if (!answer) return ServerLoginEvent::failed;
  write_packet(output_, sequence_, *answer);
  plugin_ = request->plugin_name;
  expect_packet(Phase::auth_result);
  return next();
}

// caching_sha2_password: fast_auth_success (the OK follows), or perform_full_authentication;
// the server's RSA public key when Sluice asked for it (caching_sha2_password, sha256_password).
ServerLoginEvent ServerLogin::on_auth_more_data(std::span<const std::uint8_t> payload) {
  auto data = read_auth_more_data(payload);
  if (!data) return fail(data.failure().message);
  if (awaiting_public_key_) return send_encrypted_password(*data);
  const bool sha2 = plugin_ == auth_plugin::caching_sha2_password && data->size() == 1;
  if (sha2 && static_cast<std::uint8_t>((*data)[0]) == caching_sha2::fast_auth_success) {
    expect_packet(Phase::auth_result);
    return next();
  }
  if (sha2 && static_cast<std::uint8_t>((*data)[0]) == caching_sha2::perform_full_authentication) {
    return full_authentication();
  }
  return fail("unexpected AuthMoreData for " + plugin_);
}

// The server has no cached entry for this user. Over TLS the password goes as it is,
// NUL-terminated, as MySQL's own clients send it on a secure channel; in plain text Sluice asks
// for the server's RSA public key and sends the password encrypted with it.
ServerLoginEvent ServerLogin::full_authentication() {
  if (tls_) {
    write_packet(output_, sequence_, auth::caching_sha2_cleartext_response(*identity_.password));
  } else {
    write_packet(output_, sequence_, std::string(1, static_cast<char>(caching_sha2::request_public_key)));
    awaiting_public_key_ = true;
  }
  expect_packet(Phase::auth_result);
  return next();
}

// The server's PEM public key: (password + NUL) XOR scramble, RSA-OAEP encrypted (rsa_password.hpp).
ServerLoginEvent ServerLogin::send_encrypted_password(std::string_view public_key_pem) {
  awaiting_public_key_ = false;
  auto encrypted = auth::rsa_encrypted_password(public_key_pem, *identity_.password, scramble_);
  if (!encrypted) {
    return fail(plugin_ + ": cannot encrypt the password with the server's RSA public key (not a PEM RSA key, "
                "or the password is too long for it)");
  }
  write_packet(output_, sequence_, *encrypted);
  expect_packet(Phase::auth_result);
  return next();
}

ServerLoginEvent ServerLogin::on_ok(std::span<const std::uint8_t> payload) {
  auto ok = read_ok_packet(payload, capabilities_);
  if (!ok) return fail(ok.failure().message);
  status_flags_ = ok->status_flags;
  phase_ = Phase::ready;
  reader_.reset();
  return ServerLoginEvent::ready;
}

// The server's verdict is the operator's to fix: its words, with its code.
ServerLoginEvent ServerLogin::on_err(std::span<const std::uint8_t> payload) {
  auto error = read_err_packet(payload);
  if (!error) return fail("malformed ERR packet");
  std::string why = "ERROR " + std::to_string(error->error_code);
  if (!error->sql_state.empty()) why += " (" + error->sql_state + ")";
  return fail(why + ": " + error->error_message);
}

ServerLoginEvent ServerLogin::fail(std::string why) {
  failure_ = server_login_failure(why);
  phase_ = Phase::failed;
  reader_.reset();
  return ServerLoginEvent::failed;
}

}  // namespace sluice::mysql
