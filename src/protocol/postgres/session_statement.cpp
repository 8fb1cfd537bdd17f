#include "sluice/protocol/postgres/session_statement.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "sluice/protocol/postgres/sql_quote.hpp"

namespace sluice::pg {

namespace {

// A statement's first tokens are kept for its key words; the rest is only watched for patterns.
constexpr std::size_t kMaxHeldTokens = 256;
constexpr std::size_t kMaxHeldText = 16 * 1024;
// A setting longer than these is not replayed: the statement pins instead. A replayed setting is
// read back by the same lexer (one token of the value, quoted or re-escaped, stays under
// kMaxTokenText), which is what keeps it the same setting.
constexpr std::size_t kMaxSettingName = 1024;
constexpr std::size_t kMaxSettingValue = 8 * 1024;
// Tokens of a set_config( call's arguments kept before it counts as not literal.
constexpr std::size_t kMaxSetConfigTokens = 16;

// Parameters SET may name that belong to the transaction, not the session.
constexpr std::string_view kTransactionSettings[] = {"transaction_isolation", "transaction_read_only",
                                                     "transaction_deferrable"};

// Functions whose effect outlives the transaction that calls them.
enum class FunctionEffect : std::uint8_t { advisory_lock, advisory_unlock_all, set_config, unknown };
struct SessionFunction {
  std::string_view name;
  FunctionEffect effect;
};
constexpr SessionFunction kSessionFunctions[] = {
    {"pg_advisory_lock", FunctionEffect::advisory_lock},
    {"pg_advisory_lock_shared", FunctionEffect::advisory_lock},
    {"pg_try_advisory_lock", FunctionEffect::advisory_lock},  // may not get it: pin anyway
    {"pg_try_advisory_lock_shared", FunctionEffect::advisory_lock},
    {"pg_advisory_unlock_all", FunctionEffect::advisory_unlock_all},
    {"set_config", FunctionEffect::set_config},
    {"dblink_connect", FunctionEffect::unknown},  // a named connection held by the backend
    {"dblink_connect_u", FunctionEffect::unknown},
};

const SessionFunction* find_session_function(std::string_view name) {
  for (const auto& function : kSessionFunctions) {
    if (function.name == name) return &function;
  }
  return nullptr;
}

bool is_transaction_setting(std::string_view name) {
  return std::find(std::begin(kTransactionSettings), std::end(kTransactionSettings), name) !=
         std::end(kTransactionSettings);
}

bool is_string_kind(TokenKind kind) {
  return kind == TokenKind::string || kind == TokenKind::escape_string || kind == TokenKind::unicode_string ||
         kind == TokenKind::bit_string || kind == TokenKind::dollar_string;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool contains_ignoring_case(std::string_view text, std::string_view lower_needle) {
  return ascii_lower(text).find(lower_needle) != std::string::npos;
}

// "name" -> name, "" -> ", read a character of `encoding` at a time (as the lexer did: a
// trailing byte 0x22 is part of its character). U&"..." and anything malformed -> nullopt.
std::optional<std::string> unquote_identifier(std::string_view text, ClientEncoding encoding) {
  if (text.size() < 3 || text.front() != '"' || text.back() != '"') return std::nullopt;
  std::string name;
  const std::string_view inner = text.substr(1, text.size() - 2);
  for (std::size_t i = 0; i < inner.size();) {
    const std::size_t length = std::min(character_length(inner, i, encoding), inner.size() - i);
    name.append(inner.substr(i, length));
    i += length == 1 && inner[i] == '"' ? 2 : length;  // the second quote of ""
  }
  return name;
}

// The contents of a '...' literal, read a character of `encoding` at a time (a trailing byte is
// never a quote or a backslash). Without escapes only '' means a quote; with them, the two
// escapes quote_literal writes (\\ and \') are read too, and any other escape gives nullopt, as
// does a continued string ('a'\n'b').
std::optional<std::string> string_contents(std::string_view quoted, ClientEncoding encoding, bool escapes) {
  if (quoted.size() < 2 || quoted.front() != '\'' || quoted.back() != '\'') return std::nullopt;
  std::string contents;
  const std::string_view inner = quoted.substr(1, quoted.size() - 2);
  for (std::size_t i = 0; i < inner.size();) {
    const std::size_t length = character_length(inner, i, encoding);
    if (length > inner.size() - i) return std::nullopt;
    const char c = inner[i];
    if (length == 1 && (c == '\'' || (escapes && c == '\\'))) {
      if (i + 1 >= inner.size()) return std::nullopt;
      const char next = inner[i + 1];
      if (next != '\'' && !(c == '\\' && next == '\\')) return std::nullopt;
      contents.push_back(next);
      i += 2;
      continue;
    }
    contents.append(inner.substr(i, length));
    i += length;
  }
  return contents;
}

// $tag$contents$tag$ -> contents.
std::optional<std::string> dollar_string_contents(std::string_view text) {
  const std::size_t open_end = text.find('$', 1);
  if (open_end == std::string_view::npos) return std::nullopt;
  const std::size_t delimiter = open_end + 1;
  if (text.size() < 2 * delimiter) return std::nullopt;
  return std::string(text.substr(delimiter, text.size() - 2 * delimiter));
}

// A token's text as it must be replayed to mean the same whatever standard_conforming_strings
// the backend has then (see SettingChange::value).
std::optional<std::string> portable_literal(TokenKind kind, std::string_view text, const LexOptions& options) {
  if (kind != TokenKind::string) return std::string(text);
  if (text.front() == 'n' || text.front() == 'N') return std::nullopt;  // N'...' in a setting: not worth the care
  // Without a backslash byte a string means the same whichever way it is read: keep it as the
  // client wrote it, so a setting Sluice writes itself ('repeatable read') reads back unchanged.
  if (text.find('\\') == std::string_view::npos) return std::string(text);
  if (!options.standard_conforming_strings) return "E" + std::string(text);  // it was read with escapes
  auto doubled = double_backslashes(text, options.encoding);
  if (!doubled) return std::nullopt;
  return "E" + *doubled;
}

SessionStateChange state_change(SessionState state, StateChange change, std::string name = {}) {
  return SessionStateChange{state, change, std::move(name)};
}

SessionStateChange unknown_state(std::string what) {
  return state_change(SessionState::unknown, StateChange::add, std::move(what));
}

}  // namespace

bool StatementEffects::pins() const {
  return std::any_of(state.begin(), state.end(),
                     [](const SessionStateChange& change) { return change.change == StateChange::add; });
}

// ---------------------------------------------------------------------------------------------
// Reading held tokens.

class StatementClassifier::Reader {
 public:
  Reader(const StatementClassifier& classifier, std::span<const Held> tokens)
      : classifier_(classifier), tokens_(tokens) {}

  std::size_t size() const { return tokens_.size(); }
  bool at_end(std::size_t i) const { return i >= tokens_.size(); }
  TokenKind kind(std::size_t i) const { return tokens_[i].kind; }
  std::string_view text(std::size_t i) const { return classifier_.text_of(tokens_[i]); }

  bool word(std::size_t i, std::string_view lower) const {
    return i < size() && tokens_[i].kind == TokenKind::word && text(i) == lower;
  }
  bool symbol(std::size_t i, char c) const {
    return i < size() && tokens_[i].kind == TokenKind::symbol && text(i).size() == 1 && text(i)[0] == c;
  }
  // TO or =, as in SET name TO value.
  bool assignment(std::size_t i) const { return word(i, "to") || symbol(i, '='); }

  // An identifier as PostgreSQL names it: a word (already lower-cased) or a "quoted" one.
  std::optional<std::string> name(std::size_t i) const {
    if (i >= size() || !tokens_[i].complete) return std::nullopt;
    if (tokens_[i].kind == TokenKind::word) return std::string(text(i));
    if (tokens_[i].kind == TokenKind::quoted_identifier) {
      return unquote_identifier(text(i), classifier_.options_.encoding);
    }
    return std::nullopt;
  }
  // var_name: name ['.' name ...], joined by dots; `next` is the index after it.
  std::optional<std::string> dotted_name(std::size_t i, std::size_t& next) const {
    auto joined = name(i);
    if (!joined) return std::nullopt;
    next = i + 1;
    while (symbol(next, '.')) {
      auto part = name(next + 1);
      if (!part) return std::nullopt;
      *joined += '.' + *part;
      next += 2;
    }
    if (joined->size() > kMaxSettingName) return std::nullopt;
    return joined;
  }
  // A name that is the whole rest of the statement from i.
  std::optional<std::string> last_name(std::size_t i) const {
    if (size() != i + 1) return std::nullopt;
    return name(i);
  }

 private:
  const StatementClassifier& classifier_;
  std::span<const Held> tokens_;
};

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
  if (is_name && (word == "pg_temp" || word.starts_with("pg_temp_"))) names_pg_temp_ = true;
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
  if ((into_temp_ && selects) || (names_pg_temp_ && (selects || head == "create"))) {
    effects.state.push_back(state_change(SessionState::temporary_objects, StateChange::add));
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
// One handler per leading key word.

// SET [SESSION | LOCAL] ... (gram.y's VariableSetStmt and set_rest).
void StatementClassifier::classify_set(std::span<const Held> tokens, StatementEffects& effects) const {
  if (!held_all_) return effects.state.push_back(unknown_state("SET"));
  const Reader r(*this, tokens);
  std::size_t i = 1;
  if (r.word(i, "local")) return;  // ends with the transaction
  const bool characteristics = r.word(i + 1, "characteristics") && r.word(i + 2, "as");
  if (r.word(i, "session") && !r.word(i + 1, "authorization") && !characteristics) ++i;  // the default scope

  auto special = [&](SettingSyntax syntax, std::string name, std::size_t from) {
    auto value = value_text(tokens.subspan(std::min(from, tokens.size())));
    if (!value) return effects.state.push_back(unknown_state("SET"));
    effects.settings.push_back(SettingChange{SettingAction::set, syntax, std::move(name), std::move(*value)});
  };
  if (!r.assignment(i + 1)) {
    if (r.word(i, "transaction") || r.word(i, "constraints") || r.word(i, "catalog")) return;
    if (r.word(i, "session") && r.word(i + 1, "characteristics") && r.word(i + 2, "as") &&
        r.word(i + 3, "transaction")) {
      return classify_characteristics(tokens.subspan(i + 4), effects);
    }
    if (r.word(i, "session") && r.word(i + 1, "authorization")) {
      return special(SettingSyntax::session_authorization, "session_authorization", i + 2);
    }
    if (r.word(i, "time") && r.word(i + 1, "zone")) return special(SettingSyntax::time_zone, "timezone", i + 2);
    if (r.word(i, "role")) return special(SettingSyntax::role, "role", i + 1);
    if (r.word(i, "xml") && r.word(i + 1, "option")) return special(SettingSyntax::generic, "xmloption", i + 2);
    if (r.word(i, "names")) {  // SET NAMES [value]: no value is the default
      if (r.at_end(i + 1)) {
        effects.settings.push_back(SettingChange{SettingAction::set, SettingSyntax::generic, "client_encoding", "default"});
        return;
      }
      return special(SettingSyntax::generic, "client_encoding", i + 1);
    }
    if (r.word(i, "schema") && r.size() == i + 2 && r.kind(i + 1) == TokenKind::string) {
      return special(SettingSyntax::generic, "search_path", i + 1);
    }
  }
  std::size_t next = 0;
  const auto name = r.dotted_name(i, next);
  if (name && r.word(next, "from") && r.word(next + 1, "current") && r.at_end(next + 2)) return;
  if (!name || !r.assignment(next)) return effects.state.push_back(unknown_state("SET"));
  if (is_transaction_setting(*name)) return;
  special(SettingSyntax::generic, *name, next + 1);
}

// SET SESSION CHARACTERISTICS AS TRANSACTION mode [, ...]: the session's defaults for later
// transactions, which are three ordinary settings.
void StatementClassifier::classify_characteristics(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  std::vector<SettingChange> settings;
  auto set = [&](std::string_view name, std::string_view value) {
    settings.push_back(SettingChange{SettingAction::set, SettingSyntax::generic, std::string(name), std::string(value)});
  };
  std::size_t i = 0;
  while (!r.at_end(i)) {
    if (r.symbol(i, ',')) {
      ++i;
    } else if (r.word(i, "isolation") && r.word(i + 1, "level")) {
      i += 2;
      if (r.word(i, "serializable")) {
        set("default_transaction_isolation", "'serializable'");
        i += 1;
      } else if (r.word(i, "repeatable") && r.word(i + 1, "read")) {
        set("default_transaction_isolation", "'repeatable read'");
        i += 2;
      } else if (r.word(i, "read") && (r.word(i + 1, "committed") || r.word(i + 1, "uncommitted"))) {
        set("default_transaction_isolation", r.word(i + 1, "committed") ? "'read committed'" : "'read uncommitted'");
        i += 2;
      } else {
        return effects.state.push_back(unknown_state("SET SESSION CHARACTERISTICS"));
      }
    } else if (r.word(i, "read") && (r.word(i + 1, "only") || r.word(i + 1, "write"))) {
      set("default_transaction_read_only", r.word(i + 1, "only") ? "on" : "off");
      i += 2;
    } else if (r.word(i, "deferrable")) {
      set("default_transaction_deferrable", "on");
      i += 1;
    } else if (r.word(i, "not") && r.word(i + 1, "deferrable")) {
      set("default_transaction_deferrable", "off");
      i += 2;
    } else {
      return effects.state.push_back(unknown_state("SET SESSION CHARACTERISTICS"));
    }
  }
  if (settings.empty()) return effects.state.push_back(unknown_state("SET SESSION CHARACTERISTICS"));
  for (auto& setting : settings) effects.settings.push_back(std::move(setting));
}

// RESET name | ALL | TIME ZONE | SESSION AUTHORIZATION | TRANSACTION ISOLATION LEVEL.
void StatementClassifier::classify_reset(std::span<const Held> tokens, StatementEffects& effects) const {
  if (!held_all_) return effects.state.push_back(unknown_state("RESET"));
  const Reader r(*this, tokens);
  auto reset = [&](std::string name) {
    effects.settings.push_back(SettingChange{SettingAction::reset, SettingSyntax::generic, std::move(name), {}});
  };
  if (r.word(1, "all") && r.size() == 2) {
    effects.settings.push_back(SettingChange{SettingAction::reset_all, SettingSyntax::generic, {}, {}});
    return;
  }
  if (r.word(1, "time") && r.word(2, "zone") && r.size() == 3) return reset("timezone");
  if (r.word(1, "session") && r.word(2, "authorization") && r.size() == 3) return reset("session_authorization");
  if (r.word(1, "transaction") && r.word(2, "isolation") && r.word(3, "level")) return;
  std::size_t next = 0;
  const auto name = r.dotted_name(1, next);
  if (!name || !r.at_end(next)) return effects.state.push_back(unknown_state("RESET"));
  if (is_transaction_setting(*name)) return;
  reset(*name);
}

void StatementClassifier::classify_listen(std::span<const Held> tokens, StatementEffects& effects) const {
  const auto channel = Reader(*this, tokens).last_name(1);
  effects.state.push_back(channel ? state_change(SessionState::listen, StateChange::add, *channel)
                                  : unknown_state("LISTEN"));
}

// UNLISTEN channel | *. Anything else removes nothing (and pins nothing: it adds no state).
void StatementClassifier::classify_unlisten(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  if (r.symbol(1, '*') && r.size() == 2) {
    effects.state.push_back(state_change(SessionState::listen, StateChange::clear));
  } else if (const auto channel = r.last_name(1)) {
    effects.state.push_back(state_change(SessionState::listen, StateChange::remove, *channel));
  }
}

// CREATE [OR REPLACE] [GLOBAL | LOCAL] {TEMP | TEMPORARY} ...: a table, view or sequence that
// lives as long as the session, unless a table is dropped at commit (it ends with the transaction).
void StatementClassifier::classify_create(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  std::size_t i = 1;
  if (r.word(i, "or") && r.word(i + 1, "replace")) i += 2;
  if (r.word(i, "global") || r.word(i, "local")) ++i;
  if (!r.word(i, "temp") && !r.word(i, "temporary")) return;
  if (r.word(i + 1, "table") && on_commit_drop_) return;
  effects.state.push_back(state_change(SessionState::temporary_objects, StateChange::add));
}

// DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR [{WITH | WITHOUT} HOLD] FOR query
void StatementClassifier::classify_declare(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  const auto name = r.name(1);
  bool hold = false, reached_for = false;
  for (std::size_t i = 2; i < r.size() && !reached_for; ++i) {
    reached_for = r.word(i, "for");
    if (r.word(i, "with") && r.word(i + 1, "hold")) hold = true;
  }
  if (!reached_for && !held_all_) hold = true;  // its options went past what was kept: assume the worst
  if (!hold) return;
  effects.state.push_back(name ? state_change(SessionState::hold_cursor, StateChange::add, *name)
                               : unknown_state("DECLARE"));
}

// CLOSE name | ALL
void StatementClassifier::classify_close(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  if (r.word(1, "all") && r.size() == 2) {
    effects.state.push_back(state_change(SessionState::hold_cursor, StateChange::clear));
  } else if (const auto name = r.last_name(1)) {
    effects.state.push_back(state_change(SessionState::hold_cursor, StateChange::remove, *name));
  }
}

// PREPARE name [(types)] AS statement; PREPARE TRANSACTION 'gid' is two-phase commit, not this.
void StatementClassifier::classify_prepare(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  if (r.word(1, "transaction") && r.size() >= 3 && is_string_kind(r.kind(2))) return;
  const auto name = r.name(1);
  effects.state.push_back(name ? state_change(SessionState::sql_prepared_statement, StateChange::add, *name)
                               : unknown_state("PREPARE"));
}

// DEALLOCATE [PREPARE] name | ALL. ALL (and a name the client gave a protocol-level statement,
// which only the statement tracker knows) reaches protocol-level statements too.
void StatementClassifier::classify_deallocate(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  const std::size_t i = r.word(1, "prepare") ? 2 : 1;
  if (r.word(i, "all") && r.size() == i + 1) {
    effects.state.push_back(state_change(SessionState::sql_prepared_statement, StateChange::clear));
    effects.deallocate_all = true;
  } else if (const auto name = r.last_name(i)) {
    effects.state.push_back(state_change(SessionState::sql_prepared_statement, StateChange::remove, *name));
  }
}

// DISCARD ALL | TEMP | TEMPORARY | PLANS | SEQUENCES
void StatementClassifier::classify_discard(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  if (r.size() != 2) return;
  if (r.word(1, "temp") || r.word(1, "temporary")) {
    effects.state.push_back(state_change(SessionState::temporary_objects, StateChange::clear));
    return;
  }
  if (!r.word(1, "all")) return;
  // SET SESSION AUTHORIZATION DEFAULT (which resets the role too), RESET ALL, DEALLOCATE ALL,
  // CLOSE ALL, UNLISTEN *, pg_advisory_unlock_all(), DISCARD PLANS, TEMP, SEQUENCES.
  effects.settings.push_back(SettingChange{SettingAction::reset, SettingSyntax::generic, "session_authorization", {}});
  effects.settings.push_back(SettingChange{SettingAction::reset, SettingSyntax::generic, "role", {}});
  effects.settings.push_back(SettingChange{SettingAction::reset_all, SettingSyntax::generic, {}, {}});
  for (const SessionState state : {SessionState::listen, SessionState::temporary_objects, SessionState::advisory_lock,
                                   SessionState::hold_cursor, SessionState::sql_prepared_statement}) {
    effects.state.push_back(state_change(state, StateChange::clear));
  }
  effects.deallocate_all = true;
  effects.discard_all = true;
}

// EXPLAIN [(options)] [ANALYZE] [VERBOSE] statement: with ANALYZE the statement runs, so it is
// classified as if it stood alone (without, it does not, and a false pin is the safe mistake).
void StatementClassifier::classify_explain(std::span<const Held> tokens, StatementEffects& effects) {
  const Reader r(*this, tokens);
  std::size_t i = 1;
  if (r.symbol(i, '(')) {
    for (int depth = 0; i < r.size(); ++i) {
      if (r.symbol(i, '(')) ++depth;
      if (r.symbol(i, ')') && --depth == 0) break;
    }
    ++i;
  } else {
    while (r.word(i, "analyze") || r.word(i, "analyse") || r.word(i, "verbose")) ++i;
  }
  if (i < tokens.size()) classify(tokens.subspan(i), effects, true);
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
