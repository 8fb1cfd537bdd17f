#include "sluice/protocol/postgres/sql_quote.hpp"

#include <cstdint>

namespace sluice::pg {

namespace {

// Copies `text` to `out` a character at a time, doubling the ASCII characters in `doubled`.
// False when a character cannot be trusted (see quote_literal).
bool copy_doubling(std::string_view text, ClientEncoding encoding, std::string_view doubled, std::string& out) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<std::uint8_t>(text[i]);
    if (lead == 0) return false;
    if (lead >= 0x80) {
      if (encoding == ClientEncoding::unknown) return false;
      const std::size_t length = character_length(text, i, encoding);
      if (length > text.size() - i) return false;  // cut short: its missing bytes would be ours
      for (std::size_t k = 1; k < length; ++k) {
        if (text[i + k] == '\0') return false;
      }
      out.append(text.substr(i, length));
      i += length;
      continue;
    }
    if (doubled.find(static_cast<char>(lead)) != std::string_view::npos) out.push_back(static_cast<char>(lead));
    out.push_back(static_cast<char>(lead));
    ++i;
  }
  return true;
}

}  // namespace

std::optional<std::string> quote_literal(std::string_view value, ClientEncoding encoding) {
  std::string quoted = "E'";
  quoted.reserve(value.size() + 3);
  if (!copy_doubling(value, encoding, "'\\", quoted)) return std::nullopt;
  quoted.push_back('\'');
  return quoted;
}

std::optional<std::string> quote_identifier(std::string_view name, ClientEncoding encoding) {
  if (name.empty()) return std::nullopt;
  std::string quoted = "\"";
  quoted.reserve(name.size() + 3);
  if (!copy_doubling(name, encoding, "\"", quoted)) return std::nullopt;
  quoted.push_back('"');
  return quoted;
}

std::optional<std::string> double_backslashes(std::string_view text, ClientEncoding encoding) {
  std::string out;
  out.reserve(text.size() + 8);
  if (!copy_doubling(text, encoding, "\\", out)) return std::nullopt;
  return out;
}

}  // namespace sluice::pg
