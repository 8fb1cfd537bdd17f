#include "sluice/protocol/postgres/client_login.hpp"

#include "sluice/auth/channel_binding.hpp"
#include "sluice/protocol/postgres/byte_order.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/failures.hpp"
#include "sluice/protocol/postgres/header.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"

namespace sluice::pg {

namespace {
constexpr std::size_t kLengthField = 4;
constexpr std::string_view kScramMechanism = "SCRAM-SHA-256";

}  // namespace

ClientLogin::ClientLogin(ClientLoginLimits limits) : limits_(limits) { expect(Phase::startup_length, kLengthField); }

void ClientLogin::expect(Phase phase, std::size_t bytes) {
  phase_ = phase;
  buffer_.resize(bytes);
  filled_ = 0;
}

std::span<std::uint8_t> ClientLogin::input() {
  const bool reading = phase_ == Phase::startup_length || phase_ == Phase::startup_body ||
                       phase_ == Phase::message_header || phase_ == Phase::message_body;
  if (!reading) return {};
  return std::span<std::uint8_t>(buffer_).subspan(filled_);
}

void ClientLogin::received(std::size_t count) { filled_ += std::min(count, buffer_.size() - filled_); }

ClientLoginEvent ClientLogin::next() {
  for (;;) {
    switch (phase_) {
      case Phase::encryption_answer: return ClientLoginEvent::encryption_request;
      case Phase::chosen_startup: return ClientLoginEvent::startup;
      case Phase::authenticated: return ClientLoginEvent::authenticated;
      case Phase::failed: return ClientLoginEvent::failed;
      default: break;
    }
    if (filled_ < buffer_.size()) return ClientLoginEvent::need_input;
    switch (phase_) {
      case Phase::startup_length: {
        // Untyped: int32 length (counting itself), checked before the body is read.
        const std::uint32_t length = load_be32(buffer_.data());
        if (length < kMinStartupPacketLength || length > kMaxStartupPacketLength) {
          return fail(protocol_violation("invalid startup packet length " + std::to_string(length)));
        }
        phase_ = Phase::startup_body;
        buffer_.resize(length);
        break;
      }
      case Phase::startup_body: return on_startup_packet();
      case Phase::message_header: {
        const auto header = *parse_header(std::span<const std::uint8_t>(buffer_).first<kHeaderLength>());
        if (validate_length(header.length, limits_.max_password_message + kMinMessageLength) != ScanError::none) {
          return fail(protocol_violation("invalid message length " + std::to_string(header.length)));
        }
        if (header.type != frontend::PasswordMessage) return fail(protocol_violation("expected a password message"));
        expect(Phase::message_body, header.length - kMinMessageLength);
        break;
      }
      case Phase::message_body: return on_password_message();
      default: return fail(protocol_violation("login state"));  // unreachable: every phase is handled
    }
  }
}

ClientLoginEvent ClientLogin::on_startup_packet() {
  auto parsed = parse_startup(buffer_);
  if (parsed.status != ParseStatus::complete) return fail(protocol_violation(parsed.error));
  startup_ = std::move(parsed.packet);
  switch (startup_.kind) {
    case StartupKind::startup:
      phase_ = Phase::chosen_startup;
      buffer_ = {};
      negotiate_protocol_version();
      return ClientLoginEvent::startup;
    case StartupKind::cancel_request:
      phase_ = Phase::failed;  // nothing follows a CancelRequest on this connection
      failure_ = Failure{"client_close", "08006", "cancel request served"};
      return ClientLoginEvent::cancel_request;
    case StartupKind::ssl_request:
    case StartupKind::gssenc_request:
      if (encryption_requests_++ >= limits_.max_encryption_requests) {
        return fail(protocol_violation("too many encryption requests"));
      }
      phase_ = Phase::encryption_answer;
      return ClientLoginEvent::encryption_request;
  }
  return fail(protocol_violation("unknown startup packet"));
}

// As PostgreSQL 15 answers a client asking for a newer minor version (3.2) or for "_pq_."
// protocol options: 3.0 is what this server speaks, and those options are not recognised. The
// client then goes on in 3.0, before anything else is said.
void ClientLogin::negotiate_protocol_version() {
  std::vector<std::string_view> unrecognized;
  for (const auto& [name, value] : startup_.parameters) {
    if (std::string_view(name).starts_with("_pq_.")) unrecognized.push_back(name);
  }
  if (protocol_minor(startup_.protocol_version) == 0 && unrecognized.empty()) return;
  write_negotiate_protocol_version(output_, kProtocolVersion3, unrecognized);
}

void ClientLogin::refuse_encryption() {
  if (phase_ != Phase::encryption_answer) return;
  write_ssl_refusal(output_);  // the same 'N' answers GSSENCRequest
  expect(Phase::startup_length, kLengthField);
}

void ClientLogin::accept_encryption() {
  if (phase_ != Phase::encryption_answer) return;
  if (startup_.kind != StartupKind::ssl_request) return refuse_encryption();
  write_ssl_acceptance(output_);
  expect(Phase::startup_length, kLengthField);
}

void ClientLogin::begin_trust() {
  if (phase_ == Phase::chosen_startup) phase_ = Phase::authenticated;
}

void ClientLogin::begin_md5(const auth::Credential* credential, std::span<const std::uint8_t, 4> salt) {
  if (phase_ != Phase::chosen_startup) return;
  credential_ = credential;
  std::copy(salt.begin(), salt.end(), md5_salt_.begin());
  write_authentication_md5_password(output_, md5_salt_);
  method_ = Method::md5;
  expect_password_message();
}

void ClientLogin::begin_scram(const auth::Credential* credential, std::string server_nonce,
                              std::vector<std::uint8_t> tls_server_end_point) {
  if (phase_ != Phase::chosen_startup) return;
  credential_ = credential;
  binding_ = std::move(tls_server_end_point);
  if (credential_) scram_.emplace(credential_->scram, std::move(server_nonce));
  // PLUS first, as PostgreSQL lists it: libpq picks the first it supports.
  const std::string_view with_binding[] = {auth::scram_plus_mechanism, kScramMechanism};
  const std::string_view without_binding[] = {kScramMechanism};
  if (binding_.empty()) {
    write_authentication_sasl(output_, without_binding);
  } else {
    write_authentication_sasl(output_, with_binding);
  }
  method_ = Method::scram_initial;
  expect_password_message();
}

void ClientLogin::expect_password_message() { expect(Phase::message_header, kHeaderLength); }

ClientLoginEvent ClientLogin::on_password_message() {
  const std::span<const std::uint8_t> body(buffer_);
  switch (method_) {
    case Method::md5: return on_md5_response(body);
    case Method::scram_initial: return on_scram_initial(body);
    case Method::scram_final: return on_scram_final(body);
    case Method::none: break;
  }
  return fail(protocol_violation("unexpected password message"));
}

ClientLoginEvent ClientLogin::on_md5_response(std::span<const std::uint8_t> body) {
  const auto response = read_password_message(body);
  if (!response) return fail(protocol_violation("malformed password message"));
  if (!credential_ || !auth::verify_md5_response(*credential_, user(), md5_salt_, *response)) return auth_failed();
  phase_ = Phase::authenticated;
  return ClientLoginEvent::authenticated;
}

ClientLoginEvent ClientLogin::on_scram_initial(std::span<const std::uint8_t> body) {
  const auto initial = read_sasl_initial_response(body);
  const bool plus = initial && !binding_.empty() && initial->mechanism == auth::scram_plus_mechanism;
  if (!initial || (initial->mechanism != kScramMechanism && !plus)) {
    return fail(protocol_violation("expected SCRAM-SHA-256"));
  }
  if (!scram_) return auth_failed();  // no credential: refuse only after the client chose
  // Over TLS the exchange knows our certificate either way, so a "y" flag is caught too.
  if (!binding_.empty()) scram_->set_channel_binding(binding_, plus);
  const auto server_first = scram_->handle_client_first(initial->data);
  if (!server_first) return auth_failed();
  write_authentication_sasl_continue(output_, *server_first);
  method_ = Method::scram_final;
  expect_password_message();
  return next();
}

ClientLoginEvent ClientLogin::on_scram_final(std::span<const std::uint8_t> body) {
  const auto server_final = scram_->handle_client_final(read_sasl_response(body));
  if (!server_final) return auth_failed();
  write_authentication_sasl_final(output_, *server_final);
  phase_ = Phase::authenticated;
  return ClientLoginEvent::authenticated;
}

ClientLoginEvent ClientLogin::fail(Failure failure) {
  failure_ = std::move(failure);
  phase_ = Phase::failed;
  buffer_ = {};
  return ClientLoginEvent::failed;
}

ClientLoginEvent ClientLogin::auth_failed() {
  if (scram_) auth_error_ = scram_->error();
  return fail(Failure{"auth_failed", "28P01", "password authentication failed for user \"" + user() + "\""});
}

std::optional<auth::ScramKey> ClientLogin::scram_client_key() const {
  if (phase_ != Phase::authenticated || !scram_) return std::nullopt;
  return scram_->client_key();
}

const std::string& ClientLogin::user() const {
  static const std::string none;
  const auto* user = startup_.find("user");
  return user ? *user : none;
}

}  // namespace sluice::pg
