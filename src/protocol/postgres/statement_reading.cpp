#include "statement_reading.hpp"

#include <algorithm>

#include "sluice/protocol/postgres/sql_quote.hpp"

namespace sluice::pg::statement_reading {

const SessionFunction* find_session_function(std::string_view name) {
  for (const auto& function : kSessionFunctions) {
    if (function.name == name) return &function;
  }
  return nullptr;
}

bool is_transaction_setting(std::string_view name) {
  return std::find(std::begin(kTransactionSettings), std::end(kTransactionSettings), name) !=
         std::end(kTransactionSettings);
}

bool is_string_kind(TokenKind kind) {
  return kind == TokenKind::string || kind == TokenKind::escape_string || kind == TokenKind::unicode_string ||
         kind == TokenKind::bit_string || kind == TokenKind::dollar_string;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool contains_ignoring_case(std::string_view text, std::string_view lower_needle) {
  return ascii_lower(text).find(lower_needle) != std::string::npos;
}

std::optional<std::string> unquote_identifier(std::string_view text, ClientEncoding encoding) {
  if (text.size() < 3 || text.front() != '"' || text.back() != '"') return std::nullopt;
  std::string name;
  const std::string_view inner = text.substr(1, text.size() - 2);
  for (std::size_t i = 0; i < inner.size();) {
    const std::size_t length = std::min(character_length(inner, i, encoding), inner.size() - i);
    name.append(inner.substr(i, length));
    i += length == 1 && inner[i] == '"' ? 2 : length;  // the second quote of ""
  }
  return name;
}

std::optional<std::string> string_contents(std::string_view quoted, ClientEncoding encoding, bool escapes) {
  if (quoted.size() < 2 || quoted.front() != '\'' || quoted.back() != '\'') return std::nullopt;
  std::string contents;
  const std::string_view inner = quoted.substr(1, quoted.size() - 2);
  for (std::size_t i = 0; i < inner.size();) {
    const std::size_t length = character_length(inner, i, encoding);
    if (length > inner.size() - i) return std::nullopt;
    const char c = inner[i];
    if (length == 1 && (c == '\'' || (escapes && c == '\\'))) {
      if (i + 1 >= inner.size()) return std::nullopt;
      const char next = inner[i + 1];
      if (next != '\'' && !(c == '\\' && next == '\\')) return std::nullopt;
      contents.push_back(next);
      i += 2;
      continue;
    }
    contents.append(inner.substr(i, length));
    i += length;
  }
  return contents;
}

std::optional<std::string> dollar_string_contents(std::string_view text) {
  const std::size_t open_end = text.find('$', 1);
  if (open_end == std::string_view::npos) return std::nullopt;
  const std::size_t delimiter = open_end + 1;
  if (text.size() < 2 * delimiter) return std::nullopt;
  return std::string(text.substr(delimiter, text.size() - 2 * delimiter));
}

std::optional<std::string> portable_literal(TokenKind kind, std::string_view text, const LexOptions& options) {
  if (kind != TokenKind::string) return std::string(text);
  if (text.front() == 'n' || text.front() == 'N') return std::nullopt;  // N'...' in a setting: not worth the care
  // Without a backslash byte a string means the same whichever way it is read: keep it as the
  // client wrote it, so a setting Sluice writes itself ('repeatable read') reads back unchanged.
  if (text.find('\\') == std::string_view::npos) return std::string(text);
  if (!options.standard_conforming_strings) return "E" + std::string(text);  // it was read with escapes
  auto doubled = double_backslashes(text, options.encoding);
  if (!doubled) return std::nullopt;
  return "E" + *doubled;
}

SessionStateChange state_change(SessionState state, StateChange change, std::string name) {
  return SessionStateChange{state, change, std::move(name)};
}

SessionStateChange unknown_state(std::string what) {
  return state_change(SessionState::unknown, StateChange::add, std::move(what));
}

}  // namespace sluice::pg::statement_reading
