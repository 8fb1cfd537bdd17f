#include "sluice/protocol/mysql/kill_statement.hpp"

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "sluice/protocol/mysql/sql_tokens.hpp"

namespace sluice::mysql {

namespace {

using Tokens = std::span<const SqlToken>;

bool is_semicolon(const SqlToken& token) { return token.kind == TokenKind::punctuation && token.text == ";"; }

// A string's contents, quotes removed (enough to look for a word in what PREPARE ... FROM
// 'text' or EXECUTE IMMEDIATE 'text' would run).
std::string_view unquoted(const SqlToken& token) {
  if (token.text.size() < 2) return {};
  return token.text.substr(1, token.text.size() - 2);
}

bool statement_kills(Tokens statement, int depth);

// Statements of `sql`, each tested.
bool text_kills(std::string_view sql, int depth) {
  if (depth > 2 || !spells(sql, "KILL")) return false;  // most queries: no tokenising
  const auto tokens = tokenize_sql(sql);
  std::size_t start = 0;
  for (std::size_t i = 0; i <= tokens.size(); ++i) {
    if (i < tokens.size() && !is_semicolon(tokens[i])) continue;
    if (i > start && statement_kills(Tokens(tokens.data(), tokens.size()).subspan(start, i - start), depth)) return true;
    start = i + 1;
  }
  return false;
}

// KILL itself, or SQL-level PREPARE / EXECUTE IMMEDIATE of a literal text holding one.
bool statement_kills(Tokens statement, int depth) {
  if (statement.front().is("KILL")) return true;
  if (!statement.front().is("PREPARE") && !statement.front().is("EXECUTE")) return false;
  return std::any_of(statement.begin(), statement.end(), [&](const SqlToken& token) {
    return token.kind == TokenKind::quoted && text_kills(unquoted(token), depth + 1);
  });
}

std::optional<std::uint64_t> number_of(const SqlToken& token) {
  if (token.kind != TokenKind::word) return std::nullopt;
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(token.text.data(), token.text.data() + token.text.size(), value);
  if (error != std::errc{} || end != token.text.data() + token.text.size()) return std::nullopt;
  return value;
}

}  // namespace

bool contains_kill(std::string_view sql) { return text_kills(sql, 0); }

std::optional<KillStatement> parse_kill_statement(std::string_view sql) {
  auto tokens = tokenize_sql(sql);
  while (!tokens.empty() && is_semicolon(tokens.back())) tokens.pop_back();
  if (std::any_of(tokens.begin(), tokens.end(), is_semicolon)) return std::nullopt;  // several statements
  std::size_t at = 0;
  if (at >= tokens.size() || !tokens[at++].is("KILL")) return std::nullopt;
  if (at < tokens.size() && (tokens[at].is("HARD") || tokens[at].is("SOFT"))) ++at;
  KillStatement kill;
  if (at < tokens.size() && tokens[at].is("CONNECTION")) {
    ++at;
  } else if (at < tokens.size() && tokens[at].is("QUERY")) {
    kill.scope = KillScope::query;
    ++at;
    if (at < tokens.size() && tokens[at].is("ID")) return at + 2 == tokens.size() ? std::optional(kill) : std::nullopt;
  }
  // KILL USER name: any shape of account name (a pooler cannot route it either way).
  if (at < tokens.size() && tokens[at].is("USER")) return at + 1 < tokens.size() ? std::optional(kill) : std::nullopt;
  if (at + 1 != tokens.size()) return std::nullopt;
  kill.thread_id = number_of(tokens[at]);
  if (!kill.thread_id) return std::nullopt;
  return kill;
}

std::optional<KillStatement> parse_process_kill(std::span<const std::uint8_t> arguments) {
  if (arguments.size() != 4) return std::nullopt;
  const std::uint64_t id = arguments[0] | (arguments[1] << 8) | (arguments[2] << 16) | (std::uint64_t{arguments[3]} << 24);
  return KillStatement{KillScope::connection, id};
}

}  // namespace sluice::mysql
