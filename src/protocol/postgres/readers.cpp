#include "sluice/protocol/postgres/readers.hpp"

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/wire_reader.hpp"

namespace sluice::pg {

namespace {

// A body that is exactly one C string (NUL as its last byte).
std::optional<std::string_view> read_sole_cstring(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  auto text = reader.read_cstring();
  if (!text || !reader.at_end()) return std::nullopt;
  return text;
}

// The data length an authentication code requires, or nullopt if any length goes.
std::optional<std::size_t> required_auth_data_length(std::uint32_t code) {
  switch (code) {
    case auth_code::Ok:
    case auth_code::CleartextPassword: return 0;
    case auth_code::MD5Password: return 4;
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<AuthenticationRequest> read_authentication(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  auto code = reader.read_u32();
  if (!code) return std::nullopt;
  auto data = reader.rest();
  auto required = required_auth_data_length(*code);
  if (required && data.size() != *required) return std::nullopt;
  return AuthenticationRequest{*code, data};
}

std::vector<std::string> read_sasl_mechanisms(std::span<const std::uint8_t> data) {
  WireReader reader(data);
  std::vector<std::string> mechanisms;
  for (;;) {
    auto name = reader.read_cstring();
    if (!name) return {};
    if (name->empty()) break;
    if (mechanisms.size() == kMaxSaslMechanisms) return {};
    mechanisms.emplace_back(*name);
  }
  if (!reader.at_end()) return {};
  return mechanisms;
}

std::optional<ParameterStatus> read_parameter_status(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  auto name = reader.read_cstring();
  auto value = name ? reader.read_cstring() : std::nullopt;
  if (!value || !reader.at_end()) return std::nullopt;
  return ParameterStatus{*name, *value};
}

std::optional<BackendKeyData> read_backend_key_data(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  auto process_id = reader.read_u32();
  auto secret_key = reader.read_u32();
  if (!secret_key || !reader.at_end()) return std::nullopt;
  return BackendKeyData{*process_id, *secret_key};
}

std::optional<char> read_ready_for_query(std::span<const std::uint8_t> body) {
  if (body.size() != 1) return std::nullopt;
  const char status = static_cast<char>(body[0]);
  if (status != transaction_status::Idle && status != transaction_status::InTransaction &&
      status != transaction_status::Failed) {
    return std::nullopt;
  }
  return status;
}

std::optional<ErrorFields> read_error_fields(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  ErrorFields fields;
  std::string_view severity, severity_non_localized;
  for (;;) {
    auto code = reader.read_u8();
    if (!code) return std::nullopt;  // no terminator
    if (*code == 0) break;
    auto text = reader.read_cstring();
    if (!text) return std::nullopt;
    switch (static_cast<char>(*code)) {
      case error_field::Severity: severity = *text; break;
      case error_field::SeverityNonLocalized: severity_non_localized = *text; break;
      case error_field::Code: fields.sqlstate = *text; break;
      case error_field::Message: fields.message = *text; break;
      case error_field::Detail: fields.detail = *text; break;
      default: break;
    }
  }
  if (!reader.at_end()) return std::nullopt;
  fields.severity = severity_non_localized.empty() ? severity : severity_non_localized;
  return fields;
}

std::optional<std::string_view> read_password_message(std::span<const std::uint8_t> body) {
  return read_sole_cstring(body);
}

std::optional<SaslInitialResponse> read_sasl_initial_response(std::span<const std::uint8_t> body) {
  WireReader reader(body);
  auto mechanism = reader.read_cstring();
  auto length = mechanism ? reader.read_i32() : std::nullopt;
  if (!length) return std::nullopt;
  if (*length == -1) {
    if (!reader.at_end()) return std::nullopt;
    return SaslInitialResponse{*mechanism, {}};
  }
  // The data length must be exactly what the body holds: never trust it further.
  if (*length < 0 || static_cast<std::size_t>(*length) != reader.remaining()) return std::nullopt;
  return SaslInitialResponse{*mechanism, as_string_view(reader.rest())};
}

std::optional<std::string_view> read_query(std::span<const std::uint8_t> body) {
  return read_sole_cstring(body);
}

}  // namespace sluice::pg
