#pragma once
// What a COM_QUERY's text does to the client's session, read conservatively (no I/O): state
// that cannot move to another backend (the client is then pinned, or refused), and a lone SET of
// session variables that can follow the client (replayed on every backend it gets).
//
// The text is tokenised the way the server reads it: comments skipped ('#', '-- ', '/* */'),
// except MySQL's executable comments ('/*!', '/*M!'), whose contents count as code; strings and
// quoted identifiers are opaque. Anything not understood pins (SessionPin::session_variables).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sluice::mysql {

enum class SessionPin : std::uint8_t {
  none,
  user_variables,     // @name anywhere
  temporary_tables,   // CREATE TEMPORARY TABLE
  get_lock,           // GET_LOCK(...)
  lock_tables,        // LOCK TABLE(S), FLUSH TABLES ... WITH READ LOCK
  found_rows,         // SQL_CALC_FOUND_ROWS, FOUND_ROWS()
  sql_prepare,        // text-protocol PREPARE / EXECUTE / DEALLOCATE PREPARE
  xa,                 // XA transactions
  handler,            // HANDLER ... OPEN
  session_variables,  // a SET Sluice cannot follow (several statements, SET TRANSACTION, unparsed)
};

// "user_variables", ...: the pinned reason in SHOW CLIENTS and sluice_clients_pinned.
std::string_view to_string(SessionPin pin);

struct QueryEffects {
  SessionPin pin = SessionPin::none;  // the first state found that cannot move
  // A lone SET of session variables: the variables it sets (lower case, sorted, joined by ',';
  // "names" for SET NAMES / CHARACTER SET). The statement is replayed as the client sent it.
  std::optional<std::string> setting;
  // A USE among its statements: the caller follows a lone `USE name` (parse_use_statement); any
  // other leaves the backend in a schema Sluice does not know.
  bool uses_schema = false;
  // A CALL: what the routine does to the session (a SET inside it) is not seen, so the backend
  // is reset before another client gets it.
  bool calls_routine = false;
  std::size_t statement_count = 0;  // non-empty statements: more than one needs CLIENT_MULTI_STATEMENTS
  bool local_infile = false;        // LOAD DATA|XML ... LOCAL INFILE: needs CLIENT_LOCAL_FILES
  // A lone SET TRANSACTION (isolation level or access mode of the next transaction only): the
  // client keeps its backend until that transaction ends, then the setting is gone anyway.
  bool next_transaction = false;
  // A SAVEPOINT: under autocommit=0 MariaDB keeps it while saying "not in a transaction" (no
  // SERVER_STATUS_IN_TRANS until a table is touched), so the caller keeps the backend.
  bool opens_savepoint = false;
  // COMMIT or ROLLBACK (not ROLLBACK TO): whatever a SAVEPOINT opened is over.
  bool ends_transaction = false;
  // Every statement a SELECT, DO or SHOW naming no table (no FROM): it starts no transaction, so
  // it does not use up a SET TRANSACTION. Read conservatively: `SELECT f()` whose function reads
  // a table counts as none, which only keeps the backend longer.
  bool touches_no_table = false;
  // The SET's value reads a system variable (`SET sql_mode = CONCAT(@@sql_mode, ',X')`): it
  // builds on the SETs before it, which must stay and be replayed before it.
  bool setting_reads_variables = false;
};

// `maybe_two_byte_charset`: the client's character set may be big5, cp932, gbk or sjis (whose
// characters may end in the byte of a backslash). A text containing a backslash is read under
// every sql_mode and character set it may be in; where the readings disagree, it pins.
QueryEffects read_query_effects(std::string_view sql, bool maybe_two_byte_charset = false);

// The look read_query_effects takes first (sluice/protocol/plain_text.hpp: bytes, not tokens):
// one SELECT / INSERT / UPDATE / DELETE / REPLACE / WITH statement, with no '@' (user and system
// variables), no ':' (a label), no "/*" (an executable comment) and none of the names that pin
// from anywhere (GET_LOCK,
// FOUND_ROWS, SQL_CALC_FOUND_ROWS). Its effects are then known without tokenising: one
// statement, nothing pinned or set, and for a SELECT, whether it names a table (FROM) — which
// needs a text without quotes or comments when FROM appears, else the tokens decide. nullopt:
// not plain, the tokens decide. The fuzz target mysql_session_statement checks that the two
// always agree.
std::optional<QueryEffects> plain_query_effects(std::string_view sql);
// read_query_effects without that look: every reading tokenised.
QueryEffects read_query_effects_tokenized(std::string_view sql, bool maybe_two_byte_charset = false);

// The SETs a client's session follows it with, in the order they are to be replayed; a later SET
// of the same variables replaces the earlier one, unless it builds on it (reads a system
// variable). Bounded: past kMaxSettings the client pins.
class SessionSettings {
 public:
  static constexpr std::size_t kMaxSettings = 64;

  // False when the list is full (the caller pins the client).
  bool record(const std::string& key, std::string_view sql, bool builds_on_earlier = false);
  void clear();
  // A SET builds on earlier ones: replayed on a backend that has part of the list already, the
  // list would apply twice there, so such a backend is reset first.
  bool cumulative() const { return cumulative_; }
  // Replayed in this order; equal lists leave a backend in the same state.
  const std::vector<std::string>& statements() const { return statements_; }
  // The variables each statement sets (sorted, comma-separated), in the same order.
  const std::vector<std::string>& keys() const { return keys_; }

 private:
  std::vector<std::string> keys_;
  std::vector<std::string> statements_;
  bool cumulative_ = false;
};

}  // namespace sluice::mysql
