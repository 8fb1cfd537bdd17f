// MyFrontend, part four: the client's session across backends. A COM_QUERY's text is read by
// mysql::read_query_effects: session variables it SETs follow the client (replayed on every
// backend it gets, once the server said OK); state that cannot move (user variables, temporary
// tables, GET_LOCK, ...) pins it to its backend in transaction and statement mode, or with
// `session_state: error` is refused before it reaches the server. LAST_INSERT_ID() follows too.
// Each lease brings its backend to all of this (prepare_backend_at_once, prepare_backend).
#include <spdlog/spdlog.h>

#include <algorithm>

#include "sluice/protocol/mysql/collations.hpp"
#include "sluice/protocol/mysql/errors.hpp"
#include "sluice/protocol/mysql/packet.hpp"
#include "sluice/protocol/mysql/session_statement.hpp"
#include "sluice/protocol/mysql/use_statement.hpp"
#include "sluice/session/mysql/my_frontend.hpp"
#include "sluice/session/mysql/my_io.hpp"

namespace sluice::session {

namespace {

Failure refusal(std::string_view subject) {
  return Failure{"session_state", "0A000", "not supported in transaction pool mode: " + std::string(subject)};
}

}  // namespace

// Read at login and per lease, as the limits are: a reload reaches the client's next transaction.
void MyFrontend::read_state_policy() {
  refuse_state_ = session_.core().pool_mode() != config::PoolMode::session &&
                  session_.pool().session_state_policy() == config::SessionStatePolicy::error;
}

// A COM_QUERY about to be relayed (`text`: what the buffer holds of it; `alone`: the read is this
// packet and nothing is in flight). False: refused (scan.local_reply or scan.error says how).
bool MyFrontend::on_query_text(std::string_view text, std::uint8_t sequence_id, bool alone, ClientScan& scan,
                               bool prepared) {
  const auto effects = mysql::read_query_effects(text, maybe_two_byte_charset());
  if (!prepared) {
    query_touches_no_table_ = effects.touches_no_table;
    savepoint_sent_ = savepoint_sent_ || effects.opens_savepoint;
    transaction_end_sent_ = transaction_end_sent_ || effects.ends_transaction;
  }
  if (!prepared && effects.statement_count > 1 && !multi_statements_allowed()) {
    // Backends always allow several statements (for the clients that asked); a client that did
    // not must get MariaDB's own refusal, or a stacked query an application never meant runs.
    return refuse_query(Failure{"multi_statements", "42000",
                                "You have an error in your SQL syntax: several statements in one query, and the "
                                "client did not enable CLIENT_MULTI_STATEMENTS"},
                        sequence_id, alone, scan);
  }
  if (effects.local_infile && !(client_capabilities_ & mysql::capability::CLIENT_LOCAL_FILES)) {
    // Backends always offer local files (for the clients that do); MariaDB refuses a client that
    // did not before asking it for a file, and so does Sluice.
    return refuse_query(Failure{"local_infile", "42000",
                                "The used command is not allowed because the MariaDB server or client has disabled "
                                "the local infile capability"},
                        sequence_id, alone, scan);
  }
  auto pin = effects.pin;
  if (prepared) {
    // A prepared SET or USE runs at each COM_STMT_EXECUTE, on whichever backend the client has
    // then, and cannot be followed from there (mysql2's execute() prepares even those): it pins.
    // A routine's effects are not seen anyway: every backend the client leaves is reset.
    if (pin == mysql::SessionPin::none && (effects.setting || effects.uses_schema)) {
      pin = mysql::SessionPin::session_variables;
    }
    if (effects.calls_routine) prepared_unseen_effects_ = true;
  } else {
    // A USE Sluice does not follow (among other statements), or a routine's unseen effects: the
    // next other client gets the backend reset. Such a USE also pins its client: the statements
    // after it must run in the schema it chose, which only that backend knows.
    const bool unfollowed_use = effects.uses_schema && !mysql::parse_use_statement(text);
    if (unfollowed_use || effects.calls_routine) unfollowed_state_ = true;
    if (unfollowed_use && pin == mysql::SessionPin::none) pin = mysql::SessionPin::session_variables;
    // A SET among pipelined commands: Sluice cannot tell when (or whether) it took effect.
    if (effects.setting && !tracker_.response_complete()) pin = mysql::SessionPin::session_variables;
    if (pin == mysql::SessionPin::none && effects.setting) {
      pending_setting_ = PendingSetting{*effects.setting, std::string(text), effects.setting_reads_variables};
    }
    if (effects.next_transaction) next_transaction_commands_ = -1;  // counted up to 0 by the SET itself
  }
  if (pin == mysql::SessionPin::none) return true;
  if (session_.core().pool_mode() == config::PoolMode::session) return true;
  if (!refuse_state_) {
    if (state_pin_ == mysql::SessionPin::none) state_pin_ = pin;
    return true;
  }
  const auto subject = mysql::to_string(pin);
  spdlog::info("user={} database={}: refused ({}), session_state is error", session_.user(), session_.database(),
               subject);
  return refuse_query(refusal(subject), sequence_id, alone, scan);
}

// Whether a command may begin a transaction, and so use up a SET TRANSACTION: a query touching
// a table or an execute; not COM_PING, COM_INIT_DB, a prepare, nor `SELECT 1`, which MariaDB
// runs without one (the setting then still waits on this backend).
bool MyFrontend::may_start_transaction(std::uint8_t command) const {
  if (command == mysql::command::COM_QUERY) return !query_touches_no_table_;
  return command == mysql::command::COM_STMT_EXECUTE;
}

// A command was answered: what it did to the transactions MariaDB does not flag IN_TRANS.
void MyFrontend::follow_transaction() {
  // A SAVEPOINT's transaction under autocommit=0.
  const bool autocommit = (tracker_.status_flags() & mysql::server_status::SERVER_STATUS_AUTOCOMMIT) != 0;
  if (tracker_.in_transaction() || transaction_end_sent_ || autocommit) savepoint_open_ = false;
  if (savepoint_sent_ && !tracker_.in_transaction() && !autocommit) savepoint_open_ = true;
  savepoint_sent_ = transaction_end_sent_ = false;
  // SET TRANSACTION's transaction is over once a command after it ends outside one. Whether
  // the setting was used up cannot be seen (a statement that failed before it began a
  // transaction leaves it pending): another client gets this backend reset first.
  if (next_transaction_commands_ && *next_transaction_commands_ >= 1 && !tracker_.in_transaction()) {
    next_transaction_commands_.reset();
    server().needs_reset = true;
  }
}

// A command answered with an error in its place; false (the scan stops there).
bool MyFrontend::refuse_query(const Failure& failure, std::uint8_t sequence_id, bool alone, ClientScan& scan) {
  if (!alone) {
    // Pipelined behind other commands or split across reads: it cannot be answered in its place.
    scan.error = failure;
    return false;
  }
  mysql::SequenceId sequence;
  sequence.reset(static_cast<std::uint8_t>(sequence_id + 1));
  mysql::write_err_packet(scan.local_reply, sequence, error_for_client(failure));
  return false;
}

bool MyFrontend::maybe_two_byte_charset() const {
  if (collation_ && mysql::has_two_byte_characters(collation_->character_set)) return true;
  return std::any_of(settings_.statements().begin(), settings_.statements().end(),
                     [](const std::string& sql) { return mysql::names_two_byte_charset(sql); });
}

bool MyFrontend::multi_statements_allowed() const {
  return multi_statements_option_.value_or((client_capabilities_ & mysql::capability::CLIENT_MULTI_STATEMENTS) != 0);
}

// COM_SET_OPTION (mysql_set_server_option): whether this client may send several statements in
// one query. Sluice keeps it and answers alone; pipelined, it goes on and the backend is reset
// before another client gets it.
bool MyFrontend::on_set_option(const mysql::PacketView& packet, bool alone, ClientScan& scan) {
  if (packet.payload_truncated || packet.length != 3) return true;  // the server answers what it makes of it
  const std::uint16_t option = static_cast<std::uint16_t>(packet.payload[1] | (packet.payload[2] << 8));
  if (option > 1) return true;
  multi_statements_option_ = option == 0;  // MYSQL_OPTION_MULTI_STATEMENTS_ON
  if (session_.core().has_lease()) {
    // The backend in hand takes it now (and answers it); the next lease sets it on its own.
    server().multi_statements = *multi_statements_option_;
    return true;
  }
  if (!alone) {
    unfollowed_state_ = true;
    return true;
  }
  // As the server answers it: an EOF packet, not an OK (mysqlnd rejects an OK here). Clients are
  // never offered CLIENT_DEPRECATE_EOF, under which it would be an OK with the 0xFE header.
  mysql::SequenceId sequence;
  sequence.reset(static_cast<std::uint8_t>(packet.sequence_id + 1));
  mysql::write_eof_packet(scan.local_reply, sequence, mysql::EofPacket{0, tracker_.status_flags()});
  return false;
}

// The server said OK to a lone SET: it is the client's now, and this backend has it.
void MyFrontend::setting_confirmed() {
  if (!pending_setting_) return;
  if (settings_.record(pending_setting_->key, pending_setting_->sql, pending_setting_->builds_on_earlier)) {
    server().settings = settings_.statements();  // the next client without this list gets a reset
  } else {
    if (state_pin_ == mysql::SessionPin::none) state_pin_ = mysql::SessionPin::session_variables;  // too many
    server().needs_reset = true;  // it has a SET no list names
  }
  pending_setting_.reset();
}

// MariaDB adds IGNORE_SPACE to the sql_mode of a client that logs in with CLIENT_IGNORE_SPACE
// (mysql2 and mysqljs ask for it by default), until COM_RESET_CONNECTION or COM_CHANGE_USER.
// Backends log in with Sluice's own capabilities, so it follows the client as a SET of its own
// would, first in its list: `count (*)` parses, and a later SET of sql_mode replaces it.
void MyFrontend::follow_login_sql_mode() {
  if (!(client_capabilities_ & mysql::capability::CLIENT_IGNORE_SPACE)) return;
  static constexpr std::string_view kIgnoreSpace =
      "SET SESSION sql_mode = CONCAT_WS(',', 'IGNORE_SPACE', NULLIF(@@SESSION.sql_mode, ''))";
  static const auto effects = mysql::read_query_effects(kIgnoreSpace);  // read once, not per login
  if (effects.setting) settings_.record(*effects.setting, kIgnoreSpace, effects.setting_reads_variables);
}

// COM_RESET_CONNECTION from the client: the server forgets its variables, temporary tables, locks.
void MyFrontend::session_reset_by_client() {
  state_pin_ = mysql::SessionPin::none;
  prepared_unseen_effects_ = false;  // its statements are gone
  settings_.clear();
  tracker_.forget_insert_id();
  if (session_.core().has_lease()) {  // the server forgot them too
    server().settings.clear();
    server().last_insert_id = 0;
  }
  pending_setting_.reset();
  next_transaction_commands_.reset();
  savepoint_open_ = false;  // a reset ends the transaction
}

// What a fresh lease replays: the client's SETs unless this backend has them already (its last
// client, this one or another, had the same list), and LAST_INSERT_ID() when the backend's
// differs from the client's.
void MyFrontend::session_commands(bool reset, std::vector<std::string>& commands) {
  auto& backend = server();
  // After a reset it has none; a backend this client left has an earlier version of its list
  // (the same variables at most), which the whole list replayed overrides.
  if (backend.settings != settings_.statements()) {
    for (const auto& sql : settings_.statements()) commands.push_back(com_query(sql));
  }
  // After a reset the value is not known for sure (Sluice's record is the last client's): only a
  // client that never had one and a backend that never had one need nothing.
  const auto insert_id = tracker_.last_insert_id();
  const bool differs = reset ? (insert_id != 0 || backend.last_insert_id != 0) : backend.last_insert_id != insert_id;
  if (differs) commands.push_back(com_query("SELECT LAST_INSERT_ID(" + std::to_string(insert_id) + ")"));
}

void MyFrontend::session_synced() {
  if (server().settings != settings_.statements()) server().settings = settings_.statements();
  server().last_insert_id = tracker_.last_insert_id();
}

// A backend another client left state on is reset first (COM_RESET_CONNECTION: its variables
// and prepared statements go), unless that state is SETs this client has too; any backend is
// put in this client's schema and character set and given its SETs and LAST_INSERT_ID() where
// they differ, so a backend changes hands between clients with the same SETs (or none) with
// one round trip at most, usually none (then no coroutine runs). The commands go in one write.
bool MyFrontend::prepare_backend_at_once() {
  read_state_policy();
  auto& backend = server();
  if (!std::exchange(backend.version_noted, true)) session_.context().mysql_server_version.note(backend.server_version);
  // Kept from the last lease while the client is busy (trim_idle drops it): no allocation per
  // transaction. Made again only when a reload changed max_packet_size.
  const auto max_packet_size = session_.runtime().config->max_packet_size;
  if (!server_scanner_ || server_scanner_->max_packet_size() != max_packet_size) {
    server_scanner_ = std::make_unique<mysql::PacketScanner>(max_packet_size);
  }
  const bool other_client = backend.last_client != 0 && backend.last_client != client_token();
  const bool foreign_settings = !backend.settings.empty() && backend.settings != settings_.statements();
  // SETs that build on earlier ones (sql_mode = CONCAT(@@sql_mode, ...)) are replayed whole, on
  // a backend that has none of them: over a part of the list they would apply twice.
  const bool stale_cumulative = settings_.cumulative() && foreign_settings;
  const bool reset = (other_client && (backend.needs_reset || foreign_settings)) || stale_cumulative;
  auto& commands = backend_commands_;
  commands.clear();
  backend_init_db_at_.reset();
  if (reset) {
    commands.push_back(com_reset_connection());
    backend.needs_reset = false;
    backend.settings.clear();
    // COM_RESET_CONNECTION closes every statement the last client left.
    if (backend.statements) backend.statements->clear();
  }
  if (reset || backend.schema != schema_) {
    backend_init_db_at_ = commands.size();
    commands.push_back(com_init_db(schema_));
  }
  if (collation_ && (reset || backend.character_set != character_set_)) {
    commands.push_back(com_query(mysql::set_names_statement(*collation_)));
  }
  if (const bool multi = multi_statements_allowed(); reset || backend.multi_statements != multi) {
    commands.push_back(com_set_option(multi));
    backend.multi_statements = multi;
  }
  if (other_client && backend.diagnostics_left) {
    // The last client's warnings and errors (SHOW WARNINGS) outlive even COM_RESET_CONNECTION:
    // MariaDB clears them at the next statement that uses a table.
    commands.push_back(com_query("DO (SELECT 1 FROM information_schema.ENGINES LIMIT 0)"));
    backend.diagnostics_left = false;
  }
  session_commands(reset, commands);
  backend.last_client = client_token();
  return commands.empty() && missing_statements().empty();
}

// The round trips prepare_backend_at_once found needed: its commands, then the client's
// statements this backend lacks.
awaitable<Status> MyFrontend::prepare_backend() {
  auto& backend = server();
  if (backend_commands_.empty()) co_return co_await restore_statements();
  const auto commands = std::exchange(backend_commands_, {});
  const auto init_db_at = backend_init_db_at_;
  auto results = co_await run_backend_commands(backend, commands);
  if (!results) co_return results.failure();
  bool schema_gone = false;
  for (std::size_t i = 0; i < results->size(); ++i) {
    const auto& result = (*results)[i];
    if (!result.error) continue;
    // The client dropped the schema it was in (USE tmp; DROP DATABASE tmp): MariaDB leaves that
    // session in no schema, which no command can bring another backend to. The pool's database
    // is the closest: the client goes on there instead of being disconnected.
    if (i == init_db_at && result.error->error_code == mysql::error_code::ER_BAD_DB_ERROR && backend.target &&
        schema_ != backend.target->dbname) {
      schema_gone = true;
      continue;
    }
    spdlog::warn("user={} database={}: preparing backend {} failed: {} {}", session_.user(), session_.database(),
                 backend.connection_id, result.error->error_code, result.error->error_message);
    co_return Failure{"server_reset_query", "08006", "server connection reset failed: " + result.error->error_message};
  }
  if (schema_gone) {
    spdlog::info("user={} database={}: schema {} no longer exists; the client continues in {}", session_.user(),
                 session_.database(), schema_, backend.target->dbname);
    schema_ = backend.target->dbname;
    const std::vector<std::string> init_db{com_init_db(schema_)};
    auto moved = co_await run_backend_commands(backend, init_db);
    if (!moved) co_return moved.failure();
    if (const auto& error = moved->front().error) {
      co_return Failure{"server_reset_query", "08006", "server connection reset failed: " + error->error_message};
    }
  }
  backend.schema = schema_;
  if (collation_) backend.character_set = character_set_;
  session_synced();
  co_return co_await restore_statements();
}

}  // namespace sluice::session
