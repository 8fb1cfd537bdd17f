#pragma once
// The SQL lexer's character classes (scan.l's), shared by its two halves: sql_lexer.cpp (the
// driver, words, numbers, comments) and sql_lexer_quoted.cpp (strings, quoted identifiers,
// dollar quotes). Private to src/protocol/postgres/.
#include <cstdint>

namespace sluice::pg::lexer_chars {

inline bool is_space(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
inline bool is_newline(std::uint8_t c) { return c == '\n' || c == '\r'; }
inline bool is_digit(std::uint8_t c) { return c >= '0' && c <= '9'; }
// ident_start and dolq_start: [A-Za-z\200-\377_]
inline bool is_ident_start(std::uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
// dolq_cont: [A-Za-z\200-\377_0-9]; ident_cont adds "$".
inline bool is_dollar_tag_char(std::uint8_t c) { return is_ident_start(c) || is_digit(c); }
inline bool is_ident_cont(std::uint8_t c) { return is_dollar_tag_char(c) || c == '$'; }

inline std::uint8_t lower(std::uint8_t c) { return c >= 'A' && c <= 'Z' ? static_cast<std::uint8_t>(c - 'A' + 'a') : c; }

}  // namespace sluice::pg::lexer_chars
