// What the statement classifier's two files (session_statement.cpp: tokens in, effects out;
// statement_keywords.cpp: one handler per leading key word) share: limits, the session
// functions, literal and identifier reading, and the Reader over held tokens. Private to
// protocol/postgres/.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/protocol/postgres/session_statement.hpp"

namespace sluice::pg {

namespace statement_reading {

// A statement's first tokens are kept for its key words; the rest is only watched for patterns.
inline constexpr std::size_t kMaxHeldTokens = 256;
inline constexpr std::size_t kMaxHeldText = 16 * 1024;
// A setting longer than these is not replayed: the statement pins instead. A replayed setting is
// read back by the same lexer (one token of the value, quoted or re-escaped, stays under
// kMaxTokenText), which is what keeps it the same setting.
inline constexpr std::size_t kMaxSettingName = 1024;
inline constexpr std::size_t kMaxSettingValue = 8 * 1024;
// Tokens of a set_config( call's arguments kept before it counts as not literal.
inline constexpr std::size_t kMaxSetConfigTokens = 16;

// Parameters SET may name that belong to the transaction, not the session.
inline constexpr std::string_view kTransactionSettings[] = {"transaction_isolation", "transaction_read_only",
                                                     "transaction_deferrable"};

// Functions whose effect outlives the transaction that calls them.
enum class FunctionEffect : std::uint8_t { advisory_lock, advisory_unlock_all, set_config, unknown };
struct SessionFunction {
  std::string_view name;
  FunctionEffect effect;
};
inline constexpr SessionFunction kSessionFunctions[] = {
    {"pg_advisory_lock", FunctionEffect::advisory_lock},
    {"pg_advisory_lock_shared", FunctionEffect::advisory_lock},
    {"pg_try_advisory_lock", FunctionEffect::advisory_lock},  // may not get it: pin anyway
    {"pg_try_advisory_lock_shared", FunctionEffect::advisory_lock},
    {"pg_advisory_unlock_all", FunctionEffect::advisory_unlock_all},
    {"set_config", FunctionEffect::set_config},
    {"dblink_connect", FunctionEffect::unknown},  // a named connection held by the backend
    {"dblink_connect_u", FunctionEffect::unknown},
};

const SessionFunction* find_session_function(std::string_view name);
bool is_transaction_setting(std::string_view name);
bool is_string_kind(TokenKind kind);
std::string ascii_lower(std::string_view text);
bool contains_ignoring_case(std::string_view text, std::string_view lower_needle);
// "name" -> name, "" -> ", read a character of `encoding` at a time (as the lexer did: a
// trailing byte 0x22 is part of its character). U&"..." and anything malformed -> nullopt.
std::optional<std::string> unquote_identifier(std::string_view text, ClientEncoding encoding);
// The contents of a '...' literal, read a character of `encoding` at a time (a trailing byte is
// never a quote or a backslash). Without escapes only '' means a quote; with them, the two
// escapes quote_literal writes (\\ and \') are read too, and any other escape gives nullopt, as
// does a continued string ('a'\n'b').
std::optional<std::string> string_contents(std::string_view quoted, ClientEncoding encoding, bool escapes);
// $tag$contents$tag$ -> contents.
std::optional<std::string> dollar_string_contents(std::string_view text);
// A token's text as it must be replayed to mean the same whatever standard_conforming_strings
// the backend has then (see SettingChange::value).
std::optional<std::string> portable_literal(TokenKind kind, std::string_view text, const LexOptions& options);
SessionStateChange state_change(SessionState state, StateChange change, std::string name = {});
SessionStateChange unknown_state(std::string what);

}  // namespace statement_reading

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
      return statement_reading::unquote_identifier(text(i), classifier_.options_.encoding);
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
    if (joined->size() > statement_reading::kMaxSettingName) return std::nullopt;
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

}  // namespace sluice::pg
