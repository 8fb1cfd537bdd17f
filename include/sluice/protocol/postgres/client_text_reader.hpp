// Reads the SQL a client sends, as it streams, for the session-state tracker
// (session_settings.hpp): every Query and Parse text is cut into statements and classified
// (session_statement.hpp), and each statement's transaction control (BEGIN, COMMIT, ROLLBACK,
// SAVEPOINT, ...) is noted, since settings and most state roll back with their transaction.
//
// Sans-I/O and incremental: fed the client's bytes in wire order in chunks of any size (a
// message split across reads, a Query larger than any buffer), it frames the messages itself
// and never holds a text: memory is the lexer's (bounded, see sql_lexer.hpp) plus the
// statements of interest of one text, capped at kMaxTrackedStatements.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sluice/protocol/postgres/header.hpp"
#include "sluice/protocol/postgres/session_statement.hpp"

namespace sluice::pg {

// Statements of one text kept beyond this are not tracked: the text counts as unknown state.
inline constexpr std::size_t kMaxTrackedStatements = 256;
// Prepared statements whose text does something to the session, remembered so that running one
// again (a Bind of it, no new Parse) is an event too; beyond this many a Parse counts as unknown.
inline constexpr std::size_t kMaxRememberedStatements = 256;
// A statement name longer than this is not remembered (a Parse of one counts as unknown).
inline constexpr std::size_t kMaxRememberedName = 1024;

enum class TransactionControl : std::uint8_t {
  none,
  begin,                // BEGIN, START TRANSACTION
  commit,               // COMMIT, END (the server answers ROLLBACK if the transaction had failed)
  rollback,             // ROLLBACK, ABORT
  savepoint,            // SAVEPOINT name
  release,              // RELEASE [SAVEPOINT] name
  rollback_to,          // ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name
  prepare_transaction,  // PREPARE TRANSACTION 'gid': the session's changes stay, as at COMMIT
};

// A statement the server will run: what it does to the session and to the transaction.
struct ReadStatement {
  std::size_t index = 0;  // among the text's non-empty statements (one CommandComplete each)
  StatementEffects effects;
  TransactionControl control = TransactionControl::none;
  std::string savepoint;  // for savepoint, release, rollback_to

  bool interesting() const { return !effects.empty() || control != TransactionControl::none; }
};

// One client message the tracker follows.
struct ClientEvent {
  // frontend::Query, Parse, Sync or FunctionCall. A Bind of a prepared statement that does
  // something to the session, other than the first Bind after its Parse, is reported as a Parse
  // of that statement again: it runs the same text once more.
  char type = 0;
  std::size_t end = 0;  // offset just past the message's last byte in the chunk fed
  std::uint32_t length = 0;  // as on the wire
  std::size_t statement_count = 0;  // non-empty statements of a Query or Parse text
  std::vector<ReadStatement> statements;  // the interesting ones only, in order
  bool overflow = false;  // more than kMaxTrackedStatements interesting statements
  std::string client_encoding;  // the client_encoding the text was read in
};

class ClientTextReader : private TokenSink {
 public:
  explicit ClientTextReader(std::uint64_t max_message_length) : max_message_length_(max_message_length) {}

  // The next client bytes. `options` and `client_encoding` say how the server reads texts that
  // begin in this chunk. Returns the events completed within it (valid until the next call); a
  // bad length stops the reader for good (the session's own scanner ends the session).
  std::span<const ClientEvent> feed(std::span<const std::uint8_t> bytes, const LexOptions& options,
                                    std::string_view client_encoding);
  bool at_boundary() const { return header_size_ == 0; }
  // Whether it remembers prepared statements (a reader that does must be kept, not remade).
  bool remembers_statements() const { return !remembered_.empty(); }

 private:
  enum class Phase : std::uint8_t { skip, name, text, rest, portal, statement, target };

  // A prepared statement whose text does something to the session.
  struct Remembered {
    std::string name;
    ClientEvent event;
    bool bound = true;  // its Parse's event stands for the first run: the next Bind is that run
  };

  void begin_message(std::string_view client_encoding, const LexOptions& options);
  void read_body(const std::uint8_t* bytes, std::size_t size);
  void start_lexer();
  void feed_text(const std::uint8_t* bytes, std::size_t size);
  void end_text();
  void on_token(const Token& token) override;
  void end_statement();
  void read_name(const std::uint8_t* bytes, std::size_t size);
  void end_message(std::size_t end);
  Remembered* remembered(std::string_view name);
  void forget(std::string_view name);

  std::uint64_t max_message_length_;
  bool broken_ = false;
  std::uint8_t header_size_ = 0;
  std::array<std::uint8_t, kHeaderLength> header_{};
  std::uint32_t remaining_ = 0;  // body bytes still to come
  Phase phase_ = Phase::skip;
  std::vector<ClientEvent> done_;
  ClientEvent current_;

  SqlLexer lexer_;
  StatementClassifier classifier_;
  // The first few tokens of the statement: its transaction control.
  std::array<std::string, 4> head_;
  std::size_t head_count_ = 0;
  bool text_fed_ = false;  // the lexer has started on this text (it came in pieces, or is not plain)
  LexOptions text_options_;  // how the server reads the text being read
  // The statement name of the Parse, Bind or Close being read.
  std::string name_;
  bool name_too_long_ = false;
  std::vector<Remembered> remembered_;  // few: only statements that change the session
};

}  // namespace sluice::pg
