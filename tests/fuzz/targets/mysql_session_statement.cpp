// A COM_QUERY's text as MyFrontend reads it for session state (mysql::read_query_effects, on
// mysql::tokenize_sql). Invariants: tokens are non-empty, in order and inside the text; a text
// that pins names a reason; a followed SET has a non-empty key and does not pin; the same text
// read twice gives the same answer. Under every sql_mode and character set reading. A text the
// look before tokenising calls plain (plain_query_effects) has exactly the effects its tokens give.
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/mysql/session_statement.hpp"
#include "sluice/protocol/mysql/sql_tokens.hpp"

int sluice_fuzz_mysql_session_statement(const std::uint8_t* data, std::size_t size) {
  using namespace sluice;
  const auto text = fuzz::as_text(std::span<const std::uint8_t>(data, size));
  for (const auto& rules : {mysql::LexRules{}, mysql::LexRules{.backslash_escapes = false},
                             mysql::LexRules{.ansi_quotes = true, .two_byte_characters = true}}) {
    const char* last_end = text.data();
    for (const auto& token : mysql::tokenize_sql(text, rules)) {
      SLUICE_FUZZ_CHECK(!token.text.empty());
      SLUICE_FUZZ_CHECK(token.text.data() >= last_end);
      SLUICE_FUZZ_CHECK(token.text.data() + token.text.size() <= text.data() + text.size());
      last_end = token.text.data() + token.text.size();
    }
  }
  for (const bool two_byte : {false, true}) {
    const auto effects = mysql::read_query_effects(text, two_byte);
    if (effects.pin != mysql::SessionPin::none) {
      SLUICE_FUZZ_CHECK(!mysql::to_string(effects.pin).empty());
      SLUICE_FUZZ_CHECK(!effects.setting);
    }
    if (effects.setting) SLUICE_FUZZ_CHECK(!effects.setting->empty());
    const auto again = mysql::read_query_effects(text, two_byte);
    SLUICE_FUZZ_CHECK(again.pin == effects.pin && again.setting == effects.setting);
    if (const auto plain = mysql::plain_query_effects(text)) {
      const auto tokenized = mysql::read_query_effects_tokenized(text, two_byte);
      SLUICE_FUZZ_CHECK(tokenized.pin == plain->pin && tokenized.setting == plain->setting);
      SLUICE_FUZZ_CHECK(tokenized.statement_count == plain->statement_count);
      SLUICE_FUZZ_CHECK(tokenized.touches_no_table == plain->touches_no_table);
      SLUICE_FUZZ_CHECK(tokenized.uses_schema == plain->uses_schema && tokenized.calls_routine == plain->calls_routine);
      SLUICE_FUZZ_CHECK(tokenized.local_infile == plain->local_infile &&
                        tokenized.next_transaction == plain->next_transaction);
      SLUICE_FUZZ_CHECK(tokenized.opens_savepoint == plain->opens_savepoint &&
                        tokenized.ends_transaction == plain->ends_transaction);
      SLUICE_FUZZ_CHECK(tokenized.setting_reads_variables == plain->setting_reads_variables);
    }
  }
  return 0;
}
