// Temporary objects: which CREATE makes one and which DROP removes it again, by name, so that a
// client pinned by a temporary table or function is released once it dropped them all (ORMs
// such as Sequelize create a pg_temp function, call it and drop it in one query). What cannot
// be named (SELECT ... INTO TEMP, search_path with pg_temp, a CREATE Sluice cannot read) pins
// until DISCARD TEMP or DISCARD ALL, as before.
#include <string>
#include <vector>

#include "sluice/protocol/postgres/session_statement.hpp"
#include "statement_reading.hpp"

namespace sluice::pg {

using namespace statement_reading;

namespace {

// The session's temporary schema: pg_temp, or its real name pg_temp_N.
bool is_temporary_schema(std::string_view schema) { return schema == "pg_temp" || schema.starts_with("pg_temp_"); }

}  // namespace

// A routine's key: its name and its input arguments as written, from the '(' at token i (moved
// past the ')'): OUT arguments left out, IN dropped (the default mode), defaults cut off,
// tokens joined by one space. CREATE and DROP name the same routine when their keys are equal;
// a DROP written otherwise (int for integer, no argument names) removes nothing, so a DROP IF
// EXISTS of another signature can never unpin. Relations' keys are bare names: no clash.
std::optional<std::string> StatementClassifier::routine_key(std::span<const Held> tokens, std::string name,
                                                            std::size_t& i) const {
  const Reader r(*this, tokens);
  if (!r.symbol(i, '(')) return std::nullopt;
  std::vector<std::string> inputs;
  std::string argument;
  bool output = false, in_default = false, first_token = true;
  const auto end_argument = [&] {
    if (!output && !argument.empty()) inputs.push_back(std::move(argument));
    argument.clear();
    output = in_default = false;
    first_token = true;
  };
  int depth = 1;
  for (++i; !r.at_end(i); ++i) {
    if (r.symbol(i, '(')) ++depth;
    if (r.symbol(i, ')') && --depth == 0) break;
    if (depth == 1 && r.symbol(i, ',')) {
      end_argument();
      continue;
    }
    const bool mode = first_token && (r.word(i, "out") || r.word(i, "in"));
    if (mode) output = r.word(i, "out");
    first_token = false;
    if (depth == 1 && (r.word(i, "default") || r.symbol(i, '='))) in_default = true;
    if (mode || in_default) continue;
    if (!argument.empty()) argument += ' ';
    argument += r.text(i);
  }
  if (r.at_end(i)) return std::nullopt;  // no closing ')'
  ++i;
  end_argument();
  std::string key = std::move(name) + "(";
  for (std::size_t n = 0; n < inputs.size(); ++n) key += (n == 0 ? "" : ", ") + inputs[n];
  return key + ")";
}

// From token i, after CREATE [OR REPLACE] [GLOBAL | LOCAL] [TEMP | TEMPORARY]:
// [UNLOGGED] {TABLE | VIEW | RECURSIVE VIEW | SEQUENCE} [IF NOT EXISTS] name, or
// {FUNCTION | PROCEDURE} name, the name unqualified or in the temporary schema.
std::optional<StatementClassifier::CreatedObject> StatementClassifier::created_object(std::span<const Held> tokens,
                                                                                     std::size_t i) const {
  const Reader r(*this, tokens);
  bool routine = false;
  if (r.word(i, "unlogged")) ++i;
  if (r.word(i, "table") || r.word(i, "view") || r.word(i, "sequence")) {
    ++i;
  } else if (r.word(i, "recursive") && r.word(i + 1, "view")) {
    i += 2;
  } else if (r.word(i, "function") || r.word(i, "procedure")) {
    routine = true;
    ++i;
  } else {
    return std::nullopt;
  }
  if (!routine && r.word(i, "if") && r.word(i + 1, "not") && r.word(i + 2, "exists")) i += 3;
  auto name = r.name(i);
  if (!name) return std::nullopt;
  bool in_temporary_schema = false;
  std::size_t next = i + 1;
  if (r.symbol(i + 1, '.')) {
    if (!is_temporary_schema(*name) || r.symbol(i + 3, '.')) return std::nullopt;  // another schema's
    name = r.name(i + 2);
    if (!name) return std::nullopt;
    in_temporary_schema = true;
    next = i + 3;
  }
  if (!routine) return CreatedObject{std::move(*name), in_temporary_schema};
  auto key = routine_key(tokens, std::move(*name), next);
  if (!key) return std::nullopt;
  return CreatedObject{std::move(*key), in_temporary_schema};
}

// CREATE [OR REPLACE] [GLOBAL | LOCAL] {TEMP | TEMPORARY} ...: a table, view or sequence that
// lives as long as the session, unless a table is dropped at commit (it ends with the
// transaction). CREATEs that name pg_temp instead are read in apply_watched.
void StatementClassifier::classify_create(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  std::size_t i = 1;
  if (r.word(i, "or") && r.word(i + 1, "replace")) i += 2;
  if (r.word(i, "global") || r.word(i, "local")) ++i;
  if (!r.word(i, "temp") && !r.word(i, "temporary")) return;
  if (r.word(i + 1, "table") && on_commit_drop_) return;
  auto object = created_object(tokens, i + 1);
  effects.state.push_back(state_change(SessionState::temporary_objects, StateChange::add,
                                       object ? std::move(object->key) : std::string()));
}

// DROP {TABLE | VIEW | SEQUENCE} [IF EXISTS] name [, ...]: an unqualified name is the temporary
// relation if there is one (the temporary schema comes first in every search for relations).
// DROP {FUNCTION | PROCEDURE | ROUTINE} [IF EXISTS] name (arguments) [, ...]: only names in
// pg_temp (routines are never looked up there otherwise), with the arguments written as in
// their CREATE (routine_key). A name Sluice never saw created removes nothing.
void StatementClassifier::classify_drop(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  bool routine = false;
  if (r.word(1, "function") || r.word(1, "procedure") || r.word(1, "routine")) {
    routine = true;
  } else if (!r.word(1, "table") && !r.word(1, "view") && !r.word(1, "sequence")) {
    return;
  }
  std::size_t i = 2;
  if (r.word(i, "if") && r.word(i + 1, "exists")) i += 2;
  while (true) {
    auto name = r.name(i);
    if (!name) return;
    std::size_t next = i + 1;
    std::optional<std::string> temporary;
    if (r.symbol(next, '.')) {
      auto unqualified = r.name(next + 1);
      if (!unqualified) return;
      if (is_temporary_schema(*name) && !r.symbol(next + 2, '.')) temporary = std::move(unqualified);
      next += 2;
    } else if (!routine) {
      temporary = std::move(name);
    }
    if (routine) {
      // Without arguments (one routine of that name) Sluice cannot tell which was dropped.
      if (!r.symbol(next, '(')) return;
      if (temporary) temporary = routine_key(tokens, std::move(*temporary), next);
      else if (!routine_key(tokens, {}, next)) return;
    }
    if (temporary) {
      effects.state.push_back(state_change(SessionState::temporary_objects, StateChange::remove, std::move(*temporary)));
    }
    if (!r.symbol(next, ',')) return;
    i = next + 1;
  }
}

// ALTER {TABLE | VIEW | SEQUENCE | FUNCTION | PROCEDURE | ROUTINE} ... RENAME TO name: a
// temporary object renamed would no longer be found by the DROP of its new name, and a DROP IF
// EXISTS of its old one would unpin its client while it still exists. So a rename of anything
// that may be temporary (unqualified or in pg_temp) pins until DISCARD, as unnamed state does.
void StatementClassifier::classify_alter(std::span<const Held> tokens, StatementEffects& effects) const {
  const Reader r(*this, tokens);
  if (!r.word(1, "table") && !r.word(1, "view") && !r.word(1, "sequence") && !r.word(1, "function") &&
      !r.word(1, "procedure") && !r.word(1, "routine")) {
    return;
  }
  std::size_t i = 2;
  if (r.word(i, "if") && r.word(i + 1, "exists")) i += 2;
  if (r.symbol(i + 1, '.') && !(r.name(i) && is_temporary_schema(*r.name(i)))) return;  // another schema's
  for (; !r.at_end(i + 1); ++i) {
    if (r.word(i, "rename") && r.word(i + 1, "to")) {
      effects.state.push_back(state_change(SessionState::temporary_objects, StateChange::add));
      return;
    }
  }
}

}  // namespace sluice::pg
