// The byte-level look both front ends take at a whole statement text before their lexers read
// it (pg::is_plain_statement, mysql::plain_query_effects): is it one statement, led by a word the
// caller names, with no word the caller watches for anywhere — in code, strings or comments
// alike? Bytes, not tokens: how a quote or a comment would be read (sql_mode, standard_conforming_
// strings, a multi-byte character set) changes nothing, so the answer holds under every reading.
//   - one statement: no ';' except at the end, with only whitespace after it;
//   - words: made of the bytes the front end's lexer makes them of (Words below), so a multi-byte
//     character is part of a word, as to both servers. Any byte that ends a word here ends it for
//     the server or is inside a word for it: a word the server reads is a word here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sluice::plain_text {

enum : std::uint8_t { kOther = 0, kStart = 1, kContinue = 2, kSpace = 4 };
using Classes = std::array<std::uint8_t, 256>;

// Which bytes make words: each front end's own lexer's rule, so that the words seen here are the
// words its tokens have (a name watched for is then found exactly where its lexer finds it).
enum class Words : std::uint8_t {
  // PostgreSQL (scan.l): a letter, '_' or a high byte starts a word; digits continue one. '$'
  // continues an identifier there, but it also ends a dollar-quoted string ("$x$...$x$name("),
  // so here it ends a word and the name after it is looked at too.
  postgres,
  // MySQL/MariaDB (mysql::tokenize_sql): letters, digits, '_', '$' and high bytes, anywhere.
  mysql,
};

constexpr Classes make_classes(Words words) {
  Classes classes{};
  for (int c = 'a'; c <= 'z'; ++c) classes[c] = kStart | kContinue;
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] = kStart | kContinue;
  for (int c = 0x80; c <= 0xFF; ++c) classes[c] = kStart | kContinue;
  classes['_'] = kStart | kContinue;
  const std::uint8_t digit = words == Words::mysql ? kStart | kContinue : kContinue;
  for (int c = '0'; c <= '9'; ++c) classes[c] = digit;
  if (words == Words::mysql) classes['$'] = kStart | kContinue;
  for (const char c : {' ', '\t', '\n', '\r', '\f', '\v'}) classes[static_cast<unsigned char>(c)] = kSpace;
  return classes;
}
inline constexpr Classes kPostgresWords = make_classes(Words::postgres);
inline constexpr Classes kMysqlWords = make_classes(Words::mysql);

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::uint8_t class_of(const Classes& classes, char c) { return classes[static_cast<unsigned char>(c)]; }

// `word` (as written) is `lower` (lower case), ASCII case folded; `starts_with_folded` its start.
inline bool starts_with_folded(std::string_view word, std::string_view lower) {
  if (word.size() < lower.size()) return false;
  for (std::size_t k = 0; k < lower.size(); ++k) {
    if (ascii_lower(word[k]) != lower[k]) return false;
  }
  return true;
}
inline bool equals_folded(std::string_view word, std::string_view lower) {
  return word.size() == lower.size() && starts_with_folded(word, lower);
}

// `word` is one of `lower_words`, ASCII case folded.
template <std::size_t N>
bool is_one_of_folded(std::string_view word, const std::string_view (&lower_words)[N]) {
  for (const std::string_view lower : lower_words) {
    if (equals_folded(word, lower)) return true;
  }
  return false;
}

struct PlainStatement {
  bool plain = false;
  // A quote (' " `) or a comment start (# -- /*) somewhere: a word may then be inside a string
  // or a comment, and a caller that needs to know that a word is code cannot tell from bytes.
  bool quotes_or_comments = false;
};

// Words as `classes` makes them. `head(word)` and `watched(word)` get a word as written (fold it
// with equals_folded, which compares sizes first: most words are no watched name). Plain when the
// text is one statement whose first word `head` accepts and no later word is `watched`.
template <class Head, class Watched>
PlainStatement one_plain_statement(const Classes& classes, std::string_view text, Head&& head, Watched&& watched) {
  PlainStatement result;
  const char* p = text.data();
  const char* const end = p + text.size();
  const auto word_from = [&](const char* begin) {
    while (p < end && (class_of(classes, *p) & kContinue) != 0) ++p;
    return std::string_view(begin, static_cast<std::size_t>(p - begin));
  };
  while (p < end && class_of(classes, *p) == kSpace) ++p;
  if (p == end || (class_of(classes, *p) & kStart) == 0 || !head(word_from(p))) return result;
  while (p < end) {
    const std::uint8_t cls = class_of(classes, *p);
    if ((cls & kStart) != 0) {
      if (watched(word_from(p))) return result;
      continue;
    }
    const char c = *p++;
    if (cls != kOther) continue;  // a digit, whitespace
    switch (c) {
      case ';':
        for (; p < end; ++p) {
          if (class_of(classes, *p) != kSpace) return result;  // a second statement, or a comment after the first
        }
        break;
      case '\'': case '"': case '`': case '#': result.quotes_or_comments = true; break;
      case '-': result.quotes_or_comments = result.quotes_or_comments || (p < end && *p == '-'); break;
      case '/': result.quotes_or_comments = result.quotes_or_comments || (p < end && *p == '*'); break;
      default: break;
    }
  }
  result.plain = true;
  return result;
}

}  // namespace sluice::plain_text
