// The SQL lexer's quoted states: dollar quotes, strings (standard, escape, Unicode) and quoted
// identifiers. The driver (SqlLexer::feed and step) is in sql_lexer.cpp.
#include <string>

#include "sluice/protocol/postgres/sql_lexer.hpp"
#include "sql_lexer_chars.hpp"

namespace sluice::pg {

using namespace lexer_chars;  // NOLINT: the lexer reads as scan.l does

bool SqlLexer::on_dollar_open(std::uint8_t byte) {
  const bool empty_tag = dollar_tag_.size() == 1;
  if (empty_tag && is_digit(byte)) {
    kind_ = TokenKind::parameter;
    append(byte);
    state_ = State::parameter;
    return true;
  }
  if (byte == '$') {
    dollar_tag_.push_back('$');
    append(byte);
    dollar_matched_ = 0;
    state_ = State::dollar_body;
    return true;
  }
  if (empty_tag ? is_ident_start(byte) : is_dollar_tag_char(byte)) {
    dollar_tag_.push_back(static_cast<char>(byte));
    append(byte);
    if (dollar_tag_.size() > kMaxDollarTag) state_ = State::abandoned;
    return true;
  }
  end_dollar_open();
  return false;
}

// "$" not followed by a delimiter's closing "$": a lone "$", and what followed it read again as
// a word (its bytes are identifier characters; the byte that ended them is not).
void SqlLexer::end_dollar_open() {
  const std::string tag = dollar_tag_.substr(1);
  const std::size_t dollar_at = token_begin_;
  emit_symbol('$', dollar_at);
  if (tag.empty()) {
    text_.clear();
    state_ = State::between;
    return;
  }
  begin_token(TokenKind::word, dollar_at + 1);
  for (const char c : tag) append(lower(static_cast<std::uint8_t>(c)));
  word_first_ = static_cast<std::uint8_t>(tag[0]);
  state_ = State::word;
}

// Everything up to the first copy of the opening delimiter. "$" never occurs inside a tag, so
// after a mismatch the only possible new start is the byte at hand, if it is a "$".
bool SqlLexer::on_dollar_body(std::uint8_t byte) {
  append(byte);
  if (static_cast<char>(byte) == dollar_tag_[dollar_matched_]) {
    if (++dollar_matched_ == dollar_tag_.size()) {
      emit(offset_ + 1);
      state_ = State::between;
    }
  } else {
    dollar_matched_ = byte == '$' ? 1 : 0;
  }
  return true;
}

void SqlLexer::begin_string(Style style, TokenKind kind, std::size_t begin) {
  kind_ = kind;
  token_begin_ = begin;
  style_ = style;
  state_ = State::quoted;
}

bool SqlLexer::on_quoted(std::uint8_t byte) {
  append(byte);
  if (byte == '\'') {
    quote_end_ = offset_ + 1;
    stop_newline_ = stop_comment_ = stop_dash_ = false;
    stop_text_.clear();
    state_ = State::quote_stop;
  } else if (byte == '\\' && style_ == Style::escape) {
    state_ = State::quoted_backslash;
  }
  return true;
}

// The escaped character, whatever it is (a quote too).
bool SqlLexer::on_quoted_backslash(std::uint8_t byte) {
  append(byte);
  state_ = State::quoted;
  return true;
}

// After a closing quote: '' is a quote inside the string; whitespace holding a newline (and
// "--" comments) then a quote continues the same string; anything else ends it.
bool SqlLexer::on_quote_stop(std::uint8_t byte) {
  const bool at_quote = stop_text_.empty();
  if (at_quote && byte == '\'') {
    append(byte);
    state_ = State::quoted;
    return true;
  }
  if (stop_comment_) {
    stop_text_.push_back(static_cast<char>(byte));
    if (is_newline(byte)) {
      stop_comment_ = false;
      stop_newline_ = true;
    }
    return true;
  }
  if (stop_dash_) {
    if (byte == '-') {
      stop_dash_ = false;
      stop_comment_ = true;
      stop_text_.push_back('-');
      return true;
    }
    end_quote_stop();
    emit_symbol('-', stop_dash_at_);
    return false;
  }
  if (is_space(byte)) {
    if (is_newline(byte)) stop_newline_ = true;
    stop_text_.push_back(static_cast<char>(byte));
    return true;
  }
  if (byte == '-') {
    stop_dash_ = true;
    stop_dash_at_ = offset_;
    stop_text_.push_back('-');
    return true;
  }
  if (byte == '\'' && stop_newline_) {
    for (const char c : stop_text_) append(static_cast<std::uint8_t>(c));
    append(byte);
    stop_text_.clear();
    state_ = State::quoted;
    return true;
  }
  end_quote_stop();
  return false;
}

void SqlLexer::end_quote_stop() {
  emit(quote_end_);
  stop_text_.clear();
  stop_newline_ = stop_comment_ = stop_dash_ = false;
  state_ = State::between;
}

bool SqlLexer::on_identifier(std::uint8_t byte) {
  append(byte);
  if (byte == '"') state_ = State::identifier_stop;
  return true;
}

bool SqlLexer::on_identifier_stop(std::uint8_t byte) {
  if (byte == '"') {  // "" is a quote inside the identifier
    append(byte);
    state_ = State::identifier;
    return true;
  }
  emit(offset_);
  state_ = State::between;
  return false;
}

}  // namespace sluice::pg
