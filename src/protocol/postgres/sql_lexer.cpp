// The SQL lexer's driver and its unquoted states (words, numbers, parameters, comments); the
// quoted states are in sql_lexer_quoted.cpp.
#include "sluice/protocol/postgres/sql_lexer.hpp"

#include <algorithm>

#include "sql_lexer_chars.hpp"

namespace sluice::pg {

using namespace lexer_chars;  // NOLINT: the lexer reads as scan.l does

void SqlLexer::reset() { *this = SqlLexer(options_); }

void SqlLexer::feed(std::string_view chunk, TokenSink& sink) {
  sink_ = &sink;
  const auto* bytes = reinterpret_cast<const std::uint8_t*>(chunk.data());
  std::size_t at = 0;
  while (at < chunk.size()) {
    const auto byte = bytes[at];
    if (trailing_ > 0) {
      inside_character(byte);
    } else if (state_ == State::word && byte < 0x80 && is_ident_cont(byte)) {
      at = take_word_run(bytes, at, chunk.size());
      continue;
    } else {
      while (!step(byte)) {
      }
      start_character(byte);
    }
    ++offset_;
    ++at;
  }
  sink_ = nullptr;
}

// Inside a word, a run of ASCII identifier bytes: what on_word does byte by byte (append,
// lower-cased in a key word), done in one go. Most of a text's bytes are such runs, and each
// byte through step() costs a dispatch and a bounds-checked push_back. Returns past the run.
std::size_t SqlLexer::take_word_run(const std::uint8_t* bytes, std::size_t at, std::size_t size) {
  std::size_t end = at;
  while (end < size && bytes[end] < 0x80 && is_ident_cont(bytes[end])) ++end;
  const std::size_t run = end - at;
  const std::size_t kept = std::min(run, kMaxTokenText - std::min(text_.size(), kMaxTokenText));
  if (kept < run) truncated_ = true;
  const auto old_size = text_.size();
  text_.resize(old_size + kept);
  const bool fold = kind_ == TokenKind::word;
  for (std::size_t i = 0; i < kept; ++i) {
    text_[old_size + i] = static_cast<char>(fold ? lower(bytes[at + i]) : bytes[at + i]);
  }
  offset_ += run;
  return end;
}

// A lead byte of a client-only encoding: its trailing bytes belong to whatever it began.
void SqlLexer::start_character(std::uint8_t byte) {
  if (!is_client_only(options_.encoding) || byte < 0x80) return;
  // Closing a dollar quote compares raw bytes: "$" is never a trailing byte, so a match can only
  // start on a character boundary, and a tag's own bytes compare equal however they are read.
  if (state_ == State::dollar_body || state_ == State::abandoned) return;
  trailing_ = trailing_bytes(options_.encoding, byte);
  gb18030_second_ = options_.encoding == ClientEncoding::gb18030 && trailing_ > 0;
}

// A trailing byte: part of the character its lead byte began, whatever its value.
void SqlLexer::inside_character(std::uint8_t byte) {
  if (gb18030_second_) {
    gb18030_second_ = false;
    trailing_ += gb18030_extra_bytes(byte);
  }
  --trailing_;
  switch (state_) {
    case State::dollar_open:
      dollar_tag_.push_back(static_cast<char>(byte));
      append(byte);
      break;
    case State::word:
    case State::quoted:
    case State::identifier:
      append(byte);
      break;
    case State::quote_stop:  // a character in a "--" comment between the parts of a continued string
      stop_text_.push_back(static_cast<char>(byte));
      break;
    default:  // comments: nothing to keep
      break;
  }
}

bool SqlLexer::step(std::uint8_t byte) {
  switch (state_) {
    case State::between: return on_between(byte);
    case State::dash: return on_dash(byte);
    case State::slash: return on_slash(byte);
    case State::line_comment: return on_line_comment(byte);
    case State::block_comment: return on_block_comment(byte);
    case State::word: return on_word(byte);
    case State::number: return on_number(byte);
    case State::parameter: return on_parameter(byte);
    case State::unicode_prefix: return on_unicode_prefix(byte);
    case State::dollar_open: return on_dollar_open(byte);
    case State::dollar_body: return on_dollar_body(byte);
    case State::quoted: return on_quoted(byte);
    case State::quoted_backslash: return on_quoted_backslash(byte);
    case State::quote_stop: return on_quote_stop(byte);
    case State::identifier: return on_identifier(byte);
    case State::identifier_stop: return on_identifier_stop(byte);
    case State::abandoned: append(byte); return true;
  }
  return true;
}

void SqlLexer::begin_token(TokenKind kind, std::size_t begin) {
  kind_ = kind;
  token_begin_ = begin;
  text_.clear();
  truncated_ = false;
}

void SqlLexer::append(std::uint8_t byte) {
  if (text_.size() < kMaxTokenText) {
    text_.push_back(static_cast<char>(byte));
  } else {
    truncated_ = true;
  }
}

void SqlLexer::emit(std::size_t end, bool terminated) {
  sink_->on_token(Token{kind_, token_begin_, end, text_, truncated_, terminated});
  text_.clear();
  truncated_ = false;
}

void SqlLexer::emit_symbol(char c, std::size_t at) {
  const char text[1] = {c};
  sink_->on_token(Token{TokenKind::symbol, at, at + 1, std::string_view(text, 1), false, true});
}

bool SqlLexer::on_between(std::uint8_t byte) {
  if (is_space(byte)) return true;
  if (byte == '-' || byte == '/') {  // a comment, or an operator character
    token_begin_ = offset_;
    state_ = byte == '-' ? State::dash : State::slash;
  } else if (byte == '\'') {
    begin_token(TokenKind::string, offset_);
    append(byte);
    style_ = options_.standard_conforming_strings ? Style::standard : Style::escape;
    state_ = State::quoted;
  } else if (byte == '"') {
    begin_token(TokenKind::quoted_identifier, offset_);
    append(byte);
    state_ = State::identifier;
  } else if (byte == '$') {
    begin_token(TokenKind::dollar_string, offset_);
    append(byte);
    dollar_tag_.assign(1, '$');
    state_ = State::dollar_open;
  } else if (is_digit(byte)) {
    begin_token(TokenKind::number, offset_);
    append(byte);
    state_ = State::number;
  } else if (is_ident_start(byte)) {
    begin_token(TokenKind::word, offset_);
    append(lower(byte));
    word_first_ = byte;
    state_ = State::word;
  } else {
    emit_symbol(static_cast<char>(byte), offset_);
  }
  return true;
}

bool SqlLexer::on_dash(std::uint8_t byte) {
  if (byte == '-') {
    state_ = State::line_comment;
    return true;
  }
  emit_symbol('-', token_begin_);
  state_ = State::between;
  return false;
}

bool SqlLexer::on_slash(std::uint8_t byte) {
  if (byte == '*') {
    comment_depth_ = 0;
    comment_star_ = comment_slash_ = false;
    state_ = State::block_comment;
    return true;
  }
  emit_symbol('/', token_begin_);
  state_ = State::between;
  return false;
}

bool SqlLexer::on_line_comment(std::uint8_t byte) {
  if (is_newline(byte)) state_ = State::between;
  return true;
}

// "/*" opens a nested comment and "*/" closes one (scan.l's xc state); a "*" or "/" that has
// completed one of the pair cannot begin another ("/*/" does not close).
bool SqlLexer::on_block_comment(std::uint8_t byte) {
  if (byte == '*' && comment_slash_) {
    ++comment_depth_;
    comment_star_ = comment_slash_ = false;
  } else if (byte == '/' && comment_star_) {
    comment_star_ = false;
    if (comment_depth_ == 0) {
      state_ = State::between;
    } else {
      --comment_depth_;
    }
  } else {
    comment_star_ = byte == '*';
    comment_slash_ = byte == '/';
  }
  return true;
}

// E'...', B'...', X'...' and N'...': a one-letter word directly followed by a quote.
bool SqlLexer::word_is_string_prefix(std::uint8_t quote) const {
  if (quote != '\'' || kind_ != TokenKind::word || text_.size() != 1) return false;
  const char c = text_[0];
  return c == 'e' || c == 'b' || c == 'x' || c == 'n';
}

bool SqlLexer::on_word(std::uint8_t byte) {
  if (is_ident_cont(byte)) {
    append(kind_ == TokenKind::word ? lower(byte) : byte);
    return true;
  }
  if (word_is_string_prefix(byte)) {
    const char prefix = text_[0];
    text_[0] = static_cast<char>(word_first_);  // a string's text is raw: keep E, B, X, N as written
    if (prefix == 'e') {
      begin_string(Style::escape, TokenKind::escape_string, token_begin_);
    } else if (prefix == 'n') {  // NCHAR: an ordinary string after the n
      begin_string(options_.standard_conforming_strings ? Style::standard : Style::escape,
                   TokenKind::string, token_begin_);
    } else {
      begin_string(Style::bit, TokenKind::bit_string, token_begin_);
    }
    append(byte);
    return true;
  }
  if (byte == '&' && kind_ == TokenKind::word && text_ == "u") {
    text_[0] = static_cast<char>(word_first_);
    append(byte);
    state_ = State::unicode_prefix;
    return true;
  }
  emit(offset_);
  state_ = State::between;
  return false;
}

// Digits and dots; identifier characters after them make one token with them ("junk" that
// PostgreSQL 15+ rejects, and that earlier versions split into a number and a word).
bool SqlLexer::on_number(std::uint8_t byte) {
  if (is_digit(byte) || byte == '.') {
    append(byte);
    return true;
  }
  if (is_ident_start(byte)) {
    append(byte);
    state_ = State::word;  // kind_ stays number
    return true;
  }
  emit(offset_);
  state_ = State::between;
  return false;
}

bool SqlLexer::on_parameter(std::uint8_t byte) {
  if (is_digit(byte)) {
    append(byte);
    return true;
  }
  if (is_ident_start(byte)) {
    append(byte);
    state_ = State::word;  // kind_ stays parameter
    return true;
  }
  emit(offset_);
  state_ = State::between;
  return false;
}

bool SqlLexer::on_unicode_prefix(std::uint8_t byte) {
  if (byte == '\'') {
    begin_string(Style::standard, TokenKind::unicode_string, token_begin_);
    append(byte);
    return true;
  }
  if (byte == '"') {
    kind_ = TokenKind::quoted_identifier;
    append(byte);
    state_ = State::identifier;
    return true;
  }
  // Not U&: the word "u", then "&".
  text_.assign(1, 'u');
  emit(token_begin_ + 1);
  emit_symbol('&', token_begin_ + 1);
  state_ = State::between;
  return false;
}

void SqlLexer::finish(TokenSink& sink) {
  sink_ = &sink;
  switch (state_) {
    case State::between:
    case State::line_comment:
      break;
    case State::dash: emit_symbol('-', token_begin_); break;
    case State::slash: emit_symbol('/', token_begin_); break;
    case State::block_comment: unterminated_ = true; break;
    case State::word:
    case State::number:
    case State::parameter:
    case State::identifier_stop:
      emit(offset_);
      break;
    case State::unicode_prefix:
      text_.assign(1, 'u');
      emit(token_begin_ + 1);
      emit_symbol('&', token_begin_ + 1);
      break;
    case State::dollar_open:
      end_dollar_open();
      if (state_ == State::word) emit(offset_);
      break;
    case State::quote_stop: {
      const bool dash = stop_dash_;
      const std::size_t dash_at = stop_dash_at_;
      end_quote_stop();
      if (dash) emit_symbol('-', dash_at);
      break;
    }
    case State::dollar_body:
    case State::quoted:
    case State::quoted_backslash:
    case State::identifier:
    case State::abandoned:
      unterminated_ = true;
      emit(offset_, false);
      break;
  }
  state_ = State::between;
  trailing_ = 0;
  gb18030_second_ = false;
  sink_ = nullptr;
}

}  // namespace sluice::pg
