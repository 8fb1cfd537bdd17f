// PgFrontend, part three: protocol-level prepared statements in transaction and statement mode.
// The bookkeeping is pg::ClientStatements / pg::BackendStatements (statement_tracker.hpp, no
// I/O); this file feeds them the messages in wire order and applies what they decide: on the
// way to the backend Parse, Bind, Describe and Close are renamed (and a Parse is added where a
// backend has not got the client's statement yet); on the way back the replies to what Sluice
// added are swallowed and the replies it owes are inserted where the client expects them.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>
#include <vector>

#include "sluice/protocol/postgres/constants.hpp"
#include "sluice/protocol/postgres/failures.hpp"
#include "sluice/protocol/postgres/header.hpp"
#include "sluice/protocol/postgres/message_scanner.hpp"
#include "sluice/protocol/postgres/session_statement.hpp"
#include "sluice/protocol/postgres/statement_messages.hpp"
#include "sluice/protocol/postgres/writers.hpp"
#include "sluice/session/postgres/pg_frontend.hpp"
#include "sluice/session/postgres/pg_io.hpp"

namespace sluice::session {

namespace {

std::string_view text_of(std::span<const std::uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// A Query's text without its terminating NUL.
std::string_view query_text(std::span<const std::uint8_t> body) {
  auto text = text_of(body);
  if (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  return text;
}

// Only texts holding one of these key words can forget prepared statements; every other Query
// goes on without being parsed. Anywhere in the text, not only first: behind a comment
// (`/* app:web */ DISCARD ALL`) or another statement (`SELECT 1; DEALLOCATE ALL`) it runs all
// the same. A word inside a string or a comment only costs the full scan, which judges it.
bool may_deallocate(std::string_view sql) {
  const auto contains = [&](std::string_view word) {
    for (std::size_t at = 0; at + word.size() <= sql.size(); ++at) {
      if ((sql[at] | 0x20) != word[0]) continue;
      std::size_t i = 1;
      while (i < word.size() && std::tolower(static_cast<unsigned char>(sql[at + i])) == word[i]) ++i;
      if (i == word.size()) return true;
    }
    return false;
  };
  return contains("deallocate") || contains("discard");
}

// True if a whole Parse, Bind, Describe or Close names a prepared statement: only those are
// renamed. The unnamed statement and portals go on as they came (the tracker still counts them
// as requests in flight), which keeps the extended protocol without names free of copies.
bool names_statement(char type, std::span<const std::uint8_t> body) {
  if (body.empty()) return true;  // malformed: the readers say so
  switch (type) {
    case pg::frontend::Parse: return body[0] != 0;
    case pg::frontend::Bind: {
      const auto portal_end = std::find(body.begin(), body.end(), std::uint8_t{0});
      return portal_end == body.end() || std::next(portal_end) == body.end() || *std::next(portal_end) != 0;
    }
    default:  // Describe, Close: a target byte, then the name
      return body[0] != static_cast<std::uint8_t>(pg::kTargetPortal) && (body.size() < 2 || body[1] != 0);
  }
}

// PostgreSQL's error for a prepared statement whose result columns changed since it was
// prepared. Its SQLSTATE (0A000, feature_not_supported) is shared with other errors, so the
// message is compared too; both come first in the ErrorResponse, well within what the scanner
// keeps of a body.
// The same for one of Sluice's statements that the backend no longer has (26000): something
// Sluice did not see dropped it (a DEALLOCATE ALL inside a function, say). Forgotten, the
// definition is prepared again at its next use instead of failing on this backend for good.
bool invalidates_prepared_statement(std::span<const std::uint8_t> body) {
  static constexpr std::string_view kCode{"C0A000\0", 7};
  static constexpr std::string_view kMessage = "Mcached plan must not change result type";
  static constexpr std::string_view kMissingCode{"C26000\0", 7};
  static constexpr std::string_view kMissingOurs = "prepared statement \"sluice_";
  const auto fields = text_of(body);
  if (fields.find(kMissingCode) != std::string_view::npos) return fields.find(kMissingOurs) != std::string_view::npos;
  return fields.find(kCode) != std::string_view::npos && fields.find(kMessage) != std::string_view::npos;
}

// As MySQL's pipelining limit (ResponseTracker::kMaxPipelined): far beyond what libpq's pipeline
// mode or pgjdbc's batches keep in flight, which read results as they go.
constexpr std::size_t kMaxRequestsInFlight = 65536;

Failure statement_failure(std::string sqlstate, std::string message) {
  return Failure{"prepared_statement", std::move(sqlstate), std::move(message)};
}

}  // namespace

// A session-mode client keeps its backend, statements and all: nothing to rename.
void PgFrontend::choose_statement_tracking() {
  const auto& settings = session_.pool().settings();
  track_statements_ = settings.pool_mode != config::PoolMode::session && settings.max_prepared_statements > 0;
}

bool PgFrontend::held_whole(char type) const {
  if (!track_statements_) return false;
  return type == pg::frontend::Parse || type == pg::frontend::Bind || type == pg::frontend::Describe ||
         type == pg::frontend::Close;
}

// libpq's PQprepare (pgbench -M prepared prepares this way) sends Parse + Sync and blocks its
// thread until the answer comes. When that thread also serves clients that sit in transactions
// holding every backend of the pool, a Parse sent to a backend waits for them, and they for
// it: nothing moves until query_wait_timeout. So a Parse needs no backend when none is free:
// for a client holding none that sent only named Parses and a Sync, Sluice answers ParseComplete
// and ReadyForQuery itself and keeps the statements; the first backend the client uses one on
// prepares it there, as for any statement that backend has not got. Whenever a backend is free
// the Parse goes to one, so a bad statement's error still comes at once then.
std::optional<ClientScan> PgFrontend::answer_prepare_alone(std::span<const std::uint8_t> batch,
                                                           const ClientScan& scan) {
  if (!track_statements_ || session_.core().has_lease() || scan.error || scan.terminate || scan.hold_for != 0 ||
      batch.empty() || !client_at_boundary() || unit_.round_trips_in_flight() != 1 || unit_.unsynced() ||
      unit_.in_transaction()) {
    return std::nullopt;
  }
  std::vector<pg::ParseMessage> parses;
  bool synced = false;
  for (std::size_t offset = 0; offset < batch.size();) {
    if (synced || batch.size() - offset < pg::kHeaderLength) return std::nullopt;  // more after the Sync
    const auto header = pg::parse_header(batch.subspan(offset).first<pg::kHeaderLength>());
    if (!header || header->length < 4 || batch.size() - offset - 1 < header->length) return std::nullopt;
    const auto body = batch.subspan(offset + pg::kHeaderLength, header->length - 4);
    offset += std::size_t{header->length} + 1;
    if (header->type == pg::frontend::Sync) {
      synced = true;
      continue;
    }
    if (header->type != pg::frontend::Parse) return std::nullopt;
    const auto parse = pg::read_parse(body);
    if (!parse || parse->statement.empty()) return std::nullopt;  // an unnamed Parse always needs a backend
    parses.push_back(*parse);
  }
  if (!synced || parses.empty() || !client_statements().may_define(parses)) return std::nullopt;
  if (!session_.pool().saturated()) return std::nullopt;  // last: it takes the pool's lock
  ClientScan answered;
  for (const auto& parse : parses) {
    client_statements().define(parse.statement, parse.query, parse.parameter_types);
    answered.local_reply += std::string_view("1\0\0\0\4", 5);  // ParseComplete
  }
  statement_counts_.client_parses += parses.size();  // the backend's Parse is counted when one is sent
  pg::write_ready_for_query(answered.local_reply, pg::transaction_status::Idle);
  // As if a server had answered: the unit of work and the session-state tracker see the
  // ReadyForQuery that ends the round trip.
  static constexpr std::uint8_t idle_status[] = {static_cast<std::uint8_t>(pg::transaction_status::Idle)};
  unit_.on_server_message(pg::backend::ReadyForQuery, idle_status);
  follow_session_state(pg::MessageView{pg::backend::ReadyForQuery, 5, 0, idle_status, false});
  spdlog::debug("user={} database={}: {} Parse answered without a backend (none free)", session_.user(),
                session_.database(), parses.size());
  return answered;
}

pg::BackendStatements& PgFrontend::backend_statements() {
  auto& backend = server();
  if (!backend.statements) {
    const auto limit = static_cast<std::size_t>(std::max(1, session_.pool().settings().max_prepared_statements));
    backend.statements = std::make_unique<pg::BackendStatements>(limit);
  }
  return *backend.statements;
}

// Walks what scan_client released, in order. Parse/Bind/Describe/Close are whole here (scan_client
// held them until they were); any other message, whole or not, goes on as the client sent it.
OutgoingBytes PgFrontend::rewrite_outgoing(std::span<const std::uint8_t> bytes) {
  OutgoingBytes out;
  if (!track_statements_) return out;
  auto& statements = backend_statements();
  // Only messages naming a statement look definitions up by context: a batch without any (the
  // unnamed statement's Parse/Bind/Execute, a simple Query) does not build it.
  bool context_given = false;
  const auto give_context = [&] {
    if (!std::exchange(context_given, true)) statements.use_context(statement_context());
  };
  pg::StatementOutbox box;
  std::size_t copied = 0;  // bytes before this are in box.to_backend (once rewriting)
  const auto scanned = scanners().outgoing.scan(bytes, [&](const pg::MessageView& message) {
    const std::size_t size = std::size_t{message.length} + 1;
    const bool whole = message.end >= size;
    const std::size_t start = whole ? message.end - size : 0;
    const auto body = whole ? bytes.subspan(start + pg::kHeaderLength, message.length - 4) : std::span<const std::uint8_t>{};
    const auto rewrite_here = [&] {
      box.to_backend.append(text_of(bytes.subspan(copied, start - copied)));
      copied = message.end;
      out.rewritten = true;
    };
    if (whole && needs_unnamed_restore(message.type, body)) {
      box.to_backend.append(text_of(bytes.subspan(copied, start - copied)));
      copied = start;  // the message itself follows, as it came or rewritten below
      out.rewritten = true;
      statements.restore_unnamed(unnamed_parse_ ? std::string_view(*unnamed_parse_) : std::string_view{}, box);
      unnamed_on_lease_ = true;
    }
    if (whole) note_unnamed(message.type, body, bytes.subspan(start, size));
    if (held_whole(message.type) && !(whole && !names_statement(message.type, body))) {
      if (!whole) {
        out.error = protocol_violation("a statement message arrived in parts");
        return false;
      }
      rewrite_here();
      give_context();
      if (auto failure = rewrite_statement_message(message.type, body, box)) {
        out.error = std::move(failure);
        return false;
      }
      return true;
    }
    if ((message.type == pg::frontend::Query || message.type == pg::frontend::Parse) && whole) {
      pg::StatementOutbox rewritten;
      const bool renamed = message.type == pg::frontend::Query ? track_query(body, rewritten)
                                                               : track_unnamed_parse(body, rewritten);
      if (renamed) {
        rewrite_here();
        box.to_backend += rewritten.to_backend;
        box.to_client += rewritten.to_client;
        return true;
      }
    }
    statements.forwarded(message.type);
    if (message.type == pg::frontend::Bind) track_bind({});  // of the unnamed statement
    return true;
  });
  if (scanned.error != pg::ScanError::none && !out.error) out.error = protocol_violation(std::string(pg::to_string(scanned.error)));
  // Each request in flight is remembered until answered: a client that pipelines without ever
  // reading would make that list grow with the socket buffers (tens of MB of tiny messages).
  if (!out.error && statements.requests_in_flight() > kMaxRequestsInFlight) {
    out.error = Failure{"too_many_requests", "54000",
                        "more than " + std::to_string(kMaxRequestsInFlight) +
                            " protocol messages sent ahead of their answers: read the results of a pipeline"};
  }
  if (out.rewritten) {
    box.to_backend.append(text_of(bytes.subspan(copied)));
    out.to_server = std::move(box.to_backend);
  }
  out.to_client = std::move(box.to_client);
  return out;
}

bool PgFrontend::needs_unnamed_restore(char type, std::span<const std::uint8_t> body) const {
  if (unnamed_on_lease_) return false;
  if (type == pg::frontend::Bind) return !names_statement(type, body);
  return type == pg::frontend::Describe && body.size() >= 2 && body[0] == static_cast<std::uint8_t>(pg::kTargetStatement) &&
         body[1] == 0;
}

// PostgreSQL's rules: an unnamed Parse replaces the unnamed statement, a Close of it or a
// simple Query destroys it. Either way the backend in hand now agrees with the client.
void PgFrontend::note_unnamed(char type, std::span<const std::uint8_t> body, std::span<const std::uint8_t> message) {
  const bool unnamed_parse = type == pg::frontend::Parse && !body.empty() && body[0] == 0;
  const bool unnamed_close = type == pg::frontend::Close && body.size() >= 2 &&
                             body[0] == static_cast<std::uint8_t>(pg::kTargetStatement) && body[1] == 0;
  if (!unnamed_parse && !unnamed_close && type != pg::frontend::Query) return;
  unnamed_on_lease_ = true;
  if (!unnamed_parse) {
    unnamed_parse_.reset();
    return;
  }
  if (!unnamed_parse_) unnamed_parse_ = std::make_unique<std::string>();
  unnamed_parse_->assign(text_of(message));  // capacity kept: no allocation per query once sized
}

// BackendStatements::use_context's key for this client: every setting it made (search_path
// among them) and the reported parameters that decide how literals are read. Conservative: any
// SET makes a context of its own, so clients with other settings never share a definition.
// Built for each batch that names a statement, into a buffer that lives while the client is
// busy (no allocation once sized).
std::string_view PgFrontend::statement_context() {
  static constexpr std::array<std::string_view, 5> kParseSettings = {
      "TimeZone", "DateStyle", "IntervalStyle", "client_encoding", "standard_conforming_strings"};
  auto& context = scanners().statement_context;
  context.clear();
  for (const auto& setting : session_settings_.settings()) {
    context.append(setting.change.name).append(1, '=').append(setting.change.value).append(1, '\0');
  }
  for (const auto name : kParseSettings) {
    if (const auto value = session_settings_.find_reported(name)) context.append(*value);
    context.append(1, '\0');
  }
  return context;
}

pg::ClientStatements& PgFrontend::client_statements() {
  if (!client_statements_) client_statements_ = std::make_unique<pg::ClientStatements>();
  return *client_statements_;
}

namespace {
// Adds the Parses written to a backend while it lives (whatever path the message takes): the
// client's own, or one that a Bind or Describe needs on this backend first.
class ParsesSentCounter {
 public:
  ParsesSentCounter(const pg::BackendStatements& statements, std::uint32_t& count)
      : statements_(statements), count_(count), before_(statements.parses_sent()) {}
  ~ParsesSentCounter() { count_ += static_cast<std::uint32_t>(statements_.parses_sent() - before_); }
  ParsesSentCounter(const ParsesSentCounter&) = delete;
  ParsesSentCounter& operator=(const ParsesSentCounter&) = delete;

 private:
  const pg::BackendStatements& statements_;
  std::uint32_t& count_;
  const std::uint64_t before_;
};
}  // namespace

std::optional<Failure> PgFrontend::rewrite_statement_message(char type, std::span<const std::uint8_t> body,
                                                             pg::StatementOutbox& out) {
  auto& statements = backend_statements();
  const ParsesSentCounter count_parses(statements, statement_counts_.server_parses);
  if (type == pg::frontend::Parse) {
    const auto parse = pg::read_parse(body);
    if (!parse) return protocol_violation("malformed Parse message");
    const auto outcome = statements.parse(client_statements(), *parse, out);
    if (outcome == pg::ParseOutcome::forwarded || outcome == pg::ParseOutcome::shared) {
      ++statement_counts_.client_parses;
    }
    switch (outcome) {
      case pg::ParseOutcome::over_limit:
        return statement_failure("53400", "too many prepared statements on this connection");
      case pg::ParseOutcome::unwritable: return protocol_violation("Parse message too long");
      default: return std::nullopt;
    }
  }
  bool written = false;
  if (type == pg::frontend::Bind) {
    const auto bind = pg::read_bind(body);
    if (!bind) return protocol_violation("malformed Bind message");
    written = statements.bind(client_statements(), *bind, out);
    if (written) track_bind(bind->statement);
    if (written && !bind->statement.empty()) ++statement_counts_.binds;
  } else {
    const auto target = type == pg::frontend::Describe ? pg::read_describe(body) : pg::read_close(body);
    if (!target) return protocol_violation(type == pg::frontend::Describe ? "malformed Describe message" : "malformed Close message");
    written = type == pg::frontend::Describe ? statements.describe(client_statements(), *target, out)
                                             : statements.close(client_statements(), *target, out);
  }
  if (!written) return protocol_violation("statement message too long");
  return std::nullopt;
}

namespace {
// What a text does to prepared statements: DEALLOCATE ALL / DISCARD ALL anywhere in it, or, for
// a text of one statement, `DEALLOCATE name`.
struct DeallocateEffect {
  bool all = false;
  std::optional<std::string> name;
};

DeallocateEffect deallocate_effect(std::string_view sql) {
  DeallocateEffect effect;
  if (!may_deallocate(sql)) return effect;
  const auto parsed = pg::scan_statements(sql);
  std::vector<const pg::Statement*> present;
  for (const auto& statement : parsed) {
    if (!statement.empty) present.push_back(&statement);
  }
  for (const auto* statement : present) effect.all = effect.all || statement->effects.deallocate_all;
  if (present.size() != 1) return effect;
  for (const auto& change : present.front()->effects.state) {
    if (change.state == pg::SessionState::sql_prepared_statement && change.change == pg::StateChange::remove) {
      effect.name = change.name;
      break;
    }
  }
  return effect;
}
}  // namespace

// DEALLOCATE and DISCARD reach the statements too: DEALLOCATE ALL / DISCARD ALL empty both
// sides (the client's names now, the backend's as it runs them); `DEALLOCATE name` of one of the
// client's protocol-level statements becomes a DEALLOCATE of Sluice's name for it.
bool PgFrontend::track_query(std::span<const std::uint8_t> body, pg::StatementOutbox& out) {
  const auto effect = deallocate_effect(query_text(body));
  auto& statements = backend_statements();
  if (effect.all) forget_all_statements();
  if (!effect.name) return false;
  statements.use_context(statement_context());  // deallocate() may prepare the definition first
  auto server_name = statements.deallocate(client_statements(), *effect.name, out);
  if (!server_name) return false;
  pg::write_query(out.to_backend, "DEALLOCATE " + *server_name);
  statements.forwarded(pg::frontend::Query);
  return true;
}

// The same in the extended protocol, where psycopg 3 sends its own: DEALLOCATE ALL after a
// rollback, DEALLOCATE name when its statement cache is full, each as an unnamed Parse, Bind and
// Execute. The DEALLOCATE of a client's name is renamed in the Parse (true: appended to
// out.to_backend); DEALLOCATE ALL / DISCARD ALL is noted for the Bind that runs it.
bool PgFrontend::track_unnamed_parse(std::span<const std::uint8_t> body, pg::StatementOutbox& out) {
  unnamed_forgets_all_ = false;
  if (body.empty() || !may_deallocate(text_of(body.subspan(1)))) return false;  // the text follows the name's NUL
  const auto parse = pg::read_parse(body);
  if (!parse) return false;
  const auto effect = deallocate_effect(parse->query);
  unnamed_forgets_all_ = effect.all;
  if (!effect.name) return false;
  auto& statements = backend_statements();
  statements.use_context(statement_context());  // deallocate() may prepare the definition first
  auto server_name = statements.deallocate(client_statements(), *effect.name, out);
  if (!server_name) return false;
  const std::string renamed = "DEALLOCATE " + *server_name;
  return statements.parse(client_statements(), pg::ParseMessage{"", renamed, parse->parameter_types}, out) !=
         pg::ParseOutcome::unwritable;
}

// A Bind of a statement whose text is DEALLOCATE ALL or DISCARD ALL (psycopg 3 prepares even
// those after prepare_threshold runs): what the backend has prepared is gone when it runs.
void PgFrontend::track_bind(std::string_view statement_name) {
  bool forgets = unnamed_forgets_all_;
  if (!statement_name.empty()) {
    const auto statement = client_statements().find(statement_name);
    forgets = statement && may_deallocate(statement->text->query) && deallocate_effect(statement->text->query).all;
  }
  if (forgets) forget_all_statements();
}

// Forgetting is always safe for the backend (a definition it still has is prepared again under
// a new name); the client's names go as PostgreSQL's DEALLOCATE ALL takes them.
void PgFrontend::forget_all_statements() {
  backend_statements().forget_all();
  client_statements().deallocate_all();
}

// A complete server message, through the statement tracker: whether the client sees it, and
// the replies of Sluice's own that follow it. nullopt: the backend answered something nobody
// asked, or a reply to swallow came in an impossible shape; it cannot be trusted any more.
std::optional<PgFrontend::StatementReply> PgFrontend::track_server_message(const pg::MessageView& message) {
  auto& statements = backend_statements();
  if (message.type == pg::backend::ErrorResponse && invalidates_prepared_statement(message.body)) {
    statements.forget_failing_definition();
  }
  // Read before on_server_message() takes the request it answers off the queue.
  auto duplicate_name_error = message.type == pg::backend::ErrorResponse && !message.body_truncated
                                  ? statements.duplicate_name_error(message.body)
                                  : std::nullopt;
  StatementReply reply;
  reply.relay = statements.on_server_message(message.type, &client_statements(), reply.due);
  if (statements.desynchronized() || (!reply.relay && message.length != 4)) {
    spdlog::warn("user={} database={}: the server's replies do not match the requests in flight", session_.user(),
                 session_.database());
    return std::nullopt;
  }
  if (duplicate_name_error) {  // in place of the backend's error, where it stood
    reply.relay = false;
    reply.due.insert(0, *duplicate_name_error);
  }
  return reply;
}

}  // namespace sluice::session
