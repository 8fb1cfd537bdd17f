#pragma once
// A MySQL SQL tokeniser just deep enough to find statements and key words safely: comments are
// skipped (an executable comment's contents are code), strings and quoted identifiers are single
// opaque tokens, @name and @@name are told apart. Sans-I/O; a query of up to kInlineTokens tokens
// (nearly every one an application sends) is read without touching the heap.
#include <cstddef>
#include <string_view>

#include <boost/container/small_vector.hpp>

namespace sluice::mysql {

enum class TokenKind : unsigned char {
  word,            // a key word or bare identifier (or number)
  quoted,          // 'string', "string", `identifier`
  user_variable,   // @name, @'name', @`name`
  system_variable, // @@name, @@session.name, ...
  punctuation,     // one character: ( ) , ; = . and others; ":=" as one token
};

// Key words are ASCII: folding only a-z keeps the comparisons below off the C library's
// locale-aware toupper (they run for every token of every query).
constexpr char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - ('a' - 'A')) : c; }

struct SqlToken {
  TokenKind kind;
  std::string_view text;  // as written (quotes included)
  // The word equals `upper` (an upper-case key word), case-insensitively.
  bool is(std::string_view upper) const {
    if (kind != TokenKind::word || text.size() != upper.size()) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
      if (ascii_upper(text[i]) != upper[i]) return false;
    }
    return true;
  }
};

inline constexpr std::size_t kInlineTokens = 48;
using SqlTokens = boost::container::small_vector<SqlToken, kInlineTokens>;

// How the server reads quoted text, which the session's sql_mode and character set decide. A
// backslash is where the readings part: which of them is in force is not always known
// (read_query_effects weighs them all).
struct LexRules {
  bool backslash_escapes = true;  // off under sql_mode NO_BACKSLASH_ESCAPES
  bool ansi_quotes = false;       // sql_mode ANSI_QUOTES: "..." is an identifier, with no escapes
  // big5, cp932, gbk, sjis: a byte from 0x81 up leads a two-byte character whose second byte may
  // be 0x5C, which is then part of the character, not a backslash.
  bool two_byte_characters = false;
};

// Whether `sql` spells `upper` (an upper-case key word of letters only) anywhere, case-
// insensitively: in code, strings and comments alike. The cheap test before tokenising for a
// statement most queries are not (KILL, USE): memchr for the first letter, no allocation.
bool spells(std::string_view sql, std::string_view upper);

// Tokens of `sql`; an unterminated string or comment ends the text (what is left is one token).
SqlTokens tokenize_sql(std::string_view sql, const LexRules& rules = {});

}  // namespace sluice::mysql
