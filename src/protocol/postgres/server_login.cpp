#include "sluice/protocol/postgres/server_login.hpp"

#include <algorithm>

#include "sluice/auth/channel_binding.hpp"
#include "sluice/auth/md5.hpp"
#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/header.hpp"
#include "sluice/protocol/postgres/readers.hpp"
#include "sluice/protocol/postgres/writers.hpp"

namespace sluice::pg {

namespace {
constexpr std::string_view kScramMechanism = "SCRAM-SHA-256";

std::string_view as_text(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
}  // namespace

Failure server_login_failure(std::string_view why) {
  return Failure{"server_login_failed", "08001", "server login failed: " + std::string(why)};
}

ServerLogin::ServerLogin(ServerLoginIdentity identity, ServerLoginLimits limits)
    : identity_(std::move(identity)), limits_(limits) {
  const std::pair<std::string, std::string> startup[] = {{"user", identity_.user},
                                                         {"database", identity_.database}};
  write_startup_message(output_, startup);
  expect(Phase::header, kHeaderLength);
}

void ServerLogin::expect(Phase phase, std::size_t bytes) {
  phase_ = phase;
  buffer_.resize(bytes);
  filled_ = 0;
}

std::span<std::uint8_t> ServerLogin::input() {
  if (phase_ != Phase::header && phase_ != Phase::body) return {};
  return std::span<std::uint8_t>(buffer_).subspan(filled_);
}

void ServerLogin::received(std::size_t count) { filled_ += std::min(count, buffer_.size() - filled_); }

ServerLoginEvent ServerLogin::next() {
  for (;;) {
    if (phase_ == Phase::ready) return ServerLoginEvent::ready;
    if (phase_ == Phase::failed) return ServerLoginEvent::failed;
    if (filled_ < buffer_.size()) return ServerLoginEvent::need_input;
    if (phase_ == Phase::header) {
      const auto header = *parse_header(std::span<const std::uint8_t>(buffer_).first<kHeaderLength>());
      if (validate_length(header.length, limits_.max_message + kMinMessageLength) != ScanError::none) {
        return fail(server_login_failure("invalid message length " + std::to_string(header.length)));
      }
      type_ = header.type;
      expect(Phase::body, header.length - kMinMessageLength);
      continue;
    }
    const auto event = on_message(type_, buffer_);
    if (phase_ == Phase::body) expect(Phase::header, kHeaderLength);
    if (event != ServerLoginEvent::need_input) return event;
  }
}

ServerLoginEvent ServerLogin::on_message(char type, std::span<const std::uint8_t> body) {
  switch (type) {
    case backend::Authentication:
      if (auto answered = on_authentication(body); !answered) return fail(answered.failure());
      return ServerLoginEvent::need_input;
    case backend::ParameterStatus:
      on_parameter_status(body);
      return ServerLoginEvent::need_input;
    case backend::BackendKeyData:
      if (auto key = read_backend_key_data(body)) {
        process_id_ = key->process_id;
        secret_key_ = key->secret_key;
      }
      return ServerLoginEvent::need_input;
    case backend::ErrorResponse: {
      // The server's verdict (wrong password, no such database...) is the operator's to fix,
      // not the client's: 08001 with the server's words.
      const auto fields = read_error_fields(body);
      return fail(server_login_failure(fields ? fields->message + " (SQLSTATE " + fields->sqlstate + ")"
                                              : std::string("malformed ErrorResponse")));
    }
    case backend::ReadyForQuery:
      phase_ = Phase::ready;
      buffer_ = {};
      return ServerLoginEvent::ready;
    default:
      return ServerLoginEvent::need_input;  // NoticeResponse, NegotiateProtocolVersion: nothing to act on
  }
}

Status ServerLogin::on_authentication(std::span<const std::uint8_t> body) {
  const auto request = read_authentication(body);
  if (!request) return server_login_failure("malformed Authentication message");
  switch (request->code) {
    case auth_code::Ok: return ok_status();
    case auth_code::CleartextPassword: return on_cleartext_request();
    case auth_code::MD5Password: return on_md5_request(request->data);
    case auth_code::SASL: return on_sasl_request(request->data);
    case auth_code::SASLContinue: return on_sasl_continue(as_text(request->data));
    case auth_code::SASLFinal: return on_sasl_final(as_text(request->data));
    default: return server_login_failure("unsupported authentication method " + std::to_string(request->code));
  }
}

bool ServerLogin::password_is_md5_hash() const { return identity_.password && auth::is_md5_hash(*identity_.password); }

Status ServerLogin::on_cleartext_request() {
  if (!identity_.password || password_is_md5_hash()) {
    return server_login_failure("server asks for a cleartext password; none configured");
  }
  write_password_message(output_, *identity_.password);
  return ok_status();
}

Status ServerLogin::on_md5_request(std::span<const std::uint8_t> salt) {
  if (!identity_.password) return server_login_failure("server asks for a password; none configured");
  if (salt.size() != 4) return server_login_failure("malformed md5 salt");
  const auto stored =
      password_is_md5_hash() ? *identity_.password : auth::pg_md5_password(*identity_.password, identity_.user);
  write_password_message(output_, auth::pg_md5_salted_response(stored, salt.first<4>()));
  return ok_status();
}

bool ServerLogin::has_plain_password() const { return identity_.password && !password_is_md5_hash(); }

Status ServerLogin::on_sasl_request(std::span<const std::uint8_t> mechanisms) {
  if (!has_plain_password() && !identity_.pass_through) {
    return server_login_failure("server asks for SCRAM; no plain password configured");
  }
  const auto offered = read_sasl_mechanisms(mechanisms);
  const auto offers = [&](std::string_view name) { return std::find(offered.begin(), offered.end(), name) != offered.end(); };
  const bool plus = offers(auth::scram_plus_mechanism);
  if (!offers(kScramMechanism) && !(plus && identity_.channel_binding)) {
    return server_login_failure("server offers no SCRAM-SHA-256");
  }
  if (has_plain_password()) {
    scram_.emplace(*identity_.password, identity_.scram_nonce);
  } else {
    scram_.emplace(auth::ScramClientExchange::from_secret(identity_.pass_through->secret,
                                                          identity_.pass_through->client_key, identity_.scram_nonce));
  }
  scram_->limit_iterations(limits_.max_scram_iterations);
  // Binding when offered; otherwise the "y" flag tells a server that stripped PLUS that we could have.
  if (identity_.channel_binding) scram_->set_channel_binding(*identity_.channel_binding, plus);
  write_sasl_initial_response(output_, scram_->mechanism(), scram_->client_first_message());
  return ok_status();
}

Status ServerLogin::on_sasl_continue(std::string_view data) {
  if (!scram_) return server_login_failure("unexpected SASLContinue");
  const auto final_message = scram_->handle_server_first(data);
  if (!final_message) return server_login_failure(scram_->error());
  write_sasl_response(output_, *final_message);
  return ok_status();
}

Status ServerLogin::on_sasl_final(std::string_view data) {
  if (!scram_ || !scram_->verify_server_final(data)) {
    return server_login_failure("server's SCRAM signature does not verify");
  }
  return ok_status();
}

void ServerLogin::on_parameter_status(std::span<const std::uint8_t> body) {
  const auto parameter = read_parameter_status(body);
  if (!parameter) return;
  for (auto& [name, value] : parameters_) {
    if (name == parameter->name) {
      value = parameter->value;
      return;
    }
  }
  parameters_.emplace_back(parameter->name, parameter->value);
}

ServerLoginEvent ServerLogin::fail(Failure failure) {
  failure_ = std::move(failure);
  phase_ = Phase::failed;
  buffer_ = {};
  return ServerLoginEvent::failed;
}

}  // namespace sluice::pg
