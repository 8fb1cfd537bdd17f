#pragma once

// Sans-I/O pieces of the SCRAM message grammar (RFC 5802 §7) shared by both exchange sides.
// Everything here reads untrusted bytes: it never reads past the view and never throws.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sluice::auth {

// A SASL message longer than this is refused unread (PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH).
inline constexpr std::size_t max_scram_message_length = 65535;

// One attr-val: ALPHA "=" value.
struct ScramAttribute {
  char name = '\0';
  std::string_view value;
};

// Splits a SCRAM message at ','. No SCRAM value may contain ',' (saslname escapes it as
// "=2C", nonces exclude it, base64 lacks it), so each field is one attribute or gs2 part.
class ScramFieldReader {
 public:
  explicit ScramFieldReader(std::string_view message) : rest_(message) {}

  bool at_end() const { return at_end_; }
  // The next field (possibly empty); an empty view once at_end().
  std::string_view next_field();
  // The next field as an attribute; nullopt at the end or if the field is not ALPHA "=" ...
  std::optional<ScramAttribute> next_attribute();

 private:
  std::string_view rest_;
  bool at_end_ = false;
};

// ALPHA "=" value, with the value free of NUL and ','. The value may be empty here;
// each caller decides whether its attribute allows that.
std::optional<ScramAttribute> parse_scram_attribute(std::string_view field);

// Size within max_scram_message_length and no NUL byte (values are C strings in PostgreSQL).
bool is_acceptable_scram_message(std::string_view message);

// c-nonce / s-nonce: one or more printable ASCII characters except ','.
bool is_valid_scram_nonce(std::string_view nonce);

// saslname: '=' only as "=2C" or "=3D". Empty is allowed because libpq sends "n=".
bool is_valid_saslname(std::string_view name);
std::string escape_saslname(std::string_view name);

// posit-number (no sign, no leading zero) within [1, max_scram_iterations]; overflow-safe.
std::optional<int> parse_scram_iterations(std::string_view text);

}  // namespace sluice::auth
