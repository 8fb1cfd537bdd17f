// Readers: each decodes one complete message body (the bytes after the 5-byte
// header) of a message Sluice acts on. They never throw and never read out of
// bounds; a body that does not match its message's layout exactly (including
// trailing bytes) gives nullopt. Views point into `body`.
//
// Pass the whole body: a MessageView body with body_truncated set is only a
// prefix, and readers of variable-length messages will (rightly) reject it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::pg {

// Authentication ('R'). code: auth_code::Ok (0), CleartextPassword (3),
// MD5Password (5, data = 4-byte salt), SASL (10, data = mechanism list),
// SASLContinue (11), SASLFinal (12), or another code the caller must refuse.
// Ok and CleartextPassword must have no data, MD5Password exactly 4 bytes.
struct AuthenticationRequest {
  std::uint32_t code;
  std::span<const std::uint8_t> data;
};
std::optional<AuthenticationRequest> read_authentication(std::span<const std::uint8_t> body);

// The mechanism names of AuthenticationSASL's data, in order; empty if the list
// is malformed, unterminated or longer than kMaxSaslMechanisms.
std::vector<std::string> read_sasl_mechanisms(std::span<const std::uint8_t> data);

// ParameterStatus ('S' from a server).
struct ParameterStatus {
  std::string_view name, value;
};
std::optional<ParameterStatus> read_parameter_status(std::span<const std::uint8_t> body);

// BackendKeyData ('K'), protocol 3.0: exactly two int32.
struct BackendKeyData {
  std::uint32_t process_id, secret_key;
};
std::optional<BackendKeyData> read_backend_key_data(std::span<const std::uint8_t> body);

// ReadyForQuery ('Z'): the transaction status, 'I', 'T' or 'E' only.
std::optional<char> read_ready_for_query(std::span<const std::uint8_t> body);

// ErrorResponse / NoticeResponse: the fields Sluice uses. severity prefers the
// non-localized V field over S; unknown fields are skipped.
struct ErrorFields {
  std::string severity, sqlstate, message, detail;
};
std::optional<ErrorFields> read_error_fields(std::span<const std::uint8_t> body);

// PasswordMessage ('p') carrying a cleartext password or an md5 response: one C string.
std::optional<std::string_view> read_password_message(std::span<const std::uint8_t> body);

// SASLInitialResponse ('p'): mechanism C string, int32 length (-1 => empty), data.
struct SaslInitialResponse {
  std::string_view mechanism;
  std::string_view data;
};
std::optional<SaslInitialResponse> read_sasl_initial_response(std::span<const std::uint8_t> body);

// SASLResponse ('p'): the body itself is the data.
inline std::string_view read_sasl_response(std::span<const std::uint8_t> body) {
  return {reinterpret_cast<const char*>(body.data()), body.size()};
}

// Query ('Q'): the SQL text.
std::optional<std::string_view> read_query(std::span<const std::uint8_t> body);

}  // namespace sluice::pg
