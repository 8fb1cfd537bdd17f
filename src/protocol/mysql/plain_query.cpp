// The look before tokenising a COM_QUERY (session_statement.hpp: plain_query_effects).
#include <cstring>

#include "sluice/protocol/mysql/session_statement.hpp"
#include "sluice/protocol/plain_text.hpp"

namespace sluice::mysql {

namespace {

using plain_text::equals_folded;
constexpr const plain_text::Classes& kWords = plain_text::kMysqlWords;

constexpr std::string_view kPlainHeads[] = {"select", "insert", "update", "delete", "replace", "with"};

// Names session_statement.cpp's pin_by_token finds anywhere in a statement.
constexpr std::string_view kPinsAnywhere[] = {"get_lock", "found_rows", "sql_calc_found_rows"};

}  // namespace

std::optional<QueryEffects> plain_query_effects(std::string_view sql) {
  // '@': a variable. ':' may make the first word a label (a compound block), and "/*!" or
  // "/*M!" makes a comment's words code, split from version digits the bytes glue them to: the
  // tokens read those.
  if (std::memchr(sql.data(), '@', sql.size()) != nullptr || std::memchr(sql.data(), ':', sql.size()) != nullptr ||
      sql.find("/*") != std::string_view::npos) {
    return std::nullopt;
  }
  bool select = false;
  bool names_from = false;
  const auto read = plain_text::one_plain_statement(
      kWords, sql,
      [&](std::string_view head) {
        select = equals_folded(head, "select");
        return plain_text::is_one_of_folded(head, kPlainHeads);
      },
      [&](std::string_view word) {
        names_from = names_from || equals_folded(word, "from");
        return plain_text::is_one_of_folded(word, kPinsAnywhere);
      });
  if (!read.plain) return std::nullopt;
  // Whether FROM is a word of code or of a string or comment: the tokens tell.
  if (select && names_from && read.quotes_or_comments) return std::nullopt;
  QueryEffects effects;
  effects.statement_count = 1;
  effects.touches_no_table = select && !names_from;
  return effects;
}

}  // namespace sluice::mysql
