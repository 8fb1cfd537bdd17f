// The MySQL SQL tokeniser (sql_tokens.hpp).
#include "sluice/protocol/mysql/sql_tokens.hpp"

#include <array>

namespace sluice::mysql {

namespace {

// What a byte can start or continue, from one table: this runs for every byte of every query,
// and isalnum/isspace go through the C library's locale tables on each call.
enum CharClass : unsigned char { kOther = 0, kSpace = 1, kWord = 2, kDigit = 4, kCommentStart = 8 };

constexpr std::array<unsigned char, 256> kClasses = [] {
  std::array<unsigned char, 256> classes{};
  for (const char c : {' ', '\t', '\n', '\r', '\f', '\v'}) classes[static_cast<unsigned char>(c)] = kSpace;
  for (int c = 'a'; c <= 'z'; ++c) classes[c] = kWord;
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] = kWord;
  for (int c = '0'; c <= '9'; ++c) classes[c] = kWord | kDigit;
  classes['_'] = classes['$'] = kWord;
  for (int c = 0x80; c <= 0xff; ++c) classes[c] = kWord;
  // '#', '--', '/*', and '*/' closing an executable comment.
  for (const char c : {'#', '-', '/', '*'}) classes[static_cast<unsigned char>(c)] = kCommentStart;
  return classes;
}();

bool has_class(char c, CharClass which) { return (kClasses[static_cast<unsigned char>(c)] & which) != 0; }
bool is_space(char c) { return has_class(c, kSpace); }
bool is_word_char(char c) { return has_class(c, kWord); }

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
    while (i < sql.size() && has_class(sql[i], kDigit)) ++i;
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

bool spells(std::string_view sql, std::string_view upper) {
  if (upper.empty()) return true;
  // Key words here are letters, and for a letter c | 0x20 is its lower case; for any other byte it
  // equals a lower-case letter only if the byte is that letter's upper case: the test is exact.
  const auto lower = [](char c) { return static_cast<char>(c | 0x20); };
  const auto matches_at = [&](std::size_t at) {
    if (at + upper.size() > sql.size()) return false;
    for (std::size_t i = 1; i < upper.size(); ++i) {
      if (lower(sql[at + i]) != lower(upper[i])) return false;
    }
    return true;
  };
  // The candidates are found by string_view::find (memchr, vectorised): most texts hold few.
  const char first_upper = upper[0];
  const char first_lower = lower(first_upper);
  std::size_t next_upper = sql.find(first_upper);
  std::size_t next_lower = sql.find(first_lower);
  while (next_upper != std::string_view::npos || next_lower != std::string_view::npos) {
    if (next_upper < next_lower) {
      if (matches_at(next_upper)) return true;
      next_upper = sql.find(first_upper, next_upper + 1);
    } else {
      if (matches_at(next_lower)) return true;
      next_lower = sql.find(first_lower, next_lower + 1);
    }
  }
  return false;
}

SqlTokens tokenize_sql(std::string_view sql, const LexRules& rules) {
  SqlTokens tokens;
  bool in_executable = false;
  std::size_t i = 0;
  while (i < sql.size()) {
    if (is_space(sql[i])) {
      ++i;
      continue;
    }
    if (has_class(sql[i], kCommentStart)) {
      if (const auto skipped = comment_end(sql, i, in_executable); skipped != i) {
        i = skipped;
        continue;
      }
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
