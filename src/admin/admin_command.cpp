#include "sluice/admin/admin_command.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace sluice::admin {

namespace {

enum class TokenKind { word, quoted_name, string_literal, equals, semicolon };

struct Token {
  TokenKind kind;
  std::string text;  // words as written; quoted forms unquoted
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Reads a quoted token starting at text[position] (the opening quote); doubled quotes
// stand for one. Returns false if the closing quote is missing.
bool read_quoted(std::string_view text, std::size_t& position, std::string& out) {
  const char quote = text[position++];
  while (position < text.size()) {
    const char c = text[position++];
    if (c != quote) {
      out += c;
    } else if (position < text.size() && text[position] == quote) {
      out += quote;
      ++position;
    } else {
      return true;
    }
  }
  return false;
}

std::optional<std::vector<Token>> tokenize(std::string_view text) {
  std::vector<Token> tokens;
  std::size_t position = 0;
  while (position < text.size()) {
    const char c = text[position];
    if (is_space(c)) {
      ++position;
    } else if (c == '=' || c == ';') {
      tokens.push_back({c == '=' ? TokenKind::equals : TokenKind::semicolon, std::string(1, c)});
      ++position;
    } else if (c == '"' || c == '\'') {
      Token token{c == '"' ? TokenKind::quoted_name : TokenKind::string_literal, {}};
      if (!read_quoted(text, position, token.text)) return std::nullopt;
      tokens.push_back(std::move(token));
    } else if (is_word_char(c)) {
      const auto start = position;
      while (position < text.size() && is_word_char(text[position])) ++position;
      tokens.push_back({TokenKind::word, std::string(text.substr(start, position - start))});
    } else {
      return std::nullopt;
    }
  }
  return tokens;
}

bool is_name(const Token& token) { return token.kind == TokenKind::word || token.kind == TokenKind::quoted_name; }

// SET name = value | SET name TO value
Expected<AdminCommand> parse_set(std::string_view query, const std::vector<Token>& tokens) {
  const bool shaped = tokens.size() == 4 && tokens[1].kind == TokenKind::word &&
                      (tokens[2].kind == TokenKind::equals ||
                       (tokens[2].kind == TokenKind::word && lower(tokens[2].text) == "to")) &&
                      tokens[3].kind != TokenKind::equals;
  if (!shaped) return invalid_command(query);
  return AdminCommand{"set", lower(tokens[1].text), tokens[3].text};
}

}  // namespace

Failure invalid_command(std::string_view query) {
  std::string shown(query.substr(0, 200));
  return Failure{"admin_syntax", "42601", "invalid command '" + shown + "', use SHOW HELP;"};
}

Expected<AdminCommand> parse_admin_command(std::string_view query) {
  if (query.size() > kMaxCommandLength) return invalid_command(query);
  auto tokens = tokenize(query);
  if (!tokens) return invalid_command(query);
  // One trailing semicolon ends the command; a semicolon anywhere else does not parse.
  if (!tokens->empty() && tokens->back().kind == TokenKind::semicolon) tokens->pop_back();
  for (const auto& token : *tokens) {
    if (token.kind == TokenKind::semicolon) return invalid_command(query);
  }
  if (tokens->empty()) return AdminCommand{};
  if ((*tokens)[0].kind != TokenKind::word) return invalid_command(query);

  AdminCommand command{lower((*tokens)[0].text), std::nullopt, std::nullopt};
  if (command.verb == "set") return parse_set(query, *tokens);
  if (tokens->size() > 2) return invalid_command(query);
  if (tokens->size() == 2) {
    const auto& argument = (*tokens)[1];
    if (!is_name(argument)) return invalid_command(query);
    command.argument = command.verb == "show" ? lower(argument.text) : argument.text;
  }
  return command;
}

}  // namespace sluice::admin
