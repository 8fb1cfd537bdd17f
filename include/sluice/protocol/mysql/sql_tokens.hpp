#pragma once
// A MySQL SQL tokeniser just deep enough to find statements and key words safely: comments are
// skipped (an executable comment's contents are code), strings and quoted identifiers are single
// opaque tokens, @name and @@name are told apart. Sans-I/O, no allocation beyond the token list.
#include <cstddef>
#include <string_view>
#include <vector>

namespace sluice::mysql {

enum class TokenKind : unsigned char {
  word,            // a key word or bare identifier (or number)
  quoted,          // 'string', "string", `identifier`
  user_variable,   // @name, @'name', @`name`
  system_variable, // @@name, @@session.name, ...
  punctuation,     // one character: ( ) , ; = . and others; ":=" as one token
};

struct SqlToken {
  TokenKind kind;
  std::string_view text;  // as written (quotes included)
  // The word equals `upper` (an upper-case key word), case-insensitively.
  bool is(std::string_view upper) const;
};

// Tokens of `sql`; an unterminated string or comment ends the text (what is left is one token).
std::vector<SqlToken> tokenize_sql(std::string_view sql);

}  // namespace sluice::mysql
