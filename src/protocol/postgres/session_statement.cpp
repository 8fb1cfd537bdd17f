#include "sluice/protocol/postgres/session_statement.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "sluice/protocol/postgres/sql_quote.hpp"
#include "statement_reading.hpp"

namespace sluice::pg {

using namespace statement_reading;

bool StatementEffects::pins() const {
  return std::any_of(state.begin(), state.end(),
                     [](const SessionStateChange& change) { return change.change == StateChange::add; });
}

// ---------------------------------------------------------------------------------------------
// Held tokens' text.

std::string_view StatementClassifier::text_of(const Held& token) const {
  return std::string_view(text_).substr(token.text_at, token.text_size);
}

std::optional<std::string> StatementClassifier::portable_text(const Held& token) const {
  if (!token.complete) return std::nullopt;
  return portable_literal(token.kind, text_of(token), options_);
}

// The value tokens, one space where the client had whitespace or comments between them (or
// where a token is written differently from the client's text).
std::optional<std::string> StatementClassifier::value_text(std::span<const Held> tokens) const {
  if (tokens.empty()) return std::nullopt;
  std::string value;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    auto text = portable_text(tokens[i]);
    if (!text || text->size() >= kMaxTokenText) return std::nullopt;
    // A token written differently (E'' for '') must not run into the one before it ("ee''" is
    // a word and a string; "eeE''" would be one word).
    const bool rewritten = *text != text_of(tokens[i]);
    if (i > 0 && (tokens[i].begin != tokens[i - 1].end || rewritten)) value.push_back(' ');
    value += *text;
    if (value.size() > kMaxSettingValue) return std::nullopt;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Tokens as they come.

void StatementClassifier::add(const Token& token) {
  ++token_count_;
  if (!token.terminated) unterminated_ = true;
  hold(token);
  watch(token);
}

void StatementClassifier::hold(const Token& token) {
  if (!held_all_) return;
  if (held_.size() == kMaxHeldTokens || text_.size() + token.text.size() > kMaxHeldText) {
    held_all_ = false;
    return;
  }
  held_.push_back(Held{token.kind, token.begin, token.end, static_cast<std::uint32_t>(text_.size()),
                       static_cast<std::uint32_t>(token.text.size()), !token.truncated && token.terminated});
  text_ += token.text;
}

// Patterns that matter wherever they are in a statement, however long it is.
void StatementClassifier::watch(const Token& token) {
  if (in_set_config_) watch_set_config(token);
  Recent current;
  current.kind = token.kind;
  std::string_view name = token.text;
  if (token.kind == TokenKind::quoted_identifier && name.size() >= 2 && name.front() == '"') {
    name = name.substr(1, name.size() - 2);
  }
  if (name.size() < sizeof current.name) {
    std::memcpy(current.name, name.data(), name.size());
    current.size = static_cast<std::uint8_t>(name.size());
  }
  const bool is_name = token.kind == TokenKind::word || token.kind == TokenKind::quoted_identifier;
  const std::string_view word = current.view();
  if (is_name && (word == "pg_temp" || word.starts_with("pg_temp_"))) {
    names_pg_temp_ = true;
    if (recent_[0].view() == "into") into_temp_ = true;  // SELECT ... INTO pg_temp.name
  }
  if (token.kind == TokenKind::word && (word == "temp" || word == "temporary")) {
    // SELECT ... INTO [GLOBAL|LOCAL] TEMP[ORARY] [TABLE] name
    const bool scoped = recent_[0].view() == "global" || recent_[0].view() == "local";
    if (recent_[0].view() == "into" || (scoped && recent_[1].view() == "into")) into_temp_ = true;
  }
  if (token.kind == TokenKind::word && word == "drop" && recent_[0].view() == "commit" &&
      recent_[1].view() == "on") {
    on_commit_drop_ = true;
  }
  if (token.is_symbol('(')) watch_function_call();
  recent_[2] = recent_[1];
  recent_[1] = recent_[0];
  recent_[0] = current;
}

// "name(" where name is one of kSessionFunctions, unqualified or qualified by anything (only
// set_config insists on pg_catalog: another schema's set_config is someone else's function).
void StatementClassifier::watch_function_call() {
  const Recent& callee = recent_[0];
  if (callee.kind != TokenKind::word && callee.kind != TokenKind::quoted_identifier) return;
  const SessionFunction* function = find_session_function(callee.view());
  if (function == nullptr) return;
  const bool qualified = recent_[1].kind == TokenKind::symbol && recent_[1].view() == ".";
  switch (function->effect) {
    case FunctionEffect::advisory_lock: advisory_lock_ = true; break;
    case FunctionEffect::advisory_unlock_all: advisory_unlock_all_ = true; break;
    case FunctionEffect::unknown: unknown_calls_.emplace_back(function->name); break;
    case FunctionEffect::set_config:
      if (qualified && recent_[2].view() != "pg_catalog") break;
      if (in_set_config_) break;  // one inside another's arguments: the outer one is not literal
      in_set_config_ = true;
      set_config_depth_ = 1;
      set_config_literal_ = true;
      set_config_args_.assign(1, {});
      set_config_kinds_.assign(1, {});
      break;
  }
}

void StatementClassifier::watch_set_config(const Token& token) {
  if (token.is_symbol('(')) {
    ++set_config_depth_;
    set_config_literal_ = false;
  } else if (token.is_symbol(')')) {
    if (--set_config_depth_ == 0) end_set_config();
  } else if (token.is_symbol(',') && set_config_depth_ == 1) {
    set_config_args_.emplace_back();
    set_config_kinds_.emplace_back();
  } else if (set_config_depth_ > 1 || token.truncated || !token.terminated ||
             set_config_args_.back().size() == kMaxSetConfigTokens) {
    set_config_literal_ = false;
  } else {
    set_config_args_.back().emplace_back(token.text);
    set_config_kinds_.back().push_back(token.kind);
  }
}

// set_config('name', value, false) with literals: a setting; with true: local to the transaction;
// anything else: Sluice cannot tell what it set, so it pins.
void StatementClassifier::end_set_config() {
  in_set_config_ = false;
  const bool shaped = set_config_literal_ && set_config_args_.size() == 3 &&
                      std::all_of(set_config_args_.begin(), set_config_args_.end(),
                                  [](const auto& arg) { return arg.size() == 1; });
  if (!shaped) {
    unknown_calls_.emplace_back("set_config");
    return;
  }
  const std::string_view is_local = set_config_args_[2][0];
  if (set_config_kinds_[2][0] == TokenKind::word && is_local == "true") return;
  std::optional<std::string> name;
  const std::string_view name_text = set_config_args_[0][0];
  switch (set_config_kinds_[0][0]) {
    case TokenKind::string:  // N'...' has a prefix: not read
      name = string_contents(name_text, options_.encoding, !options_.standard_conforming_strings);
      break;
    case TokenKind::escape_string: name = string_contents(name_text.substr(1), options_.encoding, true); break;
    case TokenKind::dollar_string: name = dollar_string_contents(name_text); break;
    default: break;
  }
  const TokenKind value_kind = set_config_kinds_[1][0];
  const bool literal_value = is_string_kind(value_kind) || value_kind == TokenKind::number ||
                             (value_kind == TokenKind::word && set_config_args_[1][0] == "null");
  const bool session_wide = set_config_kinds_[2][0] == TokenKind::word && is_local == "false";
  std::optional<std::string> value_text;
  if (literal_value) value_text = portable_literal(value_kind, set_config_args_[1][0], options_);
  if (!name || name->empty() || name->size() > kMaxSettingName || !value_text ||
      value_text->size() >= kMaxTokenText || !session_wide) {
    unknown_calls_.emplace_back("set_config");
    return;
  }
  set_configs_.push_back(
      SettingChange{SettingAction::set, SettingSyntax::set_config, ascii_lower(*name), std::move(*value_text)});
}

// ---------------------------------------------------------------------------------------------
// The statement is complete.

StatementEffects StatementClassifier::finish() {
  StatementEffects effects;
  if (token_count_ > 0) {
    if (in_set_config_) unknown_calls_.emplace_back("set_config");  // never closed
    classify(held_, effects, false);
    Reader reader(*this, held_);
    const std::string_view head = held_.empty() ? std::string_view{}
                                  : reader.symbol(0, '(')   ? std::string_view("(")
                                  : held_[0].kind == TokenKind::word ? reader.text(0)
                                                                     : std::string_view{};
    apply_watched(head, effects);
    if (unterminated_) effects.state.push_back(unknown_state("unterminated text"));
    // Put clears and removals first: a statement that does both ends holding the state.
    std::stable_partition(effects.state.begin(), effects.state.end(),
                          [](const SessionStateChange& change) { return change.change != StateChange::add; });
  }
  clear();
  return effects;
}

// Ready for the next statement; buffers keep their capacity.
void StatementClassifier::clear() {
  held_.clear();
  text_.clear();
  held_all_ = true;
  token_count_ = 0;
  unterminated_ = false;
  for (Recent& recent : recent_) recent = Recent{};
  advisory_lock_ = advisory_unlock_all_ = false;
  into_temp_ = names_pg_temp_ = on_commit_drop_ = false;
  set_configs_.clear();
  unknown_calls_.clear();
  in_set_config_ = false;
  set_config_depth_ = 0;
  set_config_literal_ = true;
  set_config_args_.clear();
  set_config_kinds_.clear();
}

void StatementClassifier::apply_watched(std::string_view head, StatementEffects& effects) {
  Reader reader(*this, held_);
  std::size_t after_create = 1;
  if (reader.word(1, "or") && reader.word(2, "replace")) after_create = 3;
  // A routine's body and defaults run later, when it is called: nothing in it counts now. A SET
  // or RESET runs no function at all (its grammar takes names and constants only).
  const bool defines_routine = head == "create" && (reader.word(after_create, "function") ||
                                                    reader.word(after_create, "procedure"));
  const bool runs_functions = !defines_routine && head != "set" && head != "reset";
  if (runs_functions) {
    if (advisory_unlock_all_) effects.state.push_back(state_change(SessionState::advisory_lock, StateChange::clear));
    if (advisory_lock_) effects.state.push_back(state_change(SessionState::advisory_lock, StateChange::add));
    for (auto& setting : set_configs_) effects.settings.push_back(std::move(setting));
    for (auto& call : unknown_calls_) effects.state.push_back(unknown_state(call + "()"));
  }
  const bool selects = head == "select" || head == "with" || head == "(" || head == "explain";
  const bool added_temporary = std::any_of(effects.state.begin(), effects.state.end(), [](const auto& change) {
    return change.state == SessionState::temporary_objects && change.change == StateChange::add;
  });
  if (!added_temporary && ((into_temp_ && selects) || (names_pg_temp_ && (head == "create" || head == "explain")))) {
    // A table or routine created in pg_temp by name can be dropped by name; anything else stays.
    std::optional<CreatedObject> object;
    if (head == "create") object = created_object(held_, after_create);
    const bool named = object && object->in_temporary_schema;
    effects.state.push_back(state_change(SessionState::temporary_objects, StateChange::add,
                                         named ? std::move(object->key) : std::string()));
  }
  for (const SettingChange& setting : effects.settings) {
    // pg_temp first in search_path makes CREATE TABLE temporary.
    if (setting.action == SettingAction::set && setting.name == "search_path" &&
        contains_ignoring_case(setting.value, "pg_temp")) {
      effects.state.push_back(state_change(SessionState::temporary_objects, StateChange::add));
      break;
    }
  }
}

void StatementClassifier::classify(std::span<const Held> tokens, StatementEffects& effects, bool nested) {
  using Handler = void (StatementClassifier::*)(std::span<const Held>, StatementEffects&) const;
  static constexpr std::pair<std::string_view, Handler> kHandlers[] = {
      {"set", &StatementClassifier::classify_set},
      {"reset", &StatementClassifier::classify_reset},
      {"listen", &StatementClassifier::classify_listen},
      {"unlisten", &StatementClassifier::classify_unlisten},
      {"create", &StatementClassifier::classify_create},
      {"drop", &StatementClassifier::classify_drop},
      {"alter", &StatementClassifier::classify_alter},
      {"declare", &StatementClassifier::classify_declare},
      {"close", &StatementClassifier::classify_close},
      {"prepare", &StatementClassifier::classify_prepare},
      {"deallocate", &StatementClassifier::classify_deallocate},
      {"discard", &StatementClassifier::classify_discard},
  };
  if (tokens.empty() || tokens[0].kind != TokenKind::word) return;
  const std::string_view head = text_of(tokens[0]);
  for (const auto& [key_word, handler] : kHandlers) {
    if (head == key_word) return (this->*handler)(tokens, effects);
  }
  if (head == "do" || head == "load") {
    effects.state.push_back(unknown_state(head == "do" ? "DO" : "LOAD"));
  } else if (head == "explain" && !nested) {
    classify_explain(tokens, effects);
  }
}

// ---------------------------------------------------------------------------------------------
// Statements of a text.

std::span<const Statement> StatementScanner::feed(std::string_view chunk) {
  done_.clear();
  lexer_.feed(chunk, *this);
  return done_;
}

std::span<const Statement> StatementScanner::finish() {
  done_.clear();
  lexer_.finish(*this);
  if (lexer_.offset() > statement_begin_) end_statement(lexer_.offset());
  return done_;
}

void StatementScanner::reset(LexOptions options) {
  lexer_ = SqlLexer(options);
  classifier_ = StatementClassifier(options);
  statement_begin_ = 0;
  done_.clear();
}

void StatementScanner::on_token(const Token& token) {
  if (token.is_symbol(';')) return end_statement(token.end);
  classifier_.add(token);
}

void StatementScanner::end_statement(std::size_t end) {
  Statement statement;
  statement.begin = statement_begin_;
  statement.end = end;
  statement.empty = classifier_.empty();
  statement.unterminated = classifier_.unterminated();
  statement.effects = classifier_.finish();
  done_.push_back(std::move(statement));
  statement_begin_ = end;
}

std::vector<Statement> scan_statements(std::string_view text, LexOptions options) {
  StatementScanner scanner(options);
  std::vector<Statement> statements;
  for (const Statement& statement : scanner.feed(text)) statements.push_back(statement);
  for (const Statement& statement : scanner.finish()) statements.push_back(statement);
  return statements;
}

// ---------------------------------------------------------------------------------------------
// Replaying a setting.

std::optional<std::string> setting_statement(const SettingChange& change, ClientEncoding encoding) {
  if (change.action == SettingAction::reset_all) return std::string("RESET ALL");
  if (change.name.find('\0') != std::string::npos || change.value.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  const auto name = quote_identifier(change.name, encoding);
  if (!name) return std::nullopt;
  if (change.action == SettingAction::reset) return "RESET " + *name;
  if (change.value.empty()) return std::nullopt;
  switch (change.syntax) {
    case SettingSyntax::generic: return "SET " + *name + " TO " + change.value;
    case SettingSyntax::time_zone: return "SET TIME ZONE " + change.value;
    case SettingSyntax::role: return "SET ROLE " + change.value;
    case SettingSyntax::session_authorization: return "SET SESSION AUTHORIZATION " + change.value;
    case SettingSyntax::set_config: {
      const auto literal = quote_literal(change.name, encoding);
      if (!literal) return std::nullopt;
      return "SELECT pg_catalog.set_config(" + *literal + ", " + change.value + ", false)";
    }
  }
  return std::nullopt;
}

}  // namespace sluice::pg
