// Reading a COM_QUERY's effects on the client's session (session_statement.hpp).
#include "sluice/protocol/mysql/session_statement.hpp"

#include <algorithm>
#include <cctype>
#include <span>

#include "sluice/protocol/mysql/sql_tokens.hpp"

namespace sluice::mysql {

namespace {

using Tokens = std::span<const SqlToken>;

bool is_punctuation(const SqlToken& token, std::string_view text) {
  return token.kind == TokenKind::punctuation && token.text == text;
}

bool followed_by_parenthesis(Tokens tokens, std::size_t at) {
  return at + 1 < tokens.size() && is_punctuation(tokens[at + 1], "(");
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// State anywhere in the statement, by key word or function.
SessionPin pin_by_token(Tokens statement) {
  for (std::size_t i = 0; i < statement.size(); ++i) {
    const auto& token = statement[i];
    if (token.kind == TokenKind::user_variable) return SessionPin::user_variables;
    if (token.is("GET_LOCK") && followed_by_parenthesis(statement, i)) return SessionPin::get_lock;
    if (token.is("SQL_CALC_FOUND_ROWS")) return SessionPin::found_rows;
    if (token.is("FOUND_ROWS") && followed_by_parenthesis(statement, i)) return SessionPin::found_rows;
  }
  return SessionPin::none;
}

// State that the statement's kind says it leaves.
SessionPin pin_by_statement(Tokens statement) {
  const auto& first = statement.front();
  const auto has_word = [&](std::string_view word, std::size_t within) {
    for (std::size_t i = 1; i < statement.size() && i <= within; ++i) {
      if (statement[i].is(word)) return true;
    }
    return false;
  };
  if (first.is("CREATE") && has_word("TEMPORARY", 3)) return SessionPin::temporary_tables;
  if (first.is("LOCK")) return SessionPin::lock_tables;
  if (first.is("FLUSH") && has_word("LOCK", statement.size())) return SessionPin::lock_tables;
  if (first.is("PREPARE") || first.is("EXECUTE") || first.is("DEALLOCATE")) return SessionPin::sql_prepare;
  if (first.is("DROP") && statement.size() > 1 && statement[1].is("PREPARE")) return SessionPin::sql_prepare;
  if (first.is("XA")) return SessionPin::xa;
  if (first.is("HANDLER")) return SessionPin::handler;
  return SessionPin::none;
}

struct SetReading {
  bool understood = false;
  std::vector<std::string> variables;  // session variables set (empty: none, e.g. only GLOBAL)
  bool reads_variables = false;        // a value reads a system variable (@@sql_mode, ...)
};

// SET SESSION TRANSACTION characteristic[, ...]: the session variables it sets, one per
// characteristic, so that an ISOLATION LEVEL and a READ ONLY sent apart both follow the client.
bool read_session_transaction(Tokens characteristics, SetReading& reading) {
  bool any = false;
  for (std::size_t i = 0; i < characteristics.size(); ++i) {
    if (characteristics[i].is("ISOLATION")) {
      reading.variables.push_back("transaction_isolation");
      any = true;
    } else if (characteristics[i].is("READ") && i + 1 < characteristics.size() &&
               (characteristics[i + 1].is("ONLY") || characteristics[i + 1].is("WRITE"))) {
      reading.variables.push_back("transaction_read_only");
      any = true;
    }
  }
  return any;
}

// One assignment of a SET: [SESSION|LOCAL|GLOBAL] name = ..., @@[scope.]name = ..., NAMES ...,
// CHARACTER SET ..., CHARSET ...
bool read_assignment(Tokens assignment, SetReading& reading) {
  if (assignment.empty()) return false;
  const auto& first = assignment.front();
  if (first.is("NAMES") || first.is("CHARSET") ||
      (first.is("CHARACTER") && assignment.size() > 1 && assignment[1].is("SET"))) {
    reading.variables.push_back("names");
    return true;
  }
  std::size_t at = 0;
  bool global = false;
  if (first.is("SESSION") || first.is("LOCAL")) {
    at = 1;
  } else if (first.is("GLOBAL")) {
    at = 1;
    global = true;
  }
  if (at >= assignment.size()) return false;
  std::string name;
  if (assignment[at].kind == TokenKind::system_variable) {
    name = lower(assignment[at].text.substr(2));
    if (name.starts_with("global.")) global = true;
    for (const std::string_view scope : {"session.", "local.", "global."}) {
      if (name.starts_with(scope)) name.erase(0, scope.size());
    }
  } else if (assignment[at].kind == TokenKind::word) {
    name = lower(assignment[at].text);
  } else {
    return false;
  }
  if (name.empty() || at + 1 >= assignment.size()) return false;
  // Spent by the next statement that uses them: replayed on every backend the client moves to,
  // they would be used again there (SET insert_id = N gives two rows id N). Not followed: pinned.
  if (name == "insert_id" || name == "last_insert_id" || name == "rand_seed1" || name == "rand_seed2") return false;
  const auto& op = assignment[at + 1];
  if (!is_punctuation(op, "=") && !is_punctuation(op, ":=")) return false;
  const auto value = assignment.subspan(at + 2);
  if (std::any_of(value.begin(), value.end(), [](const SqlToken& token) { return token.kind == TokenKind::system_variable; })) {
    reading.reads_variables = true;
  }
  if (!global) reading.variables.push_back(std::move(name));
  return true;
}

SetReading read_set(Tokens statement) {
  SetReading reading;
  if (statement.size() < 2) return reading;
  const auto& second = statement[1];
  // Not session state: server-wide, stored in the grant tables, or for one statement only.
  if (second.is("GLOBAL") && statement.size() > 2 && statement[2].is("TRANSACTION")) return {true, {}};
  if (second.is("STATEMENT")) {
    // SET STATEMENT var=value[, ...] FOR inner: the variables last for the inner statement only,
    // but an inner SET changes the session for good, in a shape Sluice does not replay: it pins.
    int depth = 0;
    for (std::size_t i = 2; i + 1 < statement.size(); ++i) {
      if (is_punctuation(statement[i], "(")) ++depth;
      if (is_punctuation(statement[i], ")")) --depth;
      if (depth == 0 && statement[i].is("FOR")) return statement[i + 1].is("SET") ? SetReading{} : SetReading{true, {}};
    }
    return {true, {}};
  }
  if (second.is("PASSWORD") || second.is("DEFAULT") || second.is("PERSIST") || second.is("PERSIST_ONLY")) {
    return {true, {}};
  }
  // SET TRANSACTION (the next transaction only), SET ROLE and the rest: not followed.
  if (second.is("TRANSACTION") || second.is("ROLE")) return reading;
  if (second.is("SESSION") && statement.size() > 2 && statement[2].is("TRANSACTION")) {
    reading.understood = read_session_transaction(statement.subspan(3), reading);
    return reading;
  }
  int depth = 0;
  std::size_t start = 1;
  for (std::size_t i = 1; i <= statement.size(); ++i) {
    if (i < statement.size()) {
      if (is_punctuation(statement[i], "(")) ++depth;
      if (is_punctuation(statement[i], ")")) --depth;
      if (depth != 0 || !is_punctuation(statement[i], ",")) continue;
    }
    if (!read_assignment(statement.subspan(start, i - start), reading)) return SetReading{};
    start = i + 1;
  }
  reading.understood = true;
  return reading;
}

// Statements whose ';'s are their own, as MariaDB's parser reads them: a stored program's
// definition (its body runs later, not now) and a compound statement run outside one.
enum class Compound { none, definition, block };

Compound compound_kind(Tokens statement) {
  const auto& first = statement.front();
  if (first.is("CREATE")) {
    // CREATE [OR REPLACE] [DEFINER = user] [SQL SECURITY ...] [AGGREGATE] PROCEDURE ...
    constexpr std::size_t kWithin = 16;
    for (std::size_t i = 1; i < statement.size() && i <= kWithin; ++i) {
      const auto& word = statement[i];
      if (word.is("PROCEDURE") || word.is("FUNCTION") || word.is("TRIGGER") || word.is("EVENT") ||
          word.is("PACKAGE")) {
        return Compound::definition;
      }
      if (word.is("TABLE") || word.is("VIEW") || word.is("INDEX") || word.is("DATABASE") || word.is("SCHEMA") ||
          word.is("USER") || word.is("ROLE") || word.is("SEQUENCE") || word.is("SERVER")) {
        return Compound::none;
      }
    }
    return Compound::none;
  }
  const bool not_atomic = first.is("BEGIN") && statement.size() > 2 && statement[1].is("NOT") && statement[2].is("ATOMIC");
  // No statement starts with a function call: IF first is the IF statement, even as "IF (".
  const bool flow = first.is("IF") || first.is("CASE") || first.is("LOOP") || first.is("WHILE") || first.is("REPEAT");
  const bool labelled = first.kind == TokenKind::word && statement.size() > 1 && is_punctuation(statement[1], ":");
  return not_atomic || flow || labelled ? Compound::block : Compound::none;
}

// The statements of a text. From a compound statement on, the rest is that one statement.
using Statements = boost::container::small_vector<Tokens, 4>;

Statements split_statements(const SqlTokens& tokens) {
  const Tokens all(tokens.data(), tokens.size());
  Statements statements;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= tokens.size(); ++i) {
    if (i < tokens.size() && !is_punctuation(tokens[i], ";")) continue;
    if (i > start) {
      const auto statement = all.subspan(start, i - start);
      if (compound_kind(statement) != Compound::none) {
        statements.push_back(all.subspan(start));
        return statements;
      }
      statements.push_back(statement);
    }
    start = i + 1;
  }
  return statements;
}

// Whether a compound block (run now) may set session state: any SET in it is not followed.
bool sets_anything(Tokens statement) {
  return std::any_of(statement.begin(), statement.end(), [](const SqlToken& token) { return token.is("SET"); });
}

}  // namespace

std::string_view to_string(SessionPin pin) {
  switch (pin) {
    case SessionPin::none: return "";
    case SessionPin::user_variables: return "user_variables";
    case SessionPin::temporary_tables: return "temporary_tables";
    case SessionPin::get_lock: return "get_lock";
    case SessionPin::lock_tables: return "lock_tables";
    case SessionPin::found_rows: return "found_rows";
    case SessionPin::sql_prepare: return "sql_prepare";
    case SessionPin::xa: return "xa";
    case SessionPin::handler: return "handler";
    case SessionPin::session_variables: return "session_variables";
  }
  return "unknown";
}

namespace {

QueryEffects effects_of(const SqlTokens& tokens) {
  const auto statements = split_statements(tokens);
  QueryEffects effects;
  effects.statement_count = statements.size();
  for (const auto statement : statements) {
    // A compound block may USE or CALL anywhere inside it.
    const bool block = compound_kind(statement) == Compound::block;
    const auto runs = [&](std::string_view word) {
      if (!block) return statement.front().is(word);
      return std::any_of(statement.begin(), statement.end(), [&](const SqlToken& token) { return token.is(word); });
    };
    effects.uses_schema = effects.uses_schema || runs("USE");
    effects.calls_routine = effects.calls_routine || runs("CALL");
    effects.opens_savepoint = effects.opens_savepoint || runs("SAVEPOINT");
    if (!block && (statement.front().is("COMMIT") || statement.front().is("ROLLBACK"))) {
      const bool to_savepoint =
          std::any_of(statement.begin(), statement.end(), [](const SqlToken& token) { return token.is("TO"); });
      if (!to_savepoint) effects.ends_transaction = true;
    }
    // LOAD DATA [LOW_PRIORITY | CONCURRENT] LOCAL INFILE (or LOAD XML): LOCAL before INFILE.
    if (statement.front().is("LOAD")) {
      for (std::size_t i = 1; i + 1 < statement.size() && i < 4; ++i) {
        if (statement[i].is("LOCAL") && statement[i + 1].is("INFILE")) effects.local_infile = true;
      }
    }
  }
  effects.touches_no_table = !statements.empty() && std::all_of(statements.begin(), statements.end(), [](Tokens statement) {
    const bool reads_only = statement.front().is("SELECT") || statement.front().is("DO") || statement.front().is("SHOW");
    return reads_only &&
           std::none_of(statement.begin(), statement.end(), [](const SqlToken& token) { return token.is("FROM"); });
  });
  const auto pinned = [&effects](SessionPin pin) {
    effects.pin = pin;
    return effects;
  };
  for (const auto statement : statements) {
    const auto compound = compound_kind(statement);
    if (compound == Compound::definition) continue;  // defines a program: nothing runs now
    if (auto pin = pin_by_token(statement); pin != SessionPin::none) return pinned(pin);
    if (auto pin = pin_by_statement(statement); pin != SessionPin::none) return pinned(pin);
    if (compound == Compound::block && sets_anything(statement)) return pinned(SessionPin::session_variables);
  }
  for (const auto statement : statements) {
    if (!statement.front().is("SET")) continue;
    // Among other statements Sluice cannot tell which ran: not followed.
    if (statements.size() != 1) return pinned(SessionPin::session_variables);
    if (statement.size() > 1 && statement[1].is("TRANSACTION")) {
      effects.next_transaction = true;
      return effects;
    }
    auto reading = read_set(statement);
    if (!reading.understood) return pinned(SessionPin::session_variables);
    if (reading.variables.empty()) return effects;
    effects.setting_reads_variables = reading.reads_variables;
    std::sort(reading.variables.begin(), reading.variables.end());
    reading.variables.erase(std::unique(reading.variables.begin(), reading.variables.end()), reading.variables.end());
    std::string key;
    for (const auto& variable : reading.variables) key += (key.empty() ? "" : ",") + variable;
    effects.setting = std::move(key);
  }
  return effects;
}

bool same_effects(const QueryEffects& a, const QueryEffects& b) {
  return a.pin == b.pin && a.setting == b.setting && a.setting_reads_variables == b.setting_reads_variables &&
         a.uses_schema == b.uses_schema && a.calls_routine == b.calls_routine && a.local_infile == b.local_infile &&
         a.next_transaction == b.next_transaction;
}

// `other`, a reading of the same text under other rules, folded into `effects`: where the two
// disagree, the text's effects are not known, and it pins (a false pin is the safe mistake).
void fold_reading(QueryEffects& effects, const QueryEffects& other) {
  // Fewer statements: the server refuses stacked ones itself when the client may not send them.
  effects.statement_count = std::min(effects.statement_count, other.statement_count);
  // What the text does to the transaction: the cautious reading of the two (keeps a backend longer).
  effects.opens_savepoint = effects.opens_savepoint || other.opens_savepoint;
  effects.ends_transaction = effects.ends_transaction && other.ends_transaction;
  effects.touches_no_table = effects.touches_no_table && other.touches_no_table;
  if (same_effects(effects, other)) return;
  if (effects.pin == SessionPin::none) effects.pin = other.pin != SessionPin::none ? other.pin : SessionPin::session_variables;
  effects.setting.reset();
  effects.setting_reads_variables = false;
  effects.next_transaction = false;
  effects.uses_schema = effects.uses_schema || other.uses_schema;
  effects.calls_routine = effects.calls_routine || other.calls_routine;
  effects.local_infile = effects.local_infile || other.local_infile;
}

}  // namespace

QueryEffects read_query_effects(std::string_view sql, bool maybe_two_byte_charset) {
  if (auto plain = plain_query_effects(sql)) return *plain;
  return read_query_effects_tokenized(sql, maybe_two_byte_charset);
}

QueryEffects read_query_effects_tokenized(std::string_view sql, bool maybe_two_byte_charset) {
  auto effects = effects_of(tokenize_sql(sql));
  // Only a backslash reads differently under another sql_mode or character set, and which one is
  // in force is not always known (a server-wide NO_BACKSLASH_ESCAPES needs no SET): every reading
  // the text may have must agree.
  if (sql.find('\\') == std::string_view::npos) return effects;
  std::vector<LexRules> others{LexRules{.ansi_quotes = true}, LexRules{.backslash_escapes = false}};
  if (maybe_two_byte_charset) {
    others.push_back(LexRules{.two_byte_characters = true});
    others.push_back(LexRules{.ansi_quotes = true, .two_byte_characters = true});
  }
  for (const auto& rules : others) fold_reading(effects, effects_of(tokenize_sql(sql, rules)));
  return effects;
}

bool SessionSettings::record(const std::string& key, std::string_view sql, bool builds_on_earlier) {
  cumulative_ = cumulative_ || builds_on_earlier;
  if (!builds_on_earlier) {  // replaces every earlier SET of the same variables
    for (std::size_t i = keys_.size(); i-- > 0;) {
      if (keys_[i] != key) continue;
      keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
      statements_.erase(statements_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  if (keys_.size() == kMaxSettings) return false;
  keys_.push_back(key);
  statements_.emplace_back(sql);
  return true;
}

void SessionSettings::clear() {
  keys_.clear();
  statements_.clear();
  cumulative_ = false;
}

}  // namespace sluice::mysql
