// A streaming lexer for the SQL text of a Query or Parse message, cutting it into the tokens
// PostgreSQL's own lexer (src/backend/parser/scan.l) would see, so Sluice can split a text into
// statements and read the leading key words of each.
//
// Sans-I/O and incremental: feed() takes the text in chunks of any size (a large Query need not
// be held whole) and reports each token once its last byte is known; finish() ends the text.
// Splitting the same text at any byte gives the same tokens. Never throws; memory is bounded by
// kMaxTokenText and kMaxDollarTag whatever the text's size.
//
// What it honours, as scan.l does:
//   - whitespace [ \t\n\r\f\v]; "--" comments to the end of the line; "/* */" comments, nested;
//   - '...' with '' for a quote, and backslash escapes when standard_conforming_strings is off;
//     E'...' always with backslash escapes; U&'...', B'...', X'...', N'...'; a string continued
//     after whitespace containing a newline ('a'\n'b' is one string, in the first part's style);
//   - "..." and U&"..." identifiers with "" for a quote;
//   - $$...$$ and $tag$...$tag$ (a tag is an identifier without "$": [A-Za-z_\200-\377][A-Za-z_0-9\200-\377]*),
//     $1 parameters, and "$" inside identifiers (a$b is one word, not a dollar quote);
//   - in a client-only encoding (SJIS, BIG5, GBK, UHC, GB18030, JOHAB), whole characters: a
//     trailing byte 0x5C is never a backslash (see client_encoding.hpp).
// Numbers followed by identifier characters (1e, 0x1F, 1_000) are one token, as PostgreSQL 15+
// reads them; older servers reject those texts anyway wherever the difference could matter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sluice/protocol/postgres/client_encoding.hpp"

namespace sluice::pg {

// A token's text is kept up to this many bytes; longer tokens are reported truncated.
inline constexpr std::size_t kMaxTokenText = 4096;
// A dollar-quote tag longer than this makes the rest of the text unreadable to Sluice: it is
// reported as one unterminated token (and the statement classifier then pins, to be safe).
inline constexpr std::size_t kMaxDollarTag = 1024;

enum class TokenKind : std::uint8_t {
  word,               // identifier or key word, unquoted; its text is lower-cased (ASCII letters)
  quoted_identifier,  // "..." or U&"...", quotes included
  string,             // '...' or N'...': backslash escapes only if standard_conforming_strings is off
  escape_string,      // E'...'
  unicode_string,     // U&'...'
  bit_string,         // B'...' or X'...'
  dollar_string,      // $tag$...$tag$, delimiters included
  number,             // 12, 1.5, and junk after digits ("1e", "0x1F"): one token
  parameter,          // $1
  symbol,             // one character of punctuation or an operator: ( ) , ; . = + ... or a lone $
};

struct Token {
  TokenKind kind;
  std::size_t begin = 0, end = 0;  // byte offsets in the whole text, end exclusive
  std::string_view text;           // the raw bytes, at most kMaxTokenText; valid during the call (words lower-cased)
  bool truncated = false;          // text holds only the first kMaxTokenText bytes
  bool terminated = true;          // false: the text ended inside this token (PostgreSQL rejects the whole text)

  bool is_word(std::string_view lower) const { return kind == TokenKind::word && text == lower; }
  bool is_symbol(char c) const { return kind == TokenKind::symbol && text.size() == 1 && text[0] == c; }
};

// What the lexer needs to read a text as the server will: both are the client's settings at the
// time the server parses the text (PostgreSQL lexes a whole Query before running any of it, so a
// SET inside a Query does not change how the rest of that Query is read).
struct LexOptions {
  ClientEncoding encoding = ClientEncoding::server_safe;
  bool standard_conforming_strings = true;
};

class TokenSink {
 public:
  virtual void on_token(const Token& token) = 0;

 protected:
  ~TokenSink() = default;
};

class SqlLexer {
 public:
  explicit SqlLexer(LexOptions options = {}) : options_(options) {}

  // The next bytes of the text: every token completed within them goes to `sink`, in order.
  void feed(std::string_view chunk, TokenSink& sink);
  // The text is complete: reports the last token, unterminated if the text ended inside it.
  void finish(TokenSink& sink);
  // Ready for a new text.
  void reset();

  // After finish(): the text ended inside a quoted string or identifier, a dollar-quoted string
  // or a /* comment. PostgreSQL rejects such a text whole, before running any of it.
  bool unterminated() const { return unterminated_; }
  std::size_t offset() const { return offset_; }
  const LexOptions& options() const { return options_; }

 private:
  enum class State : std::uint8_t {
    between,             // between tokens
    dash,                // after "-": a comment or an operator
    slash,               // after "/": a comment or an operator
    line_comment,        // "--" to the end of the line
    block_comment,       // "/* */", nested
    word,                // identifier or key word (also after digits: number junk)
    number,              // digits and dots
    parameter,           // "$" digits
    unicode_prefix,      // "u&": U&'...', U&"..." or the word u then &
    dollar_open,         // "$" and the tag so far
    dollar_body,         // inside $tag$...
    quoted,              // inside '...' (any style)
    quoted_backslash,    // after a backslash inside a string with escapes
    quote_stop,          // after a string's closing quote: '' , a continuation, or the end
    identifier,          // inside "..."
    identifier_stop,     // after an identifier's closing quote: "" or the end
    abandoned,           // a dollar tag too long to remember: the rest is one unterminated token
  };
  enum class Style : std::uint8_t { standard, escape, bit };

  bool step(std::uint8_t byte);  // false: the byte must be read again in the new state
  std::size_t take_word_run(const std::uint8_t* bytes, std::size_t at, std::size_t size);
  bool on_between(std::uint8_t byte);
  bool on_dash(std::uint8_t byte);
  bool on_slash(std::uint8_t byte);
  bool on_line_comment(std::uint8_t byte);
  bool on_block_comment(std::uint8_t byte);
  bool on_word(std::uint8_t byte);
  bool on_number(std::uint8_t byte);
  bool on_parameter(std::uint8_t byte);
  bool on_unicode_prefix(std::uint8_t byte);
  bool on_dollar_open(std::uint8_t byte);
  bool on_dollar_body(std::uint8_t byte);
  bool on_quoted(std::uint8_t byte);
  bool on_quoted_backslash(std::uint8_t byte);
  bool on_quote_stop(std::uint8_t byte);
  bool on_identifier(std::uint8_t byte);
  bool on_identifier_stop(std::uint8_t byte);

  void begin_token(TokenKind kind, std::size_t begin);
  void append(std::uint8_t byte);
  void emit(std::size_t end, bool terminated = true);
  void emit_symbol(char c, std::size_t at);
  void begin_string(Style style, TokenKind kind, std::size_t begin);
  bool word_is_string_prefix(std::uint8_t quote) const;
  void end_dollar_open();
  void end_quote_stop();
  void start_character(std::uint8_t byte);
  void inside_character(std::uint8_t byte);

  LexOptions options_;
  TokenSink* sink_ = nullptr;  // during feed()/finish() only
  State state_ = State::between;
  Style style_ = Style::standard;
  std::size_t offset_ = 0;  // of the byte being read

  // The token being read.
  TokenKind kind_ = TokenKind::word;
  std::size_t token_begin_ = 0;
  std::string text_;
  bool truncated_ = false;

  // Multi-byte characters of a client-only encoding: trailing bytes still to come.
  std::size_t trailing_ = 0;
  bool gb18030_second_ = false;  // the next byte decides whether this GB18030 character has 4 bytes

  std::size_t comment_depth_ = 0;
  bool comment_star_ = false, comment_slash_ = false;
  std::uint8_t word_first_ = 0;  // a word's first byte as written (E'...' keeps its E)

  std::string dollar_tag_;        // "$tag$" while in dollar_body; "$tag" while in dollar_open
  std::size_t dollar_matched_ = 0;  // bytes of the closing delimiter seen so far

  // After a closing quote: is there a continuation ('a'\n'b')?
  std::size_t quote_end_ = 0;     // just past the closing quote
  bool stop_newline_ = false, stop_comment_ = false, stop_dash_ = false;
  std::size_t stop_dash_at_ = 0;
  std::string stop_text_;         // what lies between the parts of a continued string

  bool unterminated_ = false;
};

}  // namespace sluice::pg
