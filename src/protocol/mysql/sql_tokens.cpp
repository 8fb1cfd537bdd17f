// The MySQL SQL tokeniser (sql_tokens.hpp).
#include "sluice/protocol/mysql/sql_tokens.hpp"

#include <cctype>

namespace sluice::mysql {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_word_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return std::isalnum(byte) || c == '_' || c == '$' || byte >= 0x80;
}

// Past a quoted run starting at `at` (the quote), backslash escapes and doubled quotes included.
std::size_t quoted_end(std::string_view sql, std::size_t at, const LexRules& rules) {
  const char quote = sql[at];
  const bool escapes = rules.backslash_escapes && quote != '`' && !(quote == '"' && rules.ansi_quotes);
  std::size_t i = at + 1;
  while (i < sql.size()) {
    // A lead byte and its trail byte (every trail byte of these character sets is 0x40 or more,
    // so a quote after a lead byte stays a quote, as the server reads an invalid pair).
    if (rules.two_byte_characters && static_cast<unsigned char>(sql[i]) >= 0x81 && i + 1 < sql.size() &&
        static_cast<unsigned char>(sql[i + 1]) >= 0x40) {
      i += 2;
      continue;
    }
    if (escapes && sql[i] == '\\') {
      i += 2;
      continue;
    }
    if (sql[i] == quote) {
      if (i + 1 < sql.size() && sql[i + 1] == quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    ++i;
  }
  return sql.size();
}

std::size_t word_end(std::string_view sql, std::size_t at) {
  while (at < sql.size() && is_word_char(sql[at])) ++at;
  return at;
}

// Past a comment at `at`, or `at` if none starts there. An executable comment's opening marker
// (with its version digits) counts as a comment; its contents do not.
std::size_t comment_end(std::string_view sql, std::size_t at, bool& in_executable) {
  const auto rest = sql.substr(at);
  if (rest.starts_with("#") || (rest.starts_with("--") && (rest.size() == 2 || is_space(rest[2])))) {
    const auto newline = sql.find('\n', at);
    return newline == std::string_view::npos ? sql.size() : newline + 1;
  }
  if (rest.starts_with("/*!") || rest.starts_with("/*M!")) {
    in_executable = true;
    std::size_t i = at + (rest[2] == '!' ? 3 : 4);
    while (i < sql.size() && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
    return i;
  }
  if (rest.starts_with("/*")) {
    const auto close = sql.find("*/", at + 2);
    return close == std::string_view::npos ? sql.size() : close + 2;
  }
  if (in_executable && rest.starts_with("*/")) {
    in_executable = false;
    return at + 2;
  }
  return at;
}

}  // namespace

bool SqlToken::is(std::string_view upper) const {
  if (kind != TokenKind::word || text.size() != upper.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != upper[i]) return false;
  }
  return true;
}

std::vector<SqlToken> tokenize_sql(std::string_view sql, const LexRules& rules) {
  std::vector<SqlToken> tokens;
  bool in_executable = false;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (is_space(sql[i])) {
      ++i;
      continue;
    }
    if (const auto skipped = comment_end(sql, i, in_executable); skipped != i) {
      i = skipped;
      continue;
    }
    const char c = sql[i];
    std::size_t end = i + 1;
    TokenKind kind = TokenKind::punctuation;
    if (c == '\'' || c == '"' || c == '`') {
      kind = TokenKind::quoted;
      end = quoted_end(sql, i, rules);
    } else if (c == '@' && i + 1 < sql.size() && sql[i + 1] == '@') {
      kind = TokenKind::system_variable;
      end = i + 2;
      // @@session.name: word characters and dots (`@@x` quoting is not allowed here).
      while (end < sql.size() && (is_word_char(sql[end]) || sql[end] == '.')) ++end;
    } else if (c == '@') {
      kind = TokenKind::user_variable;
      const bool quoted = i + 1 < sql.size() && (sql[i + 1] == '\'' || sql[i + 1] == '"' || sql[i + 1] == '`');
      end = quoted ? quoted_end(sql, i + 1, rules) : word_end(sql, i + 1);
    } else if (is_word_char(c)) {
      kind = TokenKind::word;
      end = word_end(sql, i);
    } else if (c == ':' && i + 1 < sql.size() && sql[i + 1] == '=') {
      end = i + 2;
    }
    tokens.push_back(SqlToken{kind, sql.substr(i, end - i)});
    i = end;
  }
  return tokens;
}

}  // namespace sluice::mysql
