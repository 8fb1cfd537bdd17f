// What a statement does to the session of the backend that runs it, as far as a pooler in
// transaction mode must know: settings that must follow the client to whichever backend serves
// it next, and state that cannot follow it (the client must stay on this backend, or be
// refused: config key session_state). Read from the statement's leading key words and, in any
// statement, calls to a few functions with session-wide effects.
//
// The rules (also in docs/limits.md, "Session state in transaction mode"):
//
// Settings that follow the client (SettingChange):
//   SET [SESSION] name {TO|=} value[, ...]   name lower-cased unless quoted; value as written
//   SET TIME ZONE v -> timezone; SET NAMES v -> client_encoding; SET SCHEMA 'v' -> search_path;
//   SET XML OPTION v -> xmloption; SET ROLE v -> role; SET SESSION AUTHORIZATION v -> session_authorization
//   SET SESSION CHARACTERISTICS AS TRANSACTION ... -> default_transaction_isolation/_read_only/_deferrable
//   RESET name, RESET ROLE, RESET TIME ZONE, RESET SESSION AUTHORIZATION, RESET ALL
//     (RESET ALL leaves role and session_authorization alone, as PostgreSQL does)
//   SELECT set_config('name', 'value', false): literal arguments only; anything else pins
// Not settings (they end with the transaction, and a transaction keeps its backend anyway):
//   SET LOCAL, SET TRANSACTION, SET CONSTRAINTS, SET transaction_isolation/_read_only/_deferrable,
//   set_config(..., true), SET name FROM CURRENT (sets what is already there).
//
// State that pins (SessionStateChange, add; what removes it in brackets):
//   LISTEN ch                         [UNLISTEN ch; UNLISTEN *; DISCARD ALL]
//   CREATE [GLOBAL|LOCAL] TEMP|TEMPORARY TABLE/VIEW/SEQUENCE name (unless a table ON COMMIT
//   DROP), CREATE TABLE/VIEW/SEQUENCE/FUNCTION/PROCEDURE pg_temp.name
//                                     [DROP of that name (unqualified or in pg_temp; routines
//                                      in pg_temp only): each CREATE is undone by one DROP;
//                                      DISCARD TEMP; DISCARD ALL]
//   SELECT ... INTO TEMP or INTO pg_temp.x, any other CREATE or EXPLAIN that names pg_temp,
//   SET search_path with pg_temp in it  [DISCARD TEMP; DISCARD ALL]
//   pg_advisory_lock(), pg_advisory_lock_shared(), pg_try_advisory_lock[_shared]() anywhere in a
//   statement (not the _xact_ forms)  [pg_advisory_unlock_all(); DISCARD ALL; never
//                                      pg_advisory_unlock(key): locks stack, and one call may run per row]
//   DECLARE c ... WITH HOLD ...       [CLOSE c; CLOSE ALL; DISCARD ALL]
//   PREPARE name AS ... (SQL-level)   [DEALLOCATE [PREPARE] name; DEALLOCATE ALL; DISCARD ALL]
//   DO, LOAD, dblink_connect[_u](), a SET or set_config() Sluice cannot read, a text with an
//   unterminated quote: unknown state [never: not even DISCARD ALL, which cannot undo LOAD or
//                                      a dblink connection]
// DISCARD ALL resets everything else on the backend: settings (role and session_authorization
// too), every prepared statement including the protocol-level ones, cursors, listens, locks,
// temporary objects. DEALLOCATE ALL drops protocol-level prepared statements too.
//
// When in doubt the rule is to pin: a false pin costs throughput, a missed one leaks a client's
// state to the next client of its backend. What Sluice cannot see: state made inside functions,
// procedures and rules (a function that calls pg_advisory_lock or set_config), EXECUTE of a
// prepared statement that takes a lock, currval()/lastval() across transactions.
//
// For the session: effects are what a statement does if it succeeds. Apply them only once the
// server says so (CommandComplete for that statement, and for settings, temporary objects,
// LISTEN and cursors: its transaction committed - they roll back with it; advisory locks and
// PREPARE do not). A Query's statements get one CommandComplete each, in order, except empty
// ones (Statement::empty). The values in a SettingChange are in the client_encoding in force when
// the statement was sent; replay them with that client_encoding set on the backend.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/protocol/postgres/sql_lexer.hpp"

namespace sluice::pg {

enum class SettingAction : std::uint8_t { set, reset, reset_all };

// How a setting is written again on another backend (setting_statement()).
enum class SettingSyntax : std::uint8_t {
  generic,                // SET "name" TO value / RESET "name" / RESET ALL
  time_zone,              // SET TIME ZONE value: LOCAL and INTERVAL '...' HOUR TO MINUTE have no generic form
  role,                   // SET ROLE value: NONE has no generic form
  session_authorization,  // SET SESSION AUTHORIZATION value
  set_config,             // SELECT pg_catalog.set_config('name', value, false): the value is the raw text
                          // of the setting (for search_path, not a list of quoted names as SET makes it)
};

struct SettingChange {
  SettingAction action = SettingAction::set;
  SettingSyntax syntax = SettingSyntax::generic;
  // The parameter: "search_path", "timezone", "myapp.user_id". Lower-cased unless quoted, as
  // PostgreSQL reads it; GUC names are compared without case, so compare them that way too.
  std::string name;
  // The value's tokens as the client wrote them ('Europe/Paris', "$user", public, DEFAULT),
  // separated by one space where the client had whitespace or comments. A '...' string the
  // server read with backslash escapes (standard_conforming_strings off) is written E'...', and
  // one with backslashes it read literally is written E'...' with them doubled, so the value
  // means the same whatever standard_conforming_strings is when it is replayed. Empty for resets.
  std::string value;

  bool operator==(const SettingChange&) const = default;
};

// Session state that cannot move to another backend.
enum class SessionState : std::uint8_t {
  listen,                  // LISTEN channel
  temporary_objects,       // temporary tables, views, sequences, functions
  advisory_lock,           // session-level advisory locks
  hold_cursor,             // DECLARE ... WITH HOLD
  sql_prepared_statement,  // PREPARE name AS ...
  unknown,                 // anything Sluice cannot follow: assume it stays
};

enum class StateChange : std::uint8_t {
  add,     // the state now exists (pins)
  remove,  // one named item of it is gone
  clear,   // all of it is gone
};

struct SessionStateChange {
  SessionState state;
  StateChange change;
  // The channel, cursor or statement name (lower-cased unless quoted); for unknown state, what
  // it was (for logs and the session_state: error message); empty otherwise.
  std::string name;

  bool operator==(const SessionStateChange&) const = default;
};

struct StatementEffects {
  std::vector<SettingChange> settings;    // in the order the statement makes them
  std::vector<SessionStateChange> state;  // clears before adds
  bool deallocate_all = false;  // DEALLOCATE ALL or DISCARD ALL: protocol-level prepared statements are gone
  bool discard_all = false;     // DISCARD ALL: the backend's session is as new

  bool operator==(const StatementEffects&) const = default;
  bool empty() const { return settings.empty() && state.empty() && !deallocate_all && !discard_all; }
  // The statement adds state that cannot follow the client.
  bool pins() const;
};

struct Statement {
  std::size_t begin = 0, end = 0;  // in the text; end is just past the ";" (or the end of the text)
  bool empty = true;               // only whitespace and comments: PostgreSQL sends nothing for it
  bool unterminated = false;       // the text ended inside a quote, identifier or comment
  StatementEffects effects;

  bool operator==(const Statement&) const = default;
};

// Reads one statement's tokens as they come and says what it does.
class StatementClassifier {
 public:
  explicit StatementClassifier(LexOptions options = {}) : options_(options) {}

  void add(const Token& token);
  // The statement ended: its effects, and ready for the next statement.
  StatementEffects finish();
  bool empty() const { return token_count_ == 0; }
  bool unterminated() const { return unterminated_; }

 private:
  // A token kept for the statement's key words; its text lives in text_.
  struct Held {
    TokenKind kind;
    std::size_t begin, end;
    std::uint32_t text_at, text_size;
    bool complete;  // neither truncated nor unterminated
  };
  // The last few tokens, for the function-call and key word pattern checks that run over the
  // whole statement however long it is.
  struct Recent {
    TokenKind kind = TokenKind::symbol;
    char name[64] = {};     // a word's text, a quoted identifier's name unquoted, a symbol
    std::uint8_t size = 0;  // 0 also when the name is too long to be one Sluice looks for
    std::string_view view() const { return {name, size}; }
  };
  class Reader;

  void clear();
  void hold(const Token& token);
  void watch(const Token& token);
  void watch_function_call();
  void watch_set_config(const Token& token);
  void end_set_config();
  void classify(std::span<const Held> tokens, StatementEffects& effects, bool nested);
  void apply_watched(std::string_view head, StatementEffects& effects);
  std::string_view text_of(const Held& token) const;
  std::optional<std::string> portable_text(const Held& token) const;
  std::optional<std::string> value_text(std::span<const Held> tokens) const;

  void classify_set(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_reset(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_listen(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_unlisten(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_create(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_drop(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_alter(std::span<const Held> tokens, StatementEffects& effects) const;
  // What a CREATE makes, read from token i on (statement_temporary.cpp): the key it has in the
  // temporary objects' state, and whether it was named in pg_temp.
  struct CreatedObject {
    std::string key;
    bool in_temporary_schema = false;
  };
  std::optional<CreatedObject> created_object(std::span<const Held> tokens, std::size_t i) const;
  std::optional<std::string> routine_key(std::span<const Held> tokens, std::string name, std::size_t& i) const;
  void classify_declare(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_close(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_prepare(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_deallocate(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_discard(std::span<const Held> tokens, StatementEffects& effects) const;
  void classify_explain(std::span<const Held> tokens, StatementEffects& effects);
  void classify_characteristics(std::span<const Held> tokens, StatementEffects& effects) const;

  LexOptions options_;
  std::vector<Held> held_;
  std::string text_;
  bool held_all_ = true;  // every token of the statement is in held_
  std::size_t token_count_ = 0;
  bool unterminated_ = false;

  Recent recent_[3];  // the last three tokens, most recent first
  // Seen anywhere in the statement (applied in finish(), by the statement's head).
  bool advisory_lock_ = false, advisory_unlock_all_ = false;
  bool into_temp_ = false, names_pg_temp_ = false, on_commit_drop_ = false;
  std::vector<SettingChange> set_configs_;
  std::vector<std::string> unknown_calls_;
  // The set_config( call whose arguments are being read.
  bool in_set_config_ = false;
  int set_config_depth_ = 0;
  bool set_config_literal_ = true;
  std::vector<std::vector<std::string>> set_config_args_;  // portable text of each argument's tokens
  std::vector<std::vector<TokenKind>> set_config_kinds_;
};

// Splits a text into statements and classifies each: the whole pipeline a session runs over
// a Query or Parse text. Incremental like SqlLexer; the statements it reports cover the text
// exactly once, in order (a last statement without ";" ends at finish()).
class StatementScanner : private TokenSink {
 public:
  explicit StatementScanner(LexOptions options = {}) : lexer_(options), classifier_(options) {}

  // The statements that ended within `chunk` (valid until the next call).
  std::span<const Statement> feed(std::string_view chunk);
  // The text is complete: the last statement, if any bytes follow the last ";".
  std::span<const Statement> finish();
  // Ready for a new text, read with `options`.
  void reset(LexOptions options);

 private:
  void on_token(const Token& token) override;
  void end_statement(std::size_t end);

  SqlLexer lexer_;
  StatementClassifier classifier_;
  std::size_t statement_begin_ = 0;
  std::vector<Statement> done_;
};

// Every statement of a complete text.
std::vector<Statement> scan_statements(std::string_view text, LexOptions options = {});

// The SQL that makes `change` again on another backend ("SET \"search_path\" TO \"$user\", public"),
// without a trailing ";". Run it with the client_encoding the value was written in (names are
// quoted for `encoding` too). nullopt if it cannot be written safely (see sql_quote.hpp).
std::optional<std::string> setting_statement(const SettingChange& change, ClientEncoding encoding);

}  // namespace sluice::pg
