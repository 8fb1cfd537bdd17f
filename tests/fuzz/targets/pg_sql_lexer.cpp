// The SQL text of a Query or Parse, as the session reads it for issue 12: SqlLexer's tokens and
// StatementScanner's statements and effects, plus the quoting Sluice uses to replay settings.
//
// Input: the first byte picks the options the client's session would have (low 3 bits: the
// ClientEncoding, bit 3 set: standard_conforming_strings off); the rest is the text.
//
// Invariants:
//   - tokens are in order, inside the text, never overlapping; statements cover the text
//     exactly once, in order;
//   - the text cut anywhere (three cuts derived from the input) gives the same tokens and the
//     same statements;
//   - each statement's own text, read alone, is one statement with the same effects;
//   - every setting a statement makes, replayed with setting_statement(), reads back as that
//     same setting;
//   - a text is_plain_statement() lets skip the lexer is one non-empty statement whose only
//     effect may be an unterminated quote's unknown state (which it knows cannot act), and the
//     reader's Query event for it is the same whole (the look) and in pieces (the lexer);
//   - quote_literal / quote_identifier of any piece of the text stay quoted: "SELECT <quoted>;
//     LISTEN x" is two statements, the second exactly LISTEN x.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_support.hpp"
#include "fuzz_targets.hpp"
#include "sluice/protocol/postgres/client_text_reader.hpp"
#include "sluice/protocol/postgres/plain_statement.hpp"
#include "sluice/protocol/postgres/session_statement.hpp"
#include "sluice/protocol/postgres/sql_lexer.hpp"
#include "sluice/protocol/postgres/sql_quote.hpp"

namespace {

using namespace sluice;

struct Lexed {
  pg::TokenKind kind;
  std::size_t begin, end;
  std::string text;
  bool truncated, terminated;
  bool operator==(const Lexed&) const = default;
};

class Collector : public pg::TokenSink {
 public:
  void on_token(const pg::Token& token) override {
    tokens.push_back({token.kind, token.begin, token.end, std::string(token.text), token.truncated, token.terminated});
  }
  std::vector<Lexed> tokens;
};

std::vector<Lexed> lex(std::string_view text, const std::vector<std::size_t>& cuts, pg::LexOptions options) {
  pg::SqlLexer lexer(options);
  Collector collector;
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    lexer.feed(text.substr(from, cut - from), collector);
    from = cut;
  }
  lexer.feed(text.substr(from), collector);
  lexer.finish(collector);
  return collector.tokens;
}

std::vector<pg::Statement> scan(std::string_view text, const std::vector<std::size_t>& cuts, pg::LexOptions options) {
  pg::StatementScanner scanner(options);
  std::vector<pg::Statement> statements;
  std::size_t from = 0;
  for (const std::size_t cut : cuts) {
    for (const auto& statement : scanner.feed(text.substr(from, cut - from))) statements.push_back(statement);
    from = cut;
  }
  for (const auto& statement : scanner.feed(text.substr(from))) statements.push_back(statement);
  for (const auto& statement : scanner.finish()) statements.push_back(statement);
  return statements;
}

void check_tokens(std::string_view text, const std::vector<std::size_t>& cuts, pg::LexOptions options) {
  const auto whole = lex(text, {}, options);
  std::size_t previous_end = 0;
  for (const Lexed& token : whole) {
    SLUICE_FUZZ_CHECK(token.begin >= previous_end && token.begin < token.end && token.end <= text.size());
    SLUICE_FUZZ_CHECK(token.text.size() <= pg::kMaxTokenText);
    SLUICE_FUZZ_CHECK(token.truncated || token.text.size() == token.end - token.begin);
    previous_end = token.end;
  }
  SLUICE_FUZZ_CHECK(lex(text, cuts, options) == whole);
}

// A replayed setting is read back as the same setting.
void check_replay(const pg::SettingChange& setting, pg::LexOptions options) {
  const auto replay = pg::setting_statement(setting, options.encoding);
  if (!replay) return;  // not replayable: the session pins instead
  const auto statements = pg::scan_statements(*replay, options);
  SLUICE_FUZZ_CHECK(statements.size() == 1);
  SLUICE_FUZZ_CHECK(statements[0].effects.settings.size() == 1);
  SLUICE_FUZZ_CHECK(statements[0].effects.settings[0] == setting);
}

void check_statements(std::string_view text, const std::vector<std::size_t>& cuts, pg::LexOptions options) {
  const auto whole = scan(text, {}, options);
  std::size_t covered = 0;
  for (const pg::Statement& statement : whole) {
    SLUICE_FUZZ_CHECK(statement.begin == covered && statement.end > statement.begin);
    covered = statement.end;
    const auto alone = pg::scan_statements(text.substr(statement.begin, statement.end - statement.begin), options);
    SLUICE_FUZZ_CHECK(alone.size() == 1);
    SLUICE_FUZZ_CHECK(alone[0].effects == statement.effects);
    SLUICE_FUZZ_CHECK(alone[0].empty == statement.empty && alone[0].unterminated == statement.unterminated);
    for (const auto& setting : statement.effects.settings) check_replay(setting, options);
  }
  SLUICE_FUZZ_CHECK(covered == text.size());
  SLUICE_FUZZ_CHECK(scan(text, cuts, options) == whole);
}

// The reader's events for a Query of `text`, fed whole or one byte at a time.
std::vector<std::pair<std::size_t, std::size_t>> query_events(std::string_view text, pg::LexOptions options, bool whole) {
  std::string bytes(1, pg::frontend::Query);
  const auto length = static_cast<std::uint32_t>(text.size() + 5);
  for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<char>((length >> shift) & 0xFF));
  bytes.append(text);
  bytes.push_back('\0');
  pg::ClientTextReader reader(1 << 24);
  std::vector<std::pair<std::size_t, std::size_t>> events;
  auto feed = [&](std::string_view part) {
    const auto span = std::span(reinterpret_cast<const std::uint8_t*>(part.data()), part.size());
    for (const auto& event : reader.feed(span, options, "UTF8")) {
      std::size_t effects = 0;
      for (const auto& statement : event.statements) {
        const bool only_unterminated = statement.effects.settings.empty() &&
                                       statement.control == pg::TransactionControl::none &&
                                       std::all_of(statement.effects.state.begin(), statement.effects.state.end(),
                                                   [](const auto& change) { return change.name == "unterminated text"; });
        if (!only_unterminated) ++effects;
      }
      events.emplace_back(event.statement_count, effects + (event.overflow ? 1 : 0));
    }
  };
  if (whole) {
    feed(bytes);
  } else {
    for (std::size_t i = 0; i < bytes.size(); ++i) feed(std::string_view(bytes).substr(i, 1));
  }
  return events;
}

void check_plain(std::string_view text, pg::LexOptions options) {
  if (!pg::is_plain_statement(text)) return;
  std::size_t non_empty = 0;
  for (const pg::Statement& statement : scan(text, {}, options)) {
    if (statement.empty) continue;
    ++non_empty;
    SLUICE_FUZZ_CHECK(statement.effects.settings.empty());
    for (const auto& change : statement.effects.state) SLUICE_FUZZ_CHECK(change.name == "unterminated text");
  }
  SLUICE_FUZZ_CHECK(non_empty == 1);
  if (text.find('\0') != std::string_view::npos || text.size() > 4096) return;
  const auto whole = query_events(text, options, true);
  SLUICE_FUZZ_CHECK(whole.size() == 1 && whole[0] == std::make_pair(std::size_t{1}, std::size_t{0}));
  SLUICE_FUZZ_CHECK(query_events(text, options, false) == whole);
}

// What Sluice quotes stays inside the quotes, as its own lexer (and so the server) reads it.
void check_quoting(std::string_view piece, pg::LexOptions options) {
  const std::vector<pg::SessionStateChange> listen{{pg::SessionState::listen, pg::StateChange::add, "x"}};
  auto stays_quoted = [&](const std::string& quoted) {
    const auto statements = pg::scan_statements("SELECT " + quoted + "; LISTEN x", options);
    SLUICE_FUZZ_CHECK(statements.size() == 2);
    SLUICE_FUZZ_CHECK(!statements[0].unterminated);
    SLUICE_FUZZ_CHECK(statements[0].effects.settings.empty());
    SLUICE_FUZZ_CHECK(statements[1].effects.state == listen);
  };
  if (const auto literal = pg::quote_literal(piece, options.encoding)) stays_quoted(*literal);
  if (const auto identifier = pg::quote_identifier(piece, options.encoding)) stays_quoted(*identifier);
}

}  // namespace

int sluice_fuzz_pg_sql_lexer(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const pg::LexOptions options{static_cast<pg::ClientEncoding>(data[0] & 7), (data[0] & 8) == 0};
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  const std::string_view text = fuzz::as_text(bytes);
  const auto cuts = fuzz::cut_points(bytes, 3);
  check_tokens(text, cuts, options);
  check_statements(text, cuts, options);
  check_plain(text, options);
  check_quoting(text, options);
  if (!cuts.empty()) check_quoting(text.substr(0, cuts[0]), options);
  return 0;
}
