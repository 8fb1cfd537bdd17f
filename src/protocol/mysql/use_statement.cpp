#include "sluice/protocol/mysql/use_statement.hpp"

#include "sluice/protocol/mysql/sql_tokens.hpp"

namespace sluice::mysql {

std::optional<std::string> parse_use_statement(std::string_view sql) {
  // Comments are skipped (SQL commenters and APM tools add them), an executable comment's
  // contents read as the code MariaDB runs: `/* app */ USE shop`, `USE shop -- c`, `/*!USE shop*/`.
  if (!spells(sql, "USE")) return std::nullopt;  // every query is asked; few are a USE
  const auto tokens = tokenize_sql(sql);
  std::size_t count = tokens.size();
  if (count > 0 && tokens[count - 1].kind == TokenKind::punctuation && tokens[count - 1].text == ";") --count;
  if (count != 2 || tokens[0].kind != TokenKind::word || !tokens[0].is("USE")) return std::nullopt;
  const std::string_view name = tokens[1].text;
  if (tokens[1].kind == TokenKind::word) return std::string(name);
  if (tokens[1].kind != TokenKind::quoted || name.size() < 3 || name.front() != '`' || name.back() != '`') {
    return std::nullopt;
  }
  const std::string_view quoted = name.substr(1, name.size() - 2);
  if (quoted.find('`') != std::string_view::npos) return std::nullopt;  // an escaped backtick: not followed
  return std::string(quoted);
}

}  // namespace sluice::mysql
