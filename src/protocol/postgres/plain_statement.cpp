#include "sluice/protocol/postgres/plain_statement.hpp"

#include <algorithm>
#include <iterator>

#include "sluice/protocol/plain_text.hpp"
#include "statement_reading.hpp"

namespace sluice::pg {

namespace {

using plain_text::equals_folded;

constexpr std::string_view kPlainHeads[] = {"select", "insert", "update", "delete", "with", "values", "table"};

// The names the classifier watches for in any statement (session_statement.cpp: watch).
bool is_watched(std::string_view word) {
  if (plain_text::starts_with_folded(word, "pg_temp")) return true;
  if (equals_folded(word, "temp") || equals_folded(word, "temporary")) return true;
  return std::any_of(std::begin(statement_reading::kSessionFunctions), std::end(statement_reading::kSessionFunctions),
                     [&](const auto& function) { return equals_folded(word, function.name); });
}

}  // namespace

bool is_plain_statement(std::string_view text) {
  return plain_text::one_plain_statement(plain_text::kPostgresWords,
             text,
             [](std::string_view head) { return plain_text::is_one_of_folded(head, kPlainHeads); },
             is_watched)
      .plain;
}

}  // namespace sluice::pg
