#include "sluice/protocol/mysql/use_statement.hpp"

#include <cctype>

namespace sluice::mysql {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// A bare identifier: letters, digits, '_' and '$' (and bytes of multi-byte characters).
bool is_bare_identifier(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (!(std::isalnum(byte) || c == '_' || c == '$' || byte >= 0x80)) return false;
  }
  return true;
}
}  // namespace

std::optional<std::string> parse_use_statement(std::string_view sql) {
  sql = trim(sql);
  if (!sql.empty() && sql.back() == ';') sql = trim(sql.substr(0, sql.size() - 1));
  if (sql.size() < 5) return std::nullopt;
  for (std::size_t i = 0; i < 3; ++i) {
    if (std::tolower(static_cast<unsigned char>(sql[i])) != "use"[i]) return std::nullopt;
  }
  if (!is_space(sql[3])) return std::nullopt;
  const std::string_view name = trim(sql.substr(4));
  if (name.size() >= 2 && name.front() == '`' && name.back() == '`') {
    const std::string_view quoted = name.substr(1, name.size() - 2);
    if (quoted.empty() || quoted.find('`') != std::string_view::npos) return std::nullopt;
    return std::string(quoted);
  }
  if (!is_bare_identifier(name)) return std::nullopt;
  return std::string(name);
}

}  // namespace sluice::mysql
