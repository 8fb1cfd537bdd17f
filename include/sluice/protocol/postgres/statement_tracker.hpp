// Protocol-level prepared statements in transaction mode, as pure data structures: no I/O.
//
// A client's named statements outlive its transactions, but in transaction mode its next
// transaction may run on another backend. So Sluice keeps, per client, what each name means
// (ClientStatements: name -> query text + parameter type OIDs), and per backend, which
// definitions are prepared there under names Sluice chose (BackendStatements: an LRU of
// (query, parameter types) -> "sluice_s<N>", at most max_prepared_statements). On the way to a
// backend Sluice renames: a client's Parse becomes a Parse of Sluice's name, or nothing at all
// when the backend already has that definition (prepared for this client or another); a Bind or
// Describe of the client's name becomes one of Sluice's name, preceded by a Parse when this
// backend has not got it yet. On the way back Sluice must then make the replies match what the
// client sent: swallow the ParseComplete of a Parse it added, the CloseComplete of a Close it
// added to evict, and make the ParseComplete or CloseComplete of a message it answered itself,
// each at the place in the reply stream where the client expects it. That needs a queue of the
// requests in flight on the backend (PgBouncer's "outstanding requests"), with the protocol's
// rule that after an error the backend skips every message up to the next Sync.
//
// The session's side of the contract:
//   - max_prepared_statements = 0 means "not tracked": do not use these classes; a named Parse
//     is then session state (session_state: pin or error).
//   - Feed every client message it sends to the backend through exactly one call, in wire order:
//     parse/bind/describe/close for those four types, forwarded(type) for all others.
//   - Send out.to_backend (instead of the client's message); write out.to_client to the client
//     after everything already relayed to it. Feed every complete server message to
//     on_server_message(); relay it if that returns true, then write `to_client`.
//   - Before a Parse, Bind, Describe or Close naming a statement, ask settled(): if false, hold
//     the message until more replies have come (a pipelining client reusing a name across a
//     Sync whose outcome is not known yet).
//   - A backend lost or closed: destroy its BackendStatements and call
//     ClientStatements::forget_unconfirmed() on its client. A backend handed to another client
//     keeps its BackendStatements: that is how clients share statements.
//   - DEALLOCATE ALL or DISCARD ALL sent in a Query (see session_statement.hpp): call
//     BackendStatements::forget_all() when sending it, ClientStatements::deallocate_all() when it
//     succeeded. A SQL DEALLOCATE name: ClientStatements::deallocate(name) tells whether it was a
//     protocol-level statement of the client's (the backend does not know that name: the session
//     answers it itself, or the client sees "prepared statement does not exist").
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/statement_messages.hpp"

namespace sluice::pg {

// What identifies a prepared statement's definition: the query text and the parameter type
// OIDs of its Parse. Shared (immutable) between a client's names and the backends' caches.
struct StatementText {
  std::string query;
  std::string parameter_types;  // Int32 OIDs as on the wire
  std::size_t hash = 0;

  bool operator==(const StatementText& other) const {
    return hash == other.hash && query == other.query && parameter_types == other.parameter_types;
  }
};
using SharedStatementText = std::shared_ptr<const StatementText>;

SharedStatementText make_statement_text(std::string_view query, std::span<const std::uint8_t> parameter_types);

// What one client may keep: PostgreSQL has no limit, but a proxy must not let one client's
// Parse messages take unbounded memory.
struct ClientStatementLimits {
  std::size_t max_statements = 10'000;
  std::size_t max_text_bytes = 16 * 1024 * 1024;  // query texts and parameter types, summed
};

// A named statement the client created with Parse.
struct ClientStatement {
  std::string name;
  SharedStatementText text;
  bool confirmed = false;  // its ParseComplete reached the client (until then a failure undoes it)
};

class ClientStatements {
 public:
  explicit ClientStatements(ClientStatementLimits limits = {}) : limits_(limits) {}

  std::shared_ptr<const ClientStatement> find(std::string_view name) const;
  std::size_t size() const { return by_name_.size(); }
  std::size_t text_bytes() const { return text_bytes_; }
  // Calls visit(const ClientStatement&) for every statement, in name order.
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (const auto& item : by_name_) visit(static_cast<const ClientStatement&>(*item.second));
  }

  // A named Parse Sluice answered itself (ParseComplete) because no backend was free: the
  // statement is the client's at once, confirmed, and the first backend it is used on prepares
  // it, as for any statement that backend has not got. The server reads the text only then, so
  // a bad one fails at the Bind or Describe that first uses it. False, changing nothing, for a
  // name in use or past the limits (the session sends the Parse to a backend instead).
  bool define(std::string_view name, std::string_view query, std::span<const std::uint8_t> parameter_types);
  // Whether define() would take these: names free and distinct, all within the limits together.
  bool may_define(std::span<const ParseMessage> parses) const;
  // A SQL DEALLOCATE [PREPARE] name succeeded: true if the name was one of this client's
  // protocol-level statements (now gone).
  bool deallocate(std::string_view name);
  // DEALLOCATE ALL or DISCARD ALL succeeded: every statement is gone.
  void deallocate_all();
  // The backend died before these statements' ParseComplete: they never existed.
  void forget_unconfirmed();

 private:
  friend class BackendStatements;
  enum class AddResult : std::uint8_t { added, duplicate, over_limit };

  AddResult add(std::shared_ptr<ClientStatement> statement);
  std::shared_ptr<ClientStatement> take(std::string_view name);
  // Removes `statement` unless its name has meanwhile been given to another statement.
  void erase_if_current(const std::shared_ptr<ClientStatement>& statement);
  // Puts back a statement whose Close the backend skipped, if its name is still free.
  void restore(const std::shared_ptr<ClientStatement>& statement);
  static std::size_t cost(const ClientStatement& statement);

  ClientStatementLimits limits_;
  std::map<std::string, std::shared_ptr<ClientStatement>, std::less<>> by_name_;
  std::size_t text_bytes_ = 0;
};

// Bytes Sluice sends for one client message, and replies it makes itself that are due now.
struct StatementOutbox {
  std::string to_backend;
  std::string to_client;
};

enum class ParseOutcome : std::uint8_t {
  forwarded,       // sent on, renamed to Sluice's name for the definition
  shared,          // the backend has the definition prepared: nothing sent, ParseComplete made by Sluice
  unnamed,         // the unnamed statement: sent on unchanged
  duplicate_name,  // the client already has a statement of that name: PostgreSQL answers 42P05,
                   // skips to the next Sync and, in a transaction block, fails it. A Parse that
                   // fails on the backend is sent in its place, so the backend does all that,
                   // and the session gives the client duplicate_name_error() for its error. The
                   // client keeps its statement of that name. (PgBouncer closes the client.)
  over_limit,      // ClientStatementLimits reached: nothing sent or queued; the session refuses
  unwritable,      // the renamed message would not fit the protocol: nothing sent or queued
  skipped,         // the backend is skipping to Sync after an error: sent unchanged, it will be ignored
};

class BackendStatements {
 public:
  // max_statements: max_prepared_statements (> 0). It may be exceeded while the statements over
  // it are still in use by messages in flight; the excess is closed when they are answered.
  explicit BackendStatements(std::size_t max_statements);

  // What decides how the server reads a text when it prepares it, for the client whose
  // messages follow: its search_path (which tables the names mean; PostgreSQL fails a statement
  // with "cached plan must not change result type" when they now have other columns) and the
  // settings that turn literals into values (TimeZone, DateStyle, client_encoding, ...: a
  // '2024-01-01 00:00'::timestamptz is fixed at Parse). The session encodes them in one string
  // ("" for the pool's defaults). A definition is shared only between clients with the same
  // context; one prepared under another is closed and prepared again.
  void use_context(std::string_view context) {
    if (context != context_) context_ = context;
  }

  // --- client -> backend, in wire order ---
  ParseOutcome parse(ClientStatements& client, const ParseMessage& message, StatementOutbox& out);
  // False only if the renamed message would not fit the protocol (nothing appended then).
  bool bind(ClientStatements& client, const BindMessage& message, StatementOutbox& out);
  // A Bind the session streams: appends what goes first and the renamed head; the session then
  // sends the client's `rest_length` bytes from head.rest_offset on.
  bool bind_head(ClientStatements& client, const BindHead& head, std::size_t rest_length, StatementOutbox& out);
  bool describe(ClientStatements& client, const TargetMessage& message, StatementOutbox& out);
  bool close(ClientStatements& client, const TargetMessage& message, StatementOutbox& out);
  // Any other client message sent on unchanged (Execute, Sync, Query, FunctionCall, Flush, Copy*).
  void forwarded(char type);
  // Before a Bind or Describe of the unnamed statement that the client parsed in an earlier
  // transaction (lib/pq and pgx send Parse + Sync, then Bind + Execute + Sync): this backend's
  // unnamed statement may be another client's. Sends `parse_message` (the client's last unnamed
  // Parse, whole) again, or, when the client has none, a Close of the unnamed statement, so the
  // Bind fails as PostgreSQL would rather than run someone else's statement. Its reply is
  // swallowed.
  void restore_unnamed(std::string_view parse_message, StatementOutbox& out);
  // A SQL `DEALLOCATE [PREPARE] name` naming one of the client's protocol-level statements: the
  // backend knows that statement by Sluice's name (if at all), so the session sends the Query
  // with the returned name instead, after `out.to_backend` (a Parse, when this backend has not
  // got the definition: deallocating it then still answers the client exactly as it expects).
  // The client's name is gone at once, and so is the backend's entry: a client sharing the
  // definition gets it prepared again when it next needs it. nullopt: not one of the client's
  // statements (the backend answers for itself: a SQL-level PREPARE, or "does not exist").
  std::optional<std::string> deallocate(ClientStatements& client, std::string_view name, StatementOutbox& out);

  // False while a request sent before the client's last Sync is still unanswered that decides
  // what `name` means on this backend: the client's Parse or Close of the name, or a Parse or
  // evicting Close Sluice sent for its definition. Whether that Sync group failed is not known
  // yet, and a message naming it now would be renamed on a guess. A session should hold such a message until the replies have come (drivers rarely
  // do this: pipelined Close-then-reuse or re-Parse after an error).
  bool settled(const ClientStatements& client, std::string_view name) const;

  // --- backend -> client ---
  // A complete server message: true if the client must see it. Afterwards append to `to_client`
  // the replies Sluice owes the client that have become due (write them after this message).
  bool on_server_message(char type, ClientStatements* client, std::string& to_client);
  // Call before on_server_message() for an ErrorResponse (its body): if it answers the Parse sent
  // in place of a client's Parse of a name in use, and failed the way that Parse always fails,
  // the ErrorResponse the client gets instead, PostgreSQL's 42P05; nullopt otherwise (the
  // backend's error is the client's too: 25P02 in a failed transaction block, a cancel, ...).
  std::optional<std::string> duplicate_name_error(std::span<const std::uint8_t> error_body) const;
  // What the Parse sent in place of a refused one prepares: it fails in parse analysis (42703,
  // no FROM clause for the column to come from), after the backend's check for a failed
  // transaction block, as the client's own Parse would have.
  static constexpr std::string_view kRefusedParseName = "sluice_refused";
  static constexpr std::string_view kRefusedParseQuery = "SELECT sluice_statement_name_in_use";
  // Rows and COPY data, the bulk of what a server sends: on_server_message does nothing with
  // them (relayed, nothing in flight answered, nothing due), so a session may skip the call.
  static bool ignores(char type) { return type == backend::DataRow || type == backend::CopyData; }

  // --- SQL-level effects on this backend ---
  // DEALLOCATE ALL or DISCARD ALL was sent: nothing prepared here will be left.
  void forget_all();
  // DEALLOCATE name was sent with one of Sluice's names.
  void forget(std::string_view server_name);
  // The request the backend is answering now failed because its prepared statement can no
  // longer run as prepared ("cached plan must not change result type": the table changed, or a
  // client with another search_path used it): call before on_server_message() for that
  // ErrorResponse. The definition is forgotten here, so the driver's new Parse of the same text
  // (asyncpg, pgjdbc and psycopg prepare again) gets a fresh statement instead of the stale one.
  void forget_failing_definition();

  // --- state, for tests, SHOW and metrics ---
  std::size_t size() const { return lru_.size(); }
  std::size_t max_statements() const { return max_statements_; }
  // Sluice's name for a definition on this backend (prepared or being prepared), if any.
  std::optional<std::string_view> server_name(const StatementText& text) const;
  bool prepared(const StatementText& text) const;
  std::size_t requests_in_flight() const { return requests_.size(); }
  // A reply came that no request in flight explains: the backend should not be trusted with
  // statements any more (the session closes it).
  bool desynchronized() const { return desynchronized_; }
  std::uint64_t parses_sent() const { return parses_sent_; }
  std::uint64_t evictions() const { return evictions_; }

 private:
  struct Entry {
    SharedStatementText text;
    std::string server_name;
    bool prepared = false;    // its ParseComplete came back
    std::size_t in_flight = 0;  // queued requests that use it: not evicted while > 0
    std::string context = {};  // use_context's, in force when it was prepared
  };
  using Lru = std::list<Entry>;  // most recently used first
  struct TextHash {
    std::size_t operator()(const StatementText* text) const { return text->hash; }
  };
  struct TextEqual {
    bool operator()(const StatementText* a, const StatementText* b) const { return *a == *b; }
  };

  enum class Reply : std::uint8_t { relay, swallow, synthesize };
  struct Request {
    char type;
    Reply reply;
    std::shared_ptr<ClientStatement> client = {};  // a client's Parse or Close
    SharedStatementText text = {};  // the definition a Parse, Bind, Describe or evicting Close is about
    std::string server_name = {};
    std::uint64_t group = 0;  // Syncs, Queries and FunctionCalls sent before it
    std::string refused_name = {};  // the client's name, for a Parse sent in place of a refused one
  };

  Entry* find(const StatementText& text);
  const Entry* find(const StatementText& text) const;
  Entry* touch(const StatementText& text);
  // `entry`, unless it was prepared under another search_path: then it is closed (nullptr).
  Entry* usable(Entry* entry, StatementOutbox& out);
  Entry& insert(SharedStatementText text);
  std::string next_server_name();
  ParseOutcome parse_copy(ClientStatements& client, const std::shared_ptr<ClientStatement>& statement,
                          StatementOutbox& out);
  ParseOutcome refuse_duplicate(ClientStatements& client, std::string_view name, StatementOutbox& out);
  Lru::iterator erase(Lru::iterator entry);
  Entry* resolve(ClientStatements& client, std::string_view name, StatementOutbox& out);
  template <class Write>
  bool send_renamed(char type, ClientStatements& client, std::string_view name, bool names_statement,
                    StatementOutbox& out, Write&& write);
  void evict_over_capacity(StatementOutbox& out);

  void enqueue(Request request, ClientStatements* client, std::string& to_client);
  void fail_in_reverse(std::vector<Request>& requests, ClientStatements* client);
  Request pop();
  void succeeded(const Request& request, ClientStatements* client);
  void failed(const Request& request, ClientStatements* client);
  bool head_is(char type) const { return !requests_.empty() && requests_.front().type == type; }
  bool complete_head(char type, ClientStatements* client);
  void on_error(ClientStatements* client);
  void on_ready_for_query(ClientStatements* client);
  void emit_due(ClientStatements* client, std::string& to_client);

  std::size_t max_statements_;
  Lru lru_;
  std::unordered_map<const StatementText*, Lru::iterator, TextHash, TextEqual> index_;
  std::deque<Request> requests_;
  bool skipping_ = false;  // an error: the backend ignores what is sent until the next Sync
  std::uint64_t groups_sent_ = 0;
  bool desynchronized_ = false;
  std::uint64_t next_name_ = 1;
  std::uint64_t parses_sent_ = 0;
  std::uint64_t evictions_ = 0;
  std::string context_;
};

}  // namespace sluice::pg
