// The statement classifier's handlers, one per leading key word: what each statement that
// changes session state does to the client's settings and state.
#include <utility>

#include "sluice/protocol/postgres/session_statement.hpp"
#include "statement_reading.hpp"

namespace sluice::pg {

using namespace statement_reading;

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


}  // namespace sluice::pg
