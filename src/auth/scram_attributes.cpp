#include "sluice/auth/scram_attributes.hpp"

#include <utility>

#include "sluice/auth/scram_crypto.hpp"

namespace sluice::auth {
namespace {

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string_view ScramFieldReader::next_field() {
  if (at_end_) return {};
  const std::size_t comma = rest_.find(',');
  if (comma == std::string_view::npos) {
    at_end_ = true;
    return std::exchange(rest_, std::string_view{});
  }
  const std::string_view field = rest_.substr(0, comma);
  rest_.remove_prefix(comma + 1);
  return field;
}

std::optional<ScramAttribute> ScramFieldReader::next_attribute() {
  if (at_end_) return std::nullopt;
  return parse_scram_attribute(next_field());
}

std::optional<ScramAttribute> parse_scram_attribute(std::string_view field) {
  if (field.size() < 2 || !is_alpha(field[0]) || field[1] != '=') return std::nullopt;
  const std::string_view value = field.substr(2);
  if (value.find_first_of(std::string_view("\0,", 2)) != std::string_view::npos) {
    return std::nullopt;
  }
  return ScramAttribute{field[0], value};
}

bool is_acceptable_scram_message(std::string_view message) {
  return message.size() <= max_scram_message_length &&
         message.find('\0') == std::string_view::npos;
}

bool is_valid_scram_nonce(std::string_view nonce) {
  if (nonce.empty()) return false;
  for (const char c : nonce) {
    if (c < 0x21 || c > 0x7E || c == ',') return false;
  }
  return true;
}

bool is_valid_saslname(std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (c == '\0' || c == ',') return false;
    if (c != '=') continue;
    const std::string_view escape = name.substr(i + 1, 2);
    if (escape != "2C" && escape != "3D") return false;
    i += 2;
  }
  return true;
}

std::string escape_saslname(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    if (c == ',') {
      out += "=2C";
    } else if (c == '=') {
      out += "=3D";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<int> parse_scram_iterations(std::string_view text) {
  if (text.empty() || text[0] == '0') return std::nullopt;
  long long value = 0;
  for (const char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
    // Stop before the accumulator can overflow on a long digit string.
    if (value > max_scram_iterations) return std::nullopt;
  }
  return static_cast<int>(value);
}

}  // namespace sluice::auth
